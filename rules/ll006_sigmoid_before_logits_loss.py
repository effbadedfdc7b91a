"""LL006: a sigmoid output fed to a loss that applies its own sigmoid."""

from __future__ import annotations

import libcst as cst

from losslint.apis import Expects, Family
from losslint.kinds import Kind
from losslint.messages import drop_activation_fix, logits_behind, origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class SigmoidBeforeLogitsLoss(Rule):
    """
    ## What it does
    Finds sigmoid probabilities passed to a binary loss that expects logits:
    `nn.BCEWithLogitsLoss` / `F.binary_cross_entropy_with_logits`,
    `tf.nn.sigmoid_cross_entropy_with_logits`, Keras binary losses with
    `from_logits=True` (also a model ending in `activation="sigmoid"`),
    `optax.sigmoid_binary_cross_entropy`.

    ## Why is this bad?
    These losses compute the binary cell of the table from logits, with
    `dL/dz = a - y` and a stable `log(1 + e^-z)`. Given `a = sigmoid(z)`, they take
    `sigmoid(sigmoid(z))`, which lives in (0.5, 0.73): predictions can never
    approach 0, the loss floors far above zero and the gradient shrinks by another
    `a(1 - a)`. Nothing raises.

    ## Example
    ```python
    loss = F.binary_cross_entropy_with_logits(torch.sigmoid(logits), y)
    ```

    ## Use instead
    ```python
    loss = F.binary_cross_entropy_with_logits(logits, y)
    ```

    ## References
    - PyTorch documentation, `torch.nn.BCEWithLogitsLoss`: "combines a Sigmoid layer and the BCELoss in one single class".
    - The seed document, "Binary Classification: Gradient Calculation".
    """

    code = "LL006"
    name = "sigmoid-before-logits-loss"
    summary = "Sigmoid output fed to a loss that expects logits (BCEWithLogitsLoss, from_logits=True)"
    fix_title = "Pass the logits; the loss applies the sigmoid itself"
    fix_safety = "mixed"
    FIX_NOTE = (
        "passes the sigmoid's input to the loss. Safe when the sigmoid is written inside the loss call; unsafe when it comes through a variable, which may be used elsewhere."
    )

    VALID = (
        """
import torch
import torch.nn.functional as F
def step(logits, y):
    return F.binary_cross_entropy(torch.sigmoid(logits), y)
""",
        """
from torch import nn
criterion = nn.BCEWithLogitsLoss()
def step(model, x, y):
    return criterion(model(x), y)
""",
    )
    INVALID = (
        """
import torch
from torch import nn
criterion = nn.BCEWithLogitsLoss()
def step(model, x, y):
    return criterion(torch.sigmoid(model(x)), y)  # LL006
""",
        """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))  # LL006
""",
        """
import tensorflow as tf
def loss(labels, logits):
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=tf.sigmoid(logits))  # LL006
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        facts = evidence.facts
        for use in facts.loss_uses.values():
            if use.expects is Expects.LOGITS and use.spec.family is Family.BINARY:
                if facts.kind(use.prediction) is Kind.SIGMOID_PROBS:
                    return True
        for use in facts.compiles.values():
            output = use.model.returns
            if use.expects is Expects.LOGITS and use.spec.family is Family.BINARY:
                if output is not None and output.kind is Kind.SIGMOID_PROBS:
                    return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        use = self.facts.loss_uses.get(node)
        if use is not None and use.expects is Expects.LOGITS and use.spec.family is Family.BINARY:
            fact = self.facts.of(use.prediction)
            if fact is not None and fact.kind is Kind.SIGMOID_PROBS:
                a = self.source(use.prediction)
                self.report(
                    node,
                    f"`{use.spec.name}` expects logits and applies a sigmoid itself, but {provenance(self, fact, a)}: "
                    f"the loss sees sigmoid(sigmoid(z)), which never leaves (0.5, 0.73). "
                    f"Pass the logits{logits_behind(self, fact)}",
                    related=origin_note(fact, a),
                    fix=drop_activation_fix(self, use.prediction, fact),
                )
        compiled = self.facts.compiles.get(node)
        if compiled is not None and compiled.expects is Expects.LOGITS and compiled.spec.family is Family.BINARY:
            output = compiled.model.returns
            if output is not None and output.kind is Kind.SIGMOID_PROBS:
                self.report(
                    compiled.loss_argument,
                    f"`{compiled.spec.name}` with `from_logits=True` expects logits, but the model ends in a sigmoid "
                    f"({output.how}, line {self.line_of(output.origin)}): the sigmoid is applied twice. Drop the "
                    f"final sigmoid activation, or drop `from_logits=True`",
                    related=[(output.origin, "the sigmoid output layer")],
                )
