"""LL003: a sigmoid output fed to categorical cross-entropy."""

from __future__ import annotations

import libcst as cst

from losslint.apis import Expects, Family
from losslint.kinds import Kind
from losslint.messages import origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class SigmoidHeadWithCategoricalCrossEntropy(Rule):
    """
    ## What it does
    Finds a sigmoid output passed to a categorical cross-entropy: a hand-written
    `-sum(Y * log(A))` with no `(1 - Y) * log(1 - A)` term, a function of the
    module that computes one, `keras.losses.categorical_crossentropy` /
    `CategoricalCrossentropy`, `nn.CrossEntropyLoss` / `F.cross_entropy`, or a
    Keras model whose last layer has `activation="sigmoid"` compiled with
    `loss="categorical_crossentropy"`.

    ## Why is this bad?
    Categorical cross-entropy `-sum_i y_i log a_i` assumes the `a_i` form one
    distribution that sums to 1, which a softmax guarantees. Independent sigmoids
    do not: the loss only rewards raising the true class and never penalises the
    others, so every output drifts towards 1 and the predicted class is noise.
    A sigmoid head belongs with binary cross-entropy
    `-[y log a + (1-y) log(1-a)]`, one term per output (multi-label included).

    ## Example
    ```python
    A = sigmoid(Z)                       # (5, m)
    cost = -np.sum(Y * np.log(A)) / m
    ```

    ## Use instead
    ```python
    A = softmax(Z)                       # mutually exclusive classes
    cost = -np.sum(Y * np.log(A)) / m
    ```
    or keep the sigmoid and use binary cross-entropy:
    `-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))`.

    ## References
    - The seed document, "Common Pitfalls 4: Loss Function Mismatch".
    - Bishop, *Pattern Recognition and Machine Learning* (2006), section 4.3.4.
    """

    code = "LL003"
    name = "sigmoid-head-with-categorical-cross-entropy"
    summary = "Sigmoid output fed to categorical cross-entropy (-sum(y log a), CrossEntropyLoss, ...)"
    fix_title = "Use softmax for exclusive classes, or binary cross-entropy for a sigmoid head"

    VALID = (
        """
import numpy as np
def cost(Z, Y):
    A = 1 / (1 + np.exp(-Z))
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
""",
        """
import torch
import torch.nn.functional as F
def loss(logits, targets):
    return F.binary_cross_entropy(torch.sigmoid(logits), targets)
""",
        """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(5, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
""",
        """
import numpy as np
def cost(A, Y):
    return -np.sum(Y * np.log(A))
""",
    )
    INVALID = (
        """
import numpy as np
from scipy.special import expit
def cost(Z, Y):
    A = expit(Z)
    return -np.sum(Y * np.log(A)) / Z.shape[1]  # LL003
""",
        """
import numpy as np
def categorical_cross_entropy(A, Y):
    return -np.mean(np.sum(Y * np.log(A), axis=0))
def train(Z, Y):
    A = 1 / (1 + np.exp(-Z))
    return categorical_cross_entropy(A, Y)  # LL003
""",
        """
import torch
from torch import nn
criterion = nn.CrossEntropyLoss()
def step(logits, y):
    return criterion(torch.sigmoid(logits), y)  # LL003
""",
        """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="sigmoid")])
model.compile(optimizer="adam", loss="categorical_crossentropy")  # LL003
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        if Kind.SIGMOID_PROBS not in evidence.kinds and not evidence.facts.compiles:
            return False
        facts = evidence.facts
        for log in facts.categorical_logs.values():
            fact = facts.of(log.probabilities)
            if fact is not None and fact.kind is Kind.SIGMOID_PROBS and not fact.inherited_by:
                return True
        if any(facts.kind(use.argument) is Kind.SIGMOID_PROBS for use in facts.user_loss_calls.values()):
            return True
        for use in facts.loss_uses.values():
            if use.spec.family is Family.CATEGORICAL and facts.kind(use.prediction) is Kind.SIGMOID_PROBS:
                return True
        for use in facts.compiles.values():
            output = use.model.returns
            if use.spec.family is Family.CATEGORICAL and output is not None and output.kind is Kind.SIGMOID_PROBS:
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        facts = self.facts
        if node in facts.categorical_logs:
            self._hand_written(node)
        elif node in facts.user_loss_calls:
            self._user_function(node)
        elif node in facts.loss_uses:
            self._library_loss(node)
        elif node in facts.compiles:
            self._compiled_model(node)

    def _hand_written(self, node: cst.Call) -> None:
        use = self.facts.categorical_logs[node]
        fact = self.facts.of(use.probabilities)
        if fact is None or fact.kind is not Kind.SIGMOID_PROBS or fact.inherited_by:
            return  # a parameter's kind comes from its callers, and the call is where it is reported
        a = self.source(use.probabilities)
        self.report(
            node,
            f"categorical cross-entropy `-sum(Y * log({a}))` on a sigmoid output: {provenance(self, fact, a)}. "
            f"Independent sigmoids do not sum to 1, so this loss never penalises the wrong classes; "
            f"use a softmax head for exclusive classes, or binary cross-entropy "
            f"`Y * log({a}) + (1 - Y) * log(1 - {a})` for a sigmoid head",
            related=origin_note(fact, a),
        )

    def _user_function(self, node: cst.Call) -> None:
        use = self.facts.user_loss_calls[node]
        fact = self.facts.of(use.argument)
        if fact is None or fact.kind is not Kind.SIGMOID_PROBS:
            return
        a = self.source(use.argument)
        self.report(
            node,
            f"`{use.function}` computes categorical cross-entropy `-sum(Y * log(A))` (line "
            f"{self.line_of(use.function_node)}) and is given a sigmoid output: {provenance(self, fact, a)}. "
            f"Use a softmax head for exclusive classes, or a binary cross-entropy for a sigmoid head",
            related=origin_note(fact, a) + [(use.function_node, f"`{use.function}` is defined here")],
        )

    def _library_loss(self, node: cst.Call) -> None:
        use = self.facts.loss_uses[node]
        if use.spec.family is not Family.CATEGORICAL:
            return
        fact = self.facts.of(use.prediction)
        if fact is None or fact.kind is not Kind.SIGMOID_PROBS:
            return
        a = self.source(use.prediction)
        wanted = "logits" if use.expects is Expects.LOGITS else "softmax probabilities"
        self.report(
            node,
            f"`{use.spec.name}` is categorical cross-entropy, which expects {wanted}, and is given a sigmoid output: "
            f"{provenance(self, fact, a)}. For exclusive classes pass "
            f"{'the logits' if use.expects is Expects.LOGITS else 'a softmax output'}; for a sigmoid head use "
            f"a binary cross-entropy loss",
            related=origin_note(fact, a),
        )

    def _compiled_model(self, node: cst.Call) -> None:
        use = self.facts.compiles[node]
        if use.spec.family is not Family.CATEGORICAL:
            return
        output = use.model.returns
        if output is None or output.kind is not Kind.SIGMOID_PROBS:
            return
        self.report(
            use.loss_argument,
            f"the model's last layer is a sigmoid ({output.how}, line {self.line_of(output.origin)}) but it is "
            f"compiled with categorical cross-entropy (`{use.spec.name}`). For exclusive classes end with "
            f'`activation="softmax"`; for independent labels use `loss="binary_crossentropy"`',
            related=[(output.origin, "the sigmoid output layer")],
        )
