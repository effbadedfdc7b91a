"""LL002: class indices subtracted from softmax probabilities without one-hot encoding."""

from __future__ import annotations

import libcst as cst

from losslint.apis import Role
from losslint.kinds import Kind
from losslint.messages import one_hot_hint, origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class ClassIndicesMinusProbabilities(Rule):
    """
    ## What it does
    Finds `A - Y` (or `np.subtract(A, Y)`) where `A` is a softmax output and `Y`
    holds class indices (from `argmax`, `randint`, an integer literal with values
    above 1, ...) that were never one-hot encoded.

    ## Why is this bad?
    The gradient of softmax with categorical cross-entropy is `dL/dz = a - y` with
    `y` one-hot, the same shape as `a`. Class indices of shape `(1, m)` subtracted
    from `(C, m)` probabilities do not raise: NumPy broadcasts the row over every
    class, and the result is a gradient that pushes every class by the index value.
    The loss goes down for a while and the model never learns the right classes.

    ## Example
    ```python
    Y = np.array([[0, 1, 2, 0, 1]])   # class indices, shape (1, 5)
    dZ = A - Y                        # A is (3, 5): broadcasts silently
    ```

    ## Use instead
    ```python
    Y_one_hot = np.zeros((n_classes, m))
    Y_one_hot[Y.astype(int), np.arange(m)] = 1
    dZ = A - Y_one_hot
    ```
    or, for `(N, C)` rows, `probs[np.arange(N), y] -= 1`.

    ## References
    - The seed document, "Common Pitfalls 2: Forgetting One-Hot Encoding".
    - CS231n notes, "Softmax classifier": the analytic gradient.
    """

    code = "LL002"
    name = "class-indices-minus-probabilities"
    summary = "Class indices subtracted from softmax probabilities without one-hot encoding"
    fix_title = "One-hot encode the labels to the probabilities' shape, then dZ = A - Y_one_hot"

    VALID = (
        """
import numpy as np
def grad(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    probs[np.arange(N), y] -= 1
    return probs / N
""",
        """
import numpy as np
from scipy.special import softmax
def grad(Z, T):
    A = softmax(Z, axis=0)
    y = np.argmax(T, axis=0)
    return A - np.eye(A.shape[0])[y].T
""",
        """
import torch
import torch.nn.functional as F
def grad(logits, y):
    p = torch.softmax(logits, dim=1)
    return p - F.one_hot(y, num_classes=10).float()
""",
    )
    INVALID = (
        """
import numpy as np
from scipy.special import softmax
Z = np.random.randn(3, 5)
A = softmax(Z, axis=0)
Y = np.array([[0, 1, 2, 0, 1]])
dZ = A - Y  # LL002
""",
        """
import jax
import jax.numpy as jnp
def grad(logits, targets):
    p = jax.nn.softmax(logits, axis=-1)
    labels = jnp.argmax(targets, axis=-1).reshape(-1, 1)
    return jnp.subtract(p, labels)  # LL002
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        if not {Kind.SOFTMAX_PROBS, Kind.CLASS_INDICES} <= evidence.kinds:
            return False
        kind = evidence.facts.kind
        wanted = {Kind.SOFTMAX_PROBS, Kind.CLASS_INDICES}
        return any({kind(left), kind(right)} == wanted for left, right in evidence.differences())

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Subtract):
            self._check(node, node.left, node.right)

    def visit_Call(self, node: cst.Call) -> None:
        if self.facts.role(node) is Role.SUBTRACT and len(node.args) >= 2:
            self._check(node, node.args[0].value, node.args[1].value)

    def _check(self, node: cst.CSTNode, left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        probabilities, indices = self._pair(left, right)
        if probabilities is None or indices is None:
            return
        prob_fact, index_fact = self.facts.of(probabilities), self.facts.of(indices)
        a, y = self.source(probabilities), self.source(indices)
        self.report(
            node,
            f"class indices subtracted from softmax probabilities: {provenance(self, prob_fact, a)} and "
            f"{provenance(self, index_fact, y)}, not one-hot. Broadcasting turns (C, m) - (1, m) into a silently "
            f"wrong gradient; one-hot encode first, {one_hot_hint(prob_fact.framework, _stem(y), a)}, "
            f"then `dZ = {a} - {_stem(y)}_one_hot`",
            related=origin_note(prob_fact, a) + origin_note(index_fact, y),
        )

    def _pair(self, left, right):
        for probs, labels in ((left, right), (right, left)):
            if self.facts.kind(probs) is Kind.SOFTMAX_PROBS and self.facts.kind(labels) is Kind.CLASS_INDICES:
                return probs, labels
        return None, None


def _stem(expression: str) -> str:
    """A name to build ``<name>_one_hot`` from: ``y.reshape(-1, 1)`` -> ``y``."""
    stem = ""
    for character in expression:
        if character.isalnum() or character == "_":
            stem += character
        else:
            break
    return stem or "Y"
