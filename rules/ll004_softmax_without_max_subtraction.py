"""LL004: a hand-written softmax that does not subtract the maximum before exponentiating."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from losslint.apis import Role
from losslint.kinds import Fact, Kind
from losslint.patterns import argument, code, keyword
from losslint.rule import Rule
from losslint.screen.evidence import Evidence, normalised_exponentials


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
    fix_safety = "safe"
    FIX_NOTE = (
        "subtracts the max along the normalising sum's axis inside each `exp`; the values are unchanged wherever they were finite. Unsafe when the exponent contains a call (it would run twice) or the exponential is used elsewhere."
    )

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

    def __init__(self, context) -> None:
        super().__init__(context)
        self._scopes: list = [context.module]

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        return any(not top.shifted for top, _ in normalised_exponentials(evidence))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()

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
        exp_call = numerator.origin if isinstance(numerator.origin, cst.Call) else None
        operand = _exp_operand(exp_call, self) if exp_call is not None else None
        if exp_call is None or operand is None:
            return
        z = self.source(operand)
        axis = _axis_text(_reduction_call(denominator_node, self), self, numerator.framework)
        stable = _shifted_exp(self, exp_call, operand, axis, numerator.framework)
        exp_calls = [exp_call]
        if isinstance(denominator.derived_from, cst.Call) and denominator.derived_from is not exp_call:
            exp_calls.append(denominator.derived_from)  # `exp(x) / sum(exp(x))`: both exponentials get the shift
        rewrites = [(call, _shifted_exp(self, call, _exp_operand(call, self), axis, numerator.framework)) for call in exp_calls]
        fix = None
        if all(text is not None for _, text in rewrites):
            reason = _why_unsafe(self, node, exp_call, operand, z)
            fix = self.fix(rewrites, title=f"Subtract the max of `{z}` before `exp`", safe=not reason, why_unsafe=reason)
        shown = stable or f"exp({z} - max({z}{', ' + axis if axis else ''}, keepdims=True))"
        self.report(
            node,
            f"softmax without max-subtraction: `exp({z})` overflows to inf once a value of `{z}` passes "
            f"about 88 (float32) and the division gives nan. Shift first: `{shown}`",
            related=[(exp_call, f"`exp({z})` of the unshifted values")],
            fix=fix,
        )


def _exp_operand(call: cst.Call, rule: Rule) -> Optional[cst.BaseExpression]:
    if isinstance(call.func, cst.Attribute) and rule.facts.imports.qualify(call.func) is None and not call.args:
        return call.func.value  # `x.exp()`
    if len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


def _axis_text(reduction: Optional[cst.Call], rule: Rule, framework: str) -> str:
    """``axis=0`` / ``dim=1`` as the normalising sum spells it; "" when it sums everything."""
    if reduction is None:
        return ""
    for name in ("axis", "dim"):
        value = keyword(reduction, name)
        if value is not None:
            return f"{name}={code(value)}"
    on_value = isinstance(reduction.func, cst.Attribute) and rule.facts.imports.qualify(reduction.func) is None
    given = argument(reduction, 0 if on_value else 1, "")
    if given is None:
        return ""
    return ("dim=" if framework == "torch" else "axis=") + code(given)


def _shifted_exp(
    rule: Rule, call: cst.Call, operand: Optional[cst.BaseExpression], axis: str, framework: str
) -> Optional[str]:
    """The exp call with its argument shifted by its max along ``axis``, in the library the code uses.

    None when that library is not reachable by a name in this module.
    """
    if operand is None:
        return None
    z = rule.source(operand)
    if not isinstance(operand, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
        z = f"({z})"
    method_form = isinstance(call.func, cst.Attribute) and operand is call.func.value
    if framework == "torch" or (method_form and framework != "numpy"):
        shift = f"{z}.amax({axis}, keepdim=True)" if axis else f"{z}.max()"
    elif framework in ("tensorflow", "keras"):
        tf = _alias_of(rule, "tensorflow")
        if tf is None:
            return None
        shift = f"{tf}.reduce_max({z}, {axis}, keepdims=True)" if axis else f"{tf}.reduce_max({z})"
    else:
        exp_name = rule.source(call.func)
        namespace = exp_name.rsplit(".", 1)[0] if "." in exp_name and not method_form else _alias_of(rule, "numpy")
        if namespace is None:
            return None
        shift = f"{namespace}.max({z}, {axis}, keepdims=True)" if axis else f"{namespace}.max({z})"
    if method_form:
        return f"({z} - {shift}).{call.func.attr.value}()"
    return f"{rule.source(call.func)}({z} - {shift})"


def _alias_of(rule: Rule, module: str) -> Optional[str]:
    """The local name under which ``module`` is imported (``np`` for numpy), if it is."""
    for local, qualified in rule.facts.imports.aliases.items():
        if qualified == module:
            return local
    return None


def _why_unsafe(rule: "SoftmaxWithoutMaxSubtraction", division: cst.CSTNode, exp_call, operand, z: str) -> str:
    """Why shifting this exponential could change something besides this softmax ("" when nothing can)."""
    if _calls_inside(operand):
        return f"`{z}` contains a call, which the fix would evaluate twice"
    uses = _ExponentialUses(exp_call)
    rule._scopes[-1].visit(uses)
    if uses.name is None:
        return ""  # the exponential is written inside the division: it exists nowhere else
    first, last = _span(rule, division)
    for name in uses.loads:
        start, end = _span(rule, name)
        inside = first <= start and end <= last
        after_in_place = isinstance(division, cst.AugAssign) and start >= last
        if not inside and not after_in_place:
            return f"`{uses.name}` is also used elsewhere (line {start[0]}), where it would change too"
    return ""


def _span(rule: Rule, node: cst.CSTNode):
    where = rule.context._range(node)
    return (where.start.line, where.start.column), (where.end.line, where.end.column)


class _ExponentialUses(cst.CSTVisitor):
    """The name an exponential is assigned to, and every other place that name is read."""

    def __init__(self, exp_call: cst.Call) -> None:
        self.exp_call = exp_call
        self.name = None
        self.target = None
        self.loads: list = []

    def visit_Assign(self, node: cst.Assign) -> None:
        if node.value is self.exp_call and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.target = node.targets[0].target
            self.name = self.target.value

    def visit_Name(self, node: cst.Name) -> None:
        if node is not self.target and self.name is not None and node.value == self.name:
            self.loads.append(node)


def _calls_inside(node: cst.CSTNode) -> bool:
    finder = _CallFinder()
    node.visit(finder)
    return finder.found


class _CallFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        self.found = True
        return False


def _reduction_call(node: cst.BaseExpression, rule: Rule) -> Optional[cst.Call]:
    if isinstance(node, cst.Call):
        return node
    fact = rule.facts.of(node)
    if fact is not None and isinstance(fact.origin, cst.Call):
        return fact.origin
    return None
