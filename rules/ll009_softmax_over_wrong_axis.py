"""LL009: a softmax normalised over the wrong axis, or over no axis at all."""

from __future__ import annotations

import ast
from typing import Optional

import libcst as cst

from losslint import apis
from losslint.kinds import Fact, Kind
from losslint.patterns import keyword, positional, terms
from losslint.rule import Rule
from losslint.screen.evidence import Evidence, normalised_exponentials
from losslint.screen.syntax import keyword as screen_keyword
from losslint.screen.syntax import positional as screen_positional

_IMPLICIT_DIM = {
    "torch.nn.functional.softmax": 1,
    "torch.nn.functional.log_softmax": 1,
    "torch.nn.Softmax": 0,
    "torch.nn.LogSoftmax": 0,
}
_SAME_FOR_MATRICES = ({"1", "-1"},)


class SoftmaxOverWrongAxis(Rule):
    """
    ## What it does
    Finds a hand-written softmax whose normalising sum runs over a different axis
    than its max-shift (or over every element while the shift used one axis), and
    PyTorch's `F.softmax` / `nn.Softmax` called without `dim`.

    ## Why is this bad?
    The softmax column of the table normalises over the class axis:
    `a_i = e^(z_i - max z) / sum_j e^(z_j - max z)`, one distribution per example.
    `np.sum(e)` with no axis divides by the total over the whole batch: every
    column then sums to `1/m` of what it should, `A - Y` is wrong for every
    example, and nothing raises. Summing over the batch axis instead of the class
    axis normalises each class across examples. PyTorch's implicit `dim` guesses
    from the number of dimensions and picks the batch axis for 0-D, 1-D and 3-D input.

    ## Example
    ```python
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    a = e / np.sum(e)
    ```

    ## Use instead
    ```python
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    a = e / np.sum(e, axis=0, keepdims=True)
    ```
    and `F.softmax(logits, dim=1)` with the class dimension named.

    ## References
    - The seed document, "Softmax Activation" and the `stable_softmax` example.
    - PyTorch documentation, `torch.nn.functional.softmax` (the implicit `dim` is deprecated).
    """

    code = "LL009"
    name = "softmax-over-wrong-axis"
    summary = "Softmax normalised over no axis / another axis than its max-shift, or F.softmax without dim"
    fix_title = "Normalise over the class axis, the same one the max was taken over"

    VALID = (
        """
import numpy as np
def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
""",
        """
import numpy as np
def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""",
        """
import torch.nn.functional as F
from torch import nn
head = nn.Softmax(dim=1)
def probs(logits):
    return F.softmax(logits, dim=-1)
""",
        # A 1-D vector: no axis anywhere is consistent.
        """
import numpy as np
def softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()
""",
    )
    INVALID = (
        """
import numpy as np
def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e)  # LL009
""",
        """
import torch
def softmax(x):
    e = torch.exp(x - x.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=0, keepdim=True)  # LL009
""",
        """
import torch.nn.functional as F
def probs(logits):
    return F.softmax(logits)  # LL009
""",
        """
from torch import nn
head = nn.Softmax()  # LL009
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        for top, bottom in normalised_exponentials(evidence):
            if top.axis is not None and bottom.axis is not None and top.axis != bottom.axis:
                return True
        imports = evidence.facts.imports
        for call in evidence.nodes(ast.Call):
            qualified = imports.qualify(call.func)
            if qualified is None:
                continue
            dim = _IMPLICIT_DIM.get(apis.canonical(qualified))
            if dim is not None and screen_keyword(call, "dim") is None and screen_positional(call, dim) is None:
                return True
        return False

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Divide):
            self._check_division(node, self.facts.of(node.left), self.facts.of(node.right))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.DivideAssign):
            self._check_division(node, self.facts.of(node.target), self.facts.of(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.facts.imports.qualify(node.func)
        if qualified is None:
            return
        positional_dim = _IMPLICIT_DIM.get(apis.canonical(qualified))
        if positional_dim is None or keyword(node, "dim") is not None or positional(node, positional_dim) is not None:
            return
        name = apis.canonical(qualified).rsplit(".", 1)[1]
        self.report(
            node,
            f"`{name}` without `dim`: PyTorch guesses the axis from the number of dimensions and normalises over "
            f"the batch for 1-D and 3-D input. Name the class dimension, e.g. `dim=1` for `(N, C)` logits "
            f"(`dim=-1` for the last axis)",
        )

    def _check_division(self, node: cst.CSTNode, top: Optional[Fact], bottom: Optional[Fact]) -> None:
        if top is None or bottom is None or top.kind is not Kind.EXP or bottom.kind is not Kind.EXP_SUM:
            return
        if bottom.derived_from is not top.origin and bottom.base != top.base:
            return
        shift_axis, sum_axis = top.axis, bottom.axis
        if shift_axis is None or sum_axis is None or shift_axis == sum_axis:
            return
        if {shift_axis, sum_axis} in _SAME_FOR_MATRICES:
            return  # the same axis for the 2-D arrays these usually are
        z = _exponent_source(self, top)
        if not sum_axis:
            if shift_axis in ("-1", "(-1)"):
                return  # the last axis of a 1-D vector is all of it: `e / e.sum()` is then right
            problem = f"the sum runs over every element while the max-shift of `{z}` was along axis {shift_axis}"
        elif not shift_axis:
            return  # a global max is a valid shift for any axis
        else:
            problem = f"the sum runs along axis {sum_axis} while the max-shift of `{z}` was along axis {shift_axis}"
        self.report(
            node,
            f"softmax normalised over the wrong axis: {problem}, so the outputs are not one distribution per "
            f"example. Sum over the class axis with `keepdims=True`, the same axis as the max",
            related=[(top.origin, f"`exp` of `{z}` shifted along axis {shift_axis}")],
        )


def _exponent_source(rule: Rule, exp_fact: Fact) -> str:
    """The values that were exponentiated, as written: ``z`` of ``np.exp(z - z.max(axis=1))``."""
    call = exp_fact.origin
    if isinstance(call, cst.Call):
        if call.args:
            inner = call.args[0].value
        elif isinstance(call.func, cst.Attribute):
            inner = call.func.value
        else:
            return exp_fact.base or "z"
        for sign, term in terms(inner, rule.facts.role):
            if sign > 0:
                return rule.source(term)
    return exp_fact.base or "z"
