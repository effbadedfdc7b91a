"""LL010: the finished gradient `A - Y` multiplied by the activation's derivative again."""

from __future__ import annotations

import libcst as cst

from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class ActivationDerivativeAppliedTwice(Rule):
    """
    ## What it does
    Finds `dZ = A - Y`, already the gradient with respect to the logits, passed on
    through a sigmoid backward step: multiplied by `s * (1 - s)` directly, or
    handed to a function of the module that does (`sigmoid_backward(dZ, cache)`,
    `linear_activation_backward(dZ, cache, activation="sigmoid")`).

    ## Why is this bad?
    The last row of the table, `dL/dz = a - y`, already contains the activation's
    derivative: `(-y/a + (1-y)/(1-a)) * a(1-a)` cancels to `a - y`. Multiplying by
    `a(1-a)` once more gives `(a - y) a (1 - a)`, a gradient that vanishes exactly
    where the network is most wrong (a near 0 or 1): training crawls.

    ## Example
    ```python
    dZ2 = A2 - Y
    dA1, dW2, db2 = linear_activation_backward(dZ2, cache2, activation="sigmoid")
    ```

    ## Use instead
    ```python
    dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
    dA1, dW2, db2 = linear_activation_backward(dA2, cache2, activation="sigmoid")
    ```
    or keep `dZ2 = A2 - Y` and go straight to the linear backward step.

    ## References
    - The seed document, "Why Does Sigmoid + BCE Simplify to (a - y)?" and "Implementation in Code".
    """

    code = "LL010"
    name = "activation-derivative-applied-twice"
    summary = "A - Y (already dL/dz) passed through sigmoid_backward / the activation derivative again"
    fix_title = "Pass dA = -(Y/A - (1-Y)/(1-A)) to the activation backward step, or skip it for A - Y"

    VALID = (
        """
import numpy as np
def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z
def sigmoid_backward(dA, Z):
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)
def backward(Z, Y):
    A, cache = sigmoid(Z)
    dA = -(np.divide(Y, A) - np.divide(1 - Y, 1 - A))
    return sigmoid_backward(dA, cache)
""",
        """
import numpy as np
def softmax_backward(dZ, cache):
    return dZ
def backward(Z, Y_one_hot):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    A = e / e.sum(axis=0, keepdims=True)
    return softmax_backward(A - Y_one_hot, Z)
""",
    )
    INVALID = (
        """
import numpy as np
def sigmoid_backward(dA, Z):
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)
def backward(Z, Y):
    A = 1 / (1 + np.exp(-Z))
    dZ = A - Y
    return sigmoid_backward(dZ, Z)  # LL010
""",
        """
import torch
def grad(logits, y):
    p = torch.sigmoid(logits)
    return (p - y) * p * (1 - p)  # LL010
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        facts = evidence.facts
        return any(facts.of(site.gradient) is not None for site in facts.derivatives_twice.values())

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node)

    def _check(self, node: cst.CSTNode) -> None:
        site = self.facts.derivatives_twice.get(node)
        if site is None:
            return
        gradient = self.facts.of(site.gradient)
        if gradient is None:
            return
        dz = self.source(site.gradient)
        where = (
            f"`{site.function}` (line {self.line_of(site.function_node)}) multiplies it by the sigmoid's derivative"
            if site.function
            else "it is multiplied here by the sigmoid's derivative `s * (1 - s)`"
        )
        self.report(
            node,
            f"activation derivative applied twice: `{dz}` is already dL/dz ({gradient.how}, line "
            f"{self.line_of(gradient.origin)}), and {where} again, so the gradient vanishes where the output "
            f"saturates. Pass `dA = -(Y / A - (1 - Y) / (1 - A))` to the backward step, or use `{dz}` as dZ directly",
            related=[(gradient.origin, f"`{dz}` is dL/dz here")],
        )
