"""LL011: probabilities, not log-probabilities, fed to a negative log-likelihood loss."""

from __future__ import annotations

import libcst as cst

from losslint.apis import Family
from losslint.kinds import Kind
from losslint.messages import logits_behind, origin_note, provenance
from losslint.rule import Rule
from losslint.screen.evidence import Evidence


class ProbabilitiesIntoNllLoss(Rule):
    """
    ## What it does
    Finds softmax (or sigmoid) probabilities passed to `nn.NLLLoss` / `F.nll_loss`.

    ## Why is this bad?
    `nll_loss` computes `-input[y]`: it expects `log a`, the log-probabilities of
    the multi-class cell `-sum_i y_i log a_i`. Given probabilities it computes
    `-a_y`, a loss bounded in [-1, 0] whose gradient with respect to `a` is a
    constant `-1`. It decreases a little and teaches the network almost nothing.

    ## Example
    ```python
    loss = F.nll_loss(F.softmax(logits, dim=1), y)
    ```

    ## Use instead
    ```python
    loss = F.nll_loss(F.log_softmax(logits, dim=1), y)
    # or, the same in one call:
    loss = F.cross_entropy(logits, y)
    ```

    ## References
    - PyTorch documentation, `torch.nn.NLLLoss`: "The input given through a forward call is expected to contain log-probabilities".
    """

    code = "LL011"
    name = "probabilities-into-nll-loss"
    summary = "Softmax probabilities (not log-probabilities) fed to NLLLoss / nll_loss"
    fix_title = "Use log_softmax before nll_loss, or cross_entropy on the logits"

    VALID = (
        """
import torch.nn.functional as F
def step(logits, y):
    return F.nll_loss(F.log_softmax(logits, dim=1), y)
""",
        """
import torch
from torch import nn
loss_fn = nn.NLLLoss()
def step(logits, y):
    return loss_fn(torch.log(torch.softmax(logits, dim=1).clamp(min=1e-12)), y)
""",
    )
    INVALID = (
        """
import torch.nn.functional as F
def step(logits, y):
    return F.nll_loss(F.softmax(logits, dim=1), y)  # LL011
""",
        """
from torch import nn
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.Softmax(dim=1)
        self.loss = nn.NLLLoss()
    def forward(self, logits, y):
        probs = self.act(logits)
        return self.loss(probs, y)  # LL011
""",
    )

    @classmethod
    def screen(cls, evidence: Evidence) -> bool:
        facts = evidence.facts
        for use in facts.loss_uses.values():
            if use.spec.family is Family.NEGATIVE_LOG_LIKELIHOOD:
                if facts.kind(use.prediction) in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
                    return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        use = self.facts.loss_uses.get(node)
        if use is None or use.spec.family is not Family.NEGATIVE_LOG_LIKELIHOOD:
            return
        fact = self.facts.of(use.prediction)
        if fact is None or fact.kind not in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
            return
        a = self.source(use.prediction)
        self.report(
            node,
            f"`{use.spec.name}` expects log-probabilities, but {provenance(self, fact, a)}: it computes `-{a}[y]`, "
            f"bounded in [-1, 0], and barely trains. Pass `log_softmax` of the logits{logits_behind(self, fact)}, "
            f"or use `cross_entropy` on the logits",
            related=origin_note(fact, a),
        )
