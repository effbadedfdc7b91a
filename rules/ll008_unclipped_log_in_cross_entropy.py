"""LL008: log of probabilities in a cross-entropy with nothing keeping them away from 0."""

from __future__ import annotations

import libcst as cst

from losslint.kinds import PROBABILITY_KINDS
from losslint.messages import origin_note, provenance
from losslint.rule import Rule


class UnclippedLogInCrossEntropy(Rule):
    """
    ## What it does
    Finds `log(A)` inside a hand-written cross-entropy (`Y * log(A)`), where `A` is
    a softmax or sigmoid output that was never clipped (`np.clip`, `clamp`,
    `maximum(A, eps)`) and has no epsilon added.

    ## Why is this bad?
    A float64 sigmoid returns exactly 1.0 once `z > 37` and exactly 0.0 below
    about -745; a softmax underflows to 0 for a class far behind the others. The
    table's loss `-[y log a + (1-y) log(1-a)]` then evaluates `0 * log(0)` =
    `nan`, and one confident example turns the cost of the whole batch into `nan`.

    Off by default: course code takes `np.log(AL)` of unclipped activations all
    the time and usually gets away with it; turn it on with `--select LL008`.

    ## Example
    ```python
    cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    ```

    ## Use instead
    ```python
    eps = 1e-12
    A = np.clip(A, eps, 1 - eps)
    cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    ```
    or compute the loss from the logits with the library's stable loss.

    ## References
    - The seed document, "Appendix: Complete Implementation" (`binary_cross_entropy` with `epsilon`).
    """

    code = "LL008"
    name = "unclipped-log-in-cross-entropy"
    summary = "log(A) of unclipped probabilities in a hand-written cross-entropy (off by default)"
    fix_title = "Clip the probabilities to [eps, 1 - eps] before the log"
    default_enabled = False

    VALID = (
        """
import numpy as np
def cost(Z, Y, eps=1e-12):
    A = 1 / (1 + np.exp(-Z))
    A = np.clip(A, eps, 1 - eps)
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
""",
        """
import torch
def loss(logits, y):
    p = torch.sigmoid(logits)
    return -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p + 1e-7)).mean()
""",
    )
    INVALID = (
        """
import numpy as np
def cost(Z, Y):
    A = 1 / (1 + np.exp(-Z))
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # LL008
""",
        """
import numpy as np
def loss(Z, onehot):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    return -np.sum(onehot * np.log(p)) / Z.shape[1]  # LL008
""",
    )

    def visit_Call(self, node: cst.Call) -> None:
        probabilities = self.facts.cross_entropy_logs.get(node)
        if probabilities is None:
            return
        fact = self.facts.of(probabilities)
        if fact is None or fact.kind not in PROBABILITY_KINDS or fact.guarded:
            return
        if self.facts.from_library_softmax(fact):
            return  # LL007 reports it, with the better fix: log_softmax
        a = self.source(probabilities)
        self.report(
            node,
            f"`log({a})` in a cross-entropy with nothing keeping `{a}` away from 0: {provenance(self, fact, a)}. "
            f"A saturated output gives `log(0)` and a nan cost; clip first, {_clip_spelling(fact.framework, a)}",
            related=origin_note(fact, a),
        )


def _clip_spelling(framework: str, a: str) -> str:
    if framework == "torch":
        return f"`{a} = {a}.clamp(eps, 1 - eps)` with `eps = 1e-7`"
    if framework in ("tensorflow", "keras"):
        return f"`{a} = tf.clip_by_value({a}, eps, 1 - eps)` with `eps = 1e-7`"
    if framework == "jax":
        return f"`{a} = jnp.clip({a}, eps, 1 - eps)` with `eps = 1e-7`"
    return f"`{a} = np.clip({a}, eps, 1 - eps)` with `eps = 1e-12`"
