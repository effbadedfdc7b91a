"""LL012: one-hot labels given to a sparse loss, or class indices to a one-hot loss."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from losslint.apis import LossSpec
from losslint.kinds import Kind
from losslint.messages import origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence

_WANTED = {"one_hot": Kind.ONE_HOT, "indices": Kind.CLASS_INDICES}
_WRONG = {"one_hot": Kind.CLASS_INDICES, "indices": Kind.ONE_HOT}


class LabelEncodingMismatch(Rule):
    """
    ## What it does
    Follows labels from where their encoding is known (`to_categorical`,
    `one_hot`, `np.eye(C)[y]`, `argmax`, a dataset's integer labels) to the loss
    that consumes them: `sparse_categorical_crossentropy` (and
    `tf.nn.sparse_softmax_cross_entropy_with_logits`, `nll_loss`) given one-hot
    labels, or `categorical_crossentropy` (and `softmax_cross_entropy`) given
    class indices, directly or through `model.compile(loss=...)` then `model.fit(x, y)`.

    ## Why is this bad?
    The multi-class cell of the table needs `y` one-hot, the same shape as `a`;
    the sparse losses take the index `k` and compute `-log a_k` themselves. Given
    the other encoding, Keras either fails with a shape error deep in the graph or,
    for `(N, 1)` index columns, quietly broadcasts them as if they were one-hot
    rows, and the model learns the wrong target.

    ## Example
    ```python
    y_train = keras.utils.to_categorical(y_train, 10)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(x_train, y_train)
    ```

    ## Use instead
    ```python
    model.compile(loss="categorical_crossentropy", optimizer="adam")   # one-hot labels
    # or keep the integer labels with "sparse_categorical_crossentropy"
    ```

    ## References
    - Keras documentation, `SparseCategoricalCrossentropy` and `CategoricalCrossentropy`.
    """

    code = "LL012"
    name = "label-encoding-mismatch"
    summary = "sparse_categorical_crossentropy with one-hot labels, or categorical_crossentropy with indices"
    fix_title = "Match the loss to the labels: categorical for one-hot, sparse for integer indices"

    VALID = (
        """
from tensorflow import keras
(x_train, y_train), _ = keras.datasets.mnist.load_data()
model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=5)
""",
        """
from tensorflow import keras
(x_train, y_train), _ = keras.datasets.mnist.load_data()
y_train = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x_train, y_train, epochs=5)
""",
    )
    INVALID = (
        """
from tensorflow import keras
(x_train, y_train), _ = keras.datasets.mnist.load_data()
y_train = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=5)  # LL012
""",
        """
import tensorflow as tf
def loss(y_true, logits):
    labels = tf.argmax(y_true, axis=-1)
    return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)  # LL012
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        facts = evidence.facts
        for use in facts.loss_uses.values():
            wrong = _WRONG.get(use.spec.labels)
            if wrong is not None and facts.kind(use.target) is wrong:
                return True
        for fit in facts.fits.values():
            wrong = _WRONG.get(fit.model.loss.labels) if fit.model.loss is not None else None
            if wrong is not None and facts.kind(fit.labels) is wrong:
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        use = self.facts.loss_uses.get(node)
        if use is not None:
            self._check(node, use.spec, use.target)
            return
        fit = self.facts.fits.get(node)
        if fit is not None and fit.model.loss is not None:
            self._check(node, fit.model.loss, fit.labels, through_fit=True)

    def _check(self, node: cst.Call, spec: LossSpec, labels: Optional[cst.BaseExpression], through_fit: bool = False) -> None:
        wrong = _WRONG.get(spec.labels)
        fact = self.facts.of(labels)
        if wrong is None or fact is None or fact.kind is not wrong:
            return
        y = self.source(labels)
        needs = "one-hot labels" if spec.labels == "one_hot" else "integer class indices"
        remedy = (
            f"use the sparse variant of the loss, or one-hot encode `{y}` first"
            if spec.labels == "one_hot"
            else f"use the categorical (non-sparse) variant of the loss, or pass the indices `argmax({y})`"
        )
        via = f" (the model was compiled with `{spec.name}`)" if through_fit else ""
        self.report(
            node,
            f"`{spec.name}` needs {needs}{via}, but {provenance(self, fact, y)}; {remedy}",
            related=origin_note(fact, y),
        )
