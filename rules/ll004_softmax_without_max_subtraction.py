"""LL004: a hand-written softmax that does not subtract the maximum before exponentiating."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from losslint.apis import Role
from losslint.kinds import Fact, Kind
from losslint.patterns import argument, code, keyword
from losslint.rule import Rule


class SoftmaxWithoutMaxSubtraction(Rule):
    """
    ## What it does
    Finds `exp(z) / sum(exp(z))` in any spelling (`e / e.sum(axis, keepdims=True)`
    with `e = np.exp(z)`, `e /= e.sum(...)`, `torch.exp`, `jnp.exp`, `tf.exp` with
    `tf.reduce_sum`) where `z` was not first shifted by its maximum.

    ## Why is this bad?
    Softmax is unchanged by subtracting a constant from every logit:
    `a_i = e^(z_i - max z) / sum_j e^(z_j - max z)`. Without the shift, `exp`
    overflows to `inf` once a logit passes about 88 in float32 (709 in float64),
    and `inf / inf` is `nan`: one large activation turns the whole loss into `nan`.

    ## Example
    ```python
    e = np.exp(z)
    a = e / np.sum(e, axis=0, keepdims=True)
    ```

    ## Use instead
    ```python
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    a = e / np.sum(e, axis=0, keepdims=True)
    ```
    or the library's own `scipy.special.softmax`, `torch.softmax`, `jax.nn.softmax`.

    ## References
    - The seed document, "Numerical Stability" and "Common Pitfalls 3".
    - Goodfellow et al., *Deep Learning* (2016), section 4.1: overflow and underflow.
    """

    code = "LL004"
    name = "softmax-without-max-subtraction"
    summary = "exp(z) / sum(exp(z)) with z not shifted by its max: overflows to nan"
    fix_title = "Subtract the max along the same axis before exp"

    VALID = (
        """
import numpy as np
def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
""",
        """
import numpy as np
def softmax(scores):
    scores -= np.max(scores, axis=1, keepdims=True)
    return np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
""",
        """
import torch
def softmax(x):
    x = x - x.max(dim=1, keepdim=True).values
    return torch.exp(x) / torch.exp(x).sum(dim=1, keepdim=True)
""",
        """
import numpy as np
from scipy.special import logsumexp
def softmax(z):
    return np.exp(z - logsumexp(z, axis=0, keepdims=True))
""",
        # A stable sigmoid is not a softmax.
        """
import numpy as np
def sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
""",
    )
    INVALID = (
        """
import numpy as np
def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=0, keepdims=True)  # LL004
""",
        """
import numpy as np
def softmax(x):
    return np.exp(x) / np.sum(np.exp(x))  # LL004
""",
        """
import torch
def softmax(x):
    e = torch.exp(x)
    e /= e.sum(dim=1, keepdim=True)  # LL004
    return e
""",
        """
import jax.numpy as jnp
def probs(z):
    return jnp.exp(z) / jnp.sum(jnp.exp(z), axis=-1, keepdims=True)  # LL004
""",
        # Transposing for the division does not change what was exponentiated.
        """
import numpy as np
def softmax(z):
    return (np.exp(z.T) / np.sum(np.exp(z), axis=1)).T  # LL004
""",
    )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Divide):
            self._check(node, self.facts.of(node.left), node.right)

    def visit_Call(self, node: cst.Call) -> None:
        if self.facts.role(node) is Role.DIVIDE and len(node.args) >= 2:
            self._check(node, self.facts.of(node.args[0].value), node.args[1].value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.DivideAssign):
            self._check(node, self.facts.of(node.target), node.value)

    def _check(self, node: cst.CSTNode, numerator: Optional[Fact], denominator_node: cst.BaseExpression) -> None:
        denominator = self.facts.of(denominator_node)
        if numerator is None or denominator is None:
            return
        if numerator.kind is not Kind.EXP or denominator.kind is not Kind.EXP_SUM:
            return
        if denominator.derived_from is not numerator.origin and denominator.base != numerator.base:
            return
        if numerator.shifted:
            return
        z = numerator.base or "z"
        self.report(
            node,
            f"softmax without max-subtraction: `exp({z})` overflows to inf once a value of `{z}` passes "
            f"about 88 (float32) and the division gives nan. Shift first: `{_stable_form(self, z, numerator, denominator_node)}`",
            related=[(numerator.origin, f"`exp({z})` of the unshifted values")],
        )


def _stable_form(rule: Rule, z: str, numerator: Fact, denominator_node: cst.BaseExpression) -> str:
    """The max-shift in the spelling and along the axis the code already uses."""
    reduction = _reduction_call(denominator_node, rule)
    axis_text = ""
    if reduction is not None:
        for name in ("axis", "dim"):
            value = keyword(reduction, name)
            if value is not None:
                axis_text = f"{name}={code(value)}"
        if not axis_text:
            on_value = isinstance(reduction.func, cst.Attribute) and rule.facts.imports.qualify(reduction.func) is None
            given = argument(reduction, 0 if on_value else 1, "")
            if given is not None:
                axis_text = ("dim=" if numerator.framework == "torch" else "axis=") + code(given)
    exp_text = code(numerator.origin.func) if isinstance(numerator.origin, cst.Call) else "np.exp"
    if numerator.framework == "torch":
        keep = f"{axis_text}, keepdim=True" if axis_text else ""
        return f"{exp_text}({z} - {z}.amax({keep}))"
    if numerator.framework == "tensorflow":
        keep = f"{axis_text}, keepdims=True" if axis_text else ""
        return f"{exp_text}({z} - tf.reduce_max({z}, {keep}))".replace(", )", ")")
    namespace = exp_text.rsplit(".", 1)[0] if "." in exp_text else "np"
    keep = f", {axis_text}, keepdims=True" if axis_text else ""
    return f"{exp_text}({z} - {namespace}.max({z}{keep}))"


def _reduction_call(node: cst.BaseExpression, rule: Rule) -> Optional[cst.Call]:
    if isinstance(node, cst.Call):
        return node
    fact = rule.facts.of(node)
    if fact is not None and isinstance(fact.origin, cst.Call):
        return fact.origin
    return None
