"""LL001: the binary cross-entropy derivative applied to a softmax output."""

from __future__ import annotations

import ast
import libcst as cst

from losslint.kinds import Kind
from losslint.messages import origin_note, provenance
from losslint.patterns import bce_derivative
from losslint.rule import Rule
from losslint.screen.evidence import Evidence
from losslint.screen.syntax import bce_derivative as screen_bce_derivative


class BceGradientOnSoftmax(Rule):
    """
    ## What it does
    Finds the derivative of binary cross-entropy with respect to the activation,
    `dA = -(Y/A - (1-Y)/(1-A))` (or `np.divide`, `torch.div`, `(A - Y) / (A * (1 - A))`),
    computed on `A` that the analysis knows is a softmax output.

    ## Why is this bad?
    The table losslint enforces pairs each head with its loss:

    | | binary | multi-class |
    |---|---|---|
    | head | sigmoid | softmax |
    | dL/da | `-y/a + (1-y)/(1-a)` | `-y_i/a_i` |
    | dL/dz | `a - y` | `a - y` |

    `-y/a + (1-y)/(1-a)` is the binary cell. Multiplied by the sigmoid's
    elementwise derivative `a(1-a)` it cancels to `a - y`; taken back through the
    softmax Jacobian `diag(a) - a a^T` it does not, and the gradient is simply wrong
    (about 40% relative error on a random 3-class batch). Nothing raises: the
    network trains slowly or not at all.

    ## Example
    ```python
    AL = softmax(ZL)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    ```

    ## Use instead
    Softmax with categorical cross-entropy has the direct gradient with respect to `Z`:
    ```python
    AL = softmax(ZL)
    dZL = AL - Y_one_hot
    ```

    ## References
    - The seed document, "Common Pitfalls 1: Mixing Up Gradient Formulations".
    - Goodfellow et al., *Deep Learning* (2016), section 6.2.2: output units.
    """

    code = "LL001"
    name = "bce-gradient-on-softmax"
    summary = "Binary cross-entropy derivative -(Y/A - (1-Y)/(1-A)) applied to a softmax output"
    fix_title = "Use dZ = A - Y_one_hot for softmax with categorical cross-entropy"

    VALID = (
        # The binary case: a sigmoid head is what this derivative is for.
        """
import numpy as np
def backward(Z, Y):
    A = 1 / (1 + np.exp(-Z))
    dA = -(np.divide(Y, A) - np.divide(1 - Y, 1 - A))
    return dA * A * (1 - A)
""",
        # Unknown kind: a parameter is never evidence.
        """
def bce_grad(A, Y):
    return -(Y / A - (1 - Y) / (1 - A))
""",
        # The correct softmax gradient.
        """
from scipy.special import softmax
def backward(Z, Y_one_hot):
    A = softmax(Z, axis=0)
    return A - Y_one_hot
""",
    )
    INVALID = (
        """
import numpy as np
from scipy.special import softmax
def backward(Z, Y):
    A = softmax(Z, axis=0)
    dA = -(np.divide(Y, A) - np.divide(1 - Y, 1 - A))  # LL001
    return dA
""",
        """
import torch
def grad(logits, y):
    p = torch.softmax(logits, dim=1)
    return -y / p + (1 - y) / (1 - p)  # LL001
""",
        """
import numpy as np
def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
def step(Z, Y):
    A = softmax(Z)
    return (A - Y) / (A * (1 - A))  # LL001
""",
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._inside_finding = None  # the regroupings inside a reported expression are the same finding

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        if Kind.SOFTMAX_PROBS not in evidence.kinds:
            return False
        facts = evidence.facts
        for node in evidence.nodes(ast.BinOp, ast.UnaryOp):
            match = screen_bce_derivative(node, facts.role, evidence.text)
            if match is not None and facts.kind(match[0]) is Kind.SOFTMAX_PROBS:
                return True
        return False

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        self._check(node)

    def leave_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._leave(node)

    def leave_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        self._leave(node)

    def _leave(self, node: cst.BaseExpression) -> None:
        if node is self._inside_finding:
            self._inside_finding = None

    def _check(self, node: cst.BaseExpression) -> None:
        if self._inside_finding is not None:
            return
        match = bce_derivative(node, self.facts.role)
        if match is None:
            return
        probabilities, _labels = match
        fact = self.facts.of(probabilities)
        if fact is None or fact.kind is not Kind.SOFTMAX_PROBS:
            return
        self._inside_finding = node
        name = self.source(probabilities)
        self.report(
            node,
            f"binary cross-entropy derivative applied to a softmax output: {provenance(self, fact, name)}. "
            f"Through the softmax Jacobian this is not the gradient of categorical cross-entropy; "
            f"write `dZ = {name} - Y_one_hot` (the gradient with respect to the logits) instead",
            related=origin_note(fact, name),
        )
