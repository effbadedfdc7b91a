"""LL005: a softmax output fed to a loss that applies its own softmax."""

from __future__ import annotations

import libcst as cst

from losslint.apis import Expects, Family
from losslint.kinds import Kind
from losslint.messages import drop_activation_fix, logits_behind, origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class SoftmaxBeforeLogitsLoss(Rule):
    """
    ## What it does
    Finds softmax probabilities passed to a loss that expects logits:
    `nn.CrossEntropyLoss` / `F.cross_entropy`, Keras losses with
    `from_logits=True` (also a model ending in `activation="softmax"` compiled
    with one), `tf.nn.softmax_cross_entropy_with_logits`, `optax.softmax_cross_entropy`.

    ## Why is this bad?
    These losses compute `log_softmax(z)` themselves: the multi-class cell of the
    table, `dL/dz = a - y`, is built in. Given `a = softmax(z)` instead of `z`,
    they take a softmax of probabilities. The outputs are squashed into a narrow
    band, the loss cannot fall much below `log(C) - 1`, and the gradients are
    scaled down by the second Jacobian: training stalls without an error.
    PyTorch runs `F.cross_entropy(F.softmax(x))` without a warning.

    ## Example
    ```python
    probs = F.softmax(model(x), dim=1)
    loss = F.cross_entropy(probs, y)
    ```

    ## Use instead
    ```python
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    ```
    (Keras: drop the final softmax, or drop `from_logits=True`.)

    ## References
    - PyTorch documentation, `torch.nn.CrossEntropyLoss`: "The input is expected to contain the unnormalized logits".
    - pytorch/pytorch#55902 (a request to warn about exactly this).
    """

    code = "LL005"
    name = "softmax-before-logits-loss"
    summary = "Softmax output fed to a loss that expects logits (CrossEntropyLoss, from_logits=True, *_with_logits)"
    fix_title = "Pass the logits; the loss applies the softmax itself"
    fix_safety = "mixed"
    FIX_NOTE = (
        "passes the softmax's input to the loss. Safe when the softmax is written inside the loss call; unsafe when it comes through a variable, which may be used elsewhere."
    )

    VALID = (
        """
import torch.nn.functional as F
def step(model, x, y):
    return F.cross_entropy(model(x), y)
""",
        """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy())
""",
        """
import torch
import torch.nn.functional as F
def step(logits, y):
    return F.nll_loss(F.log_softmax(logits, dim=1), y)
""",
    )
    INVALID = (
        """
import torch
from torch import nn
criterion = nn.CrossEntropyLoss()
def step(model, x, y):
    probs = torch.softmax(model(x), dim=1)
    return criterion(probs, y)  # LL005
""",
        """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # LL005
""",
        """
import jax
import optax
def loss_fn(logits, labels):
    return optax.softmax_cross_entropy(jax.nn.softmax(logits), labels).mean()  # LL005
""",
        """
import torch.nn.functional as F
from torch import nn
class Classifier(nn.Module):
    def __init__(self, width, classes):
        super().__init__()
        self.head = nn.Linear(width, classes)
        self.act = nn.Softmax(dim=1)
    def probabilities(self, x):
        return self.act(self.head(x))
    def loss(self, x, y):
        return F.cross_entropy(self.probabilities(x), y)  # LL005
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        facts = evidence.facts
        for use in facts.loss_uses.values():
            if use.expects is Expects.LOGITS and use.spec.family is not Family.BINARY:
                if facts.kind(use.prediction) is Kind.SOFTMAX_PROBS:
                    return True
        for use in facts.compiles.values():
            output = use.model.returns
            if use.expects is Expects.LOGITS and use.spec.family is not Family.BINARY:
                if output is not None and output.kind is Kind.SOFTMAX_PROBS:
                    return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        use = self.facts.loss_uses.get(node)
        if use is not None and use.expects is Expects.LOGITS and use.spec.family is not Family.BINARY:
            fact = self.facts.of(use.prediction)
            if fact is not None and fact.kind is Kind.SOFTMAX_PROBS:
                a = self.source(use.prediction)
                self.report(
                    node,
                    f"`{use.spec.name}` expects logits and applies a softmax itself, but {provenance(self, fact, a)}: "
                    f"softmax is applied twice and training stalls. Pass the logits{logits_behind(self, fact)}",
                    related=origin_note(fact, a),
                    fix=drop_activation_fix(self, use.prediction, fact),
                )
        compiled = self.facts.compiles.get(node)
        if compiled is not None and compiled.expects is Expects.LOGITS and compiled.spec.family is not Family.BINARY:
            output = compiled.model.returns
            if output is not None and output.kind is Kind.SOFTMAX_PROBS:
                self.report(
                    compiled.loss_argument,
                    f"`{compiled.spec.name}` with `from_logits=True` expects logits, but the model ends in a softmax "
                    f"({output.how}, line {self.line_of(output.origin)}): softmax is applied twice. Drop the final "
                    f"softmax activation, or drop `from_logits=True`",
                    related=[(output.origin, "the softmax output layer")],
                )
