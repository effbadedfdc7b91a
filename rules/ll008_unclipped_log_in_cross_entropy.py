"""LL008: log of probabilities in a cross-entropy with nothing keeping them away from 0."""

from __future__ import annotations

import re

import libcst as cst

from losslint.apis import Role
from losslint.kinds import PROBABILITY_KINDS
from losslint.patterns import code, one_minus
from losslint.messages import origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class UnclippedLogInCrossEntropy(Rule):
    """
    ## What it does
    Finds `log(A)` inside a hand-written cross-entropy (`Y * log(A)`), where `A` is
    a softmax or sigmoid output that was never clipped (`np.clip`, `clamp`,
    `maximum(A, eps)`) and has no epsilon added.

    ## Why is this bad?
    A float64 sigmoid returns exactly 1.0 once `z > 37` and exactly 0.0 below
    about -745; a softmax underflows to 0 for a class far behind the others. The
    table's loss `-[y log a + (1-y) log(1-a)]` then evaluates `0 * log(0)` =
    `nan`, and one confident example turns the cost of the whole batch into `nan`.

    Off by default: course code takes `np.log(AL)` of unclipped activations all
    the time and usually gets away with it; turn it on with `--select LL008`.

    ## Example
    ```python
    cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    ```

    ## Use instead
    ```python
    eps = 1e-12
    A = np.clip(A, eps, 1 - eps)
    cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    ```
    or compute the loss from the logits with the library's stable loss.

    ## References
    - The seed document, "Appendix: Complete Implementation" (`binary_cross_entropy` with `epsilon`).
    """

    code = "LL008"
    name = "unclipped-log-in-cross-entropy"
    summary = "log(A) of unclipped probabilities in a hand-written cross-entropy (off by default)"
    fix_title = "Clip the probabilities to [eps, 1 - eps] before the log"
    default_enabled = False
    fix_safety = "unsafe"
    FIX_NOTE = (
        "clips the probabilities inside the log to [eps, 1 - eps] with a named `eps`, defined above the "
        "statement unless the function already has one; unsafe because it changes the loss near 0 and 1."
    )

    VALID = (
        """
import numpy as np
def cost(Z, Y, eps=1e-12):
    A = 1 / (1 + np.exp(-Z))
    A = np.clip(A, eps, 1 - eps)
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
""",
        """
import torch
def loss(logits, y):
    p = torch.sigmoid(logits)
    return -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p + 1e-7)).mean()
""",
    )
    INVALID = (
        """
import numpy as np
def cost(Z, Y):
    A = 1 / (1 + np.exp(-Z))
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # LL008
""",
        """
import numpy as np
def loss(Z, onehot):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    return -np.sum(onehot * np.log(p)) / Z.shape[1]  # LL008
""",
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._statements: list = []
        self._functions: list = []

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        facts = evidence.facts
        for probabilities in facts.cross_entropy_logs.values():
            fact = facts.of(probabilities)
            if fact is not None and fact.kind in PROBABILITY_KINDS and not fact.guarded:
                if not facts.from_library_softmax(fact):
                    return True
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        probabilities = self.facts.cross_entropy_logs.get(node)
        if probabilities is None:
            return
        fact = self.facts.of(probabilities)
        if fact is None or fact.kind not in PROBABILITY_KINDS or fact.guarded:
            return
        if self.facts.from_library_softmax(fact):
            return  # LL007 reports it, with the better fix: log_softmax
        a = self.source(probabilities)
        self.report(
            node,
            f"`log({a})` in a cross-entropy with nothing keeping `{a}` away from 0: {provenance(self, fact, a)}. "
            f"A saturated output gives `log(0)` and a nan cost; clip first, {_clip_spelling(fact.framework, a)}",
            related=origin_note(fact, a),
            fix=self._clip_fix(probabilities, fact.framework),
        )

    def _clip_fix(self, probabilities: cst.BaseExpression, framework: str):
        """Clip inside the log with a named ``eps``, defined above the statement unless the function has one."""
        if not self._statements:
            return None
        clipped = _clipped(self, probabilities, framework)
        if clipped is None:
            return None
        edits = [(probabilities, clipped)]
        # The binary term's `log(1 - A)` needs the same clip, or a saturated A still gives log(0).
        complements = _ComplementLogs(self, probabilities)
        self._statements[-1].visit(complements)
        edits.extend((term, clipped) for term in complements.found)
        scope = self._functions[-1] if self._functions else self.context.module
        if not re.search(r"\beps\b", self.context.module.code_for_node(scope)):
            value = "1e-12" if framework == "numpy" else "1e-7"
            insertion = self.context.insert_before(self._statements[-1], f"eps = {value}  # keeps log() away from 0")
            edits.append((None, insertion))
        return self.fix(
            edits,
            title=f"Clip `{self.source(probabilities)}` to [eps, 1 - eps] inside the log",
            safe=False,
            why_unsafe="it changes the loss wherever a probability was within eps of 0 or 1",
        )


class _ComplementLogs(cst.CSTVisitor):
    """The ``A`` inside every ``log(1 - A)`` of a statement."""

    def __init__(self, rule: Rule, probabilities: cst.BaseExpression) -> None:
        self.rule = rule
        self.wanted = code(probabilities)
        self.found: list = []

    def visit_Call(self, node: cst.Call) -> None:
        if self.rule.facts.role(node) is not Role.LOG:
            return
        operand = node.args[0].value if node.args else None
        if operand is None and isinstance(node.func, cst.Attribute):
            operand = node.func.value
        if operand is None:
            return
        for term in one_minus(operand, self.rule.facts.role):
            if code(term) == self.wanted:
                self.found.append(term)


def _clipped(rule: Rule, probabilities: cst.BaseExpression, framework: str):
    a = rule.source(probabilities)
    aliases = {qualified: local for local, qualified in rule.facts.imports.aliases.items()}
    if framework == "torch":
        if not isinstance(probabilities, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
            a = f"({a})"
        return f"{a}.clamp(eps, 1 - eps)"
    if framework in ("tensorflow", "keras"):
        tf = aliases.get("tensorflow")
        return f"{tf}.clip_by_value({a}, eps, 1 - eps)" if tf else None
    if framework == "jax":
        jnp = aliases.get("jax.numpy")
        return f"{jnp}.clip({a}, eps, 1 - eps)" if jnp else None
    np = aliases.get("numpy")
    return f"{np}.clip({a}, eps, 1 - eps)" if np else None


def _clip_spelling(framework: str, a: str) -> str:
    if framework == "torch":
        return f"`{a} = {a}.clamp(eps, 1 - eps)` with `eps = 1e-7`"
    if framework in ("tensorflow", "keras"):
        return f"`{a} = tf.clip_by_value({a}, eps, 1 - eps)` with `eps = 1e-7`"
    if framework == "jax":
        return f"`{a} = jnp.clip({a}, eps, 1 - eps)` with `eps = 1e-7`"
    return f"`{a} = np.clip({a}, eps, 1 - eps)` with `eps = 1e-12`"
