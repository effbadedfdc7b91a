"""LL007: the log of a library softmax instead of the library's log-softmax."""

from __future__ import annotations

import ast
from typing import Optional

import libcst as cst

from losslint.apis import Role
from losslint.kinds import Kind
from losslint.messages import origin_note, provenance
from losslint.patterns import positional
from losslint.rule import Rule
from losslint.screen.evidence import Evidence
from losslint.screen.syntax import argument_count
from losslint.screen.syntax import positional as screen_positional


class LogOfSoftmax(Rule):
    """
    ## What it does
    Finds `log(softmax(z))` where the softmax is a library's (`F.softmax`,
    `x.softmax(dim)`, `tf.nn.softmax`, `jax.nn.softmax`, `scipy.special.softmax`)
    and its output reaches the log with no clip or epsilon.

    ## Why is this bad?
    `log a_i = z_i - log sum_j e^(z_j)`. Computed in two steps, a probability that
    underflows to 0 becomes `log(0) = -inf`, and the loss and its gradient turn
    into `inf`/`nan`. Every library ships the one-step form, which is exact and
    stable, and whose gradient is the table's `a - y`.

    ## Example
    ```python
    log_probs = torch.log(F.softmax(logits, dim=1))
    ```

    ## Use instead
    ```python
    log_probs = F.log_softmax(logits, dim=1)
    ```
    (`tf.nn.log_softmax`, `jax.nn.log_softmax`, `scipy.special.log_softmax`, or
    `z - logsumexp(z, axis, keepdims=True)`.)

    ## References
    - The seed document, "Numerical Stability".
    - PyTorch documentation, `torch.nn.functional.log_softmax`.
    """

    code = "LL007"
    name = "log-of-softmax"
    summary = "log(softmax(z)) instead of log_softmax / z - logsumexp(z)"
    fix_title = "Use the library's log_softmax"
    fix_safety = "safe"
    FIX_NOTE = (
        "`log(F.softmax(x, dim=1))` becomes `F.log_softmax(x, dim=1)` (also `torch`, `tf.nn`, `jax.nn` and `x.softmax(...).log()`), when the softmax is written inside the log."
    )

    VALID = (
        """
import torch.nn.functional as F
def logp(logits):
    return F.log_softmax(logits, dim=1)
""",
        # Hand-written NumPy cross-entropy on clipped probabilities is the table's loss, not this rule.
        """
import numpy as np
from scipy.special import softmax
def cost(Z, Y):
    A = np.clip(softmax(Z, axis=0), 1e-12, 1.0)
    return -np.sum(Y * np.log(A)) / Y.shape[1]
""",
        """
import torch
def logp(logits):
    return torch.log(torch.softmax(logits, dim=-1) + 1e-8)
""",
    )
    INVALID = (
        """
import torch
import torch.nn.functional as F
def logp(logits):
    return torch.log(F.softmax(logits, dim=1))  # LL007
""",
        """
import jax
import jax.numpy as jnp
def loss(logits, onehot):
    probs = jax.nn.softmax(logits)
    return -jnp.sum(onehot * jnp.log(probs), axis=-1).mean()  # LL007
""",
        """
import torch
def logp(x):
    return x.softmax(dim=-1).log()  # LL007
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        if Kind.SOFTMAX_PROBS not in evidence.kinds:
            return False
        facts = evidence.facts
        for call in evidence.calls_with_role(Role.LOG):
            if isinstance(call.func, ast.Attribute) and facts.imports.qualify(call.func) is None and not argument_count(call):
                operand = call.func.value
            else:
                operand = screen_positional(call, 0)
            fact = facts.of(operand)
            if fact is not None and not fact.guarded and facts.from_library_softmax(fact):
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if self.facts.role(node) is not Role.LOG:
            return
        operand = _log_operand(node, self)
        fact = self.facts.of(operand)
        if fact is None or fact.guarded or not self.facts.from_library_softmax(fact):
            return  # a hand-written softmax has no log_softmax twin: LL008 speaks for it
        origin = fact.origin
        a = self.source(operand)
        stable = _log_softmax_spelling(self, origin)
        fix = None
        if operand is origin and stable is not None:
            # `log(F.softmax(x, dim=1))` -> `F.log_softmax(x, dim=1)`: the softmax output existed only here.
            fix = self.fix([(node, stable)], title=f"Replace with `{stable}`", safe=True)
        self.report(
            node,
            f"log of a softmax: {provenance(self, fact, a)}; a probability that underflows to 0 gives "
            f"`log(0) = -inf` and a nan gradient. Write `{stable or 'log_softmax(...)'}` instead, "
            f"which is exact and stable",
            related=origin_note(fact, a),
            fix=fix,
        )


def _log_operand(node: cst.Call, rule: Rule) -> Optional[cst.BaseExpression]:
    if isinstance(node.func, cst.Attribute) and rule.facts.imports.qualify(node.func) is None and not node.args:
        return node.func.value  # `x.softmax(dim=1).log()`
    return positional(node, 0)


def _log_softmax_spelling(rule: Rule, softmax_call: cst.Call) -> Optional[str]:
    """The same call with `softmax` renamed `log_softmax`: `F.log_softmax(logits, dim=1)`."""
    func = softmax_call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "softmax":
        renamed = softmax_call.with_changes(func=func.with_changes(attr=cst.Name("log_softmax")))
        return rule.context.module.code_for_node(renamed)
    return None
