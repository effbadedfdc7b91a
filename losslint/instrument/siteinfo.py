"""A site as the run-time side sees it: plain values, so that checking never needs LibCST."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

# What each kind of site checks; the rule code is the static rule it stands for.
GRADIENT = "gradient"  # A - Y
BCE_DERIVATIVE = "bce_derivative"  # -(Y/A - (1-Y)/(1-A))
CATEGORICAL_CROSS_ENTROPY = "categorical_cross_entropy"  # Y * log(A), no log(1 - A) beside it
BINARY_CROSS_ENTROPY = "binary_cross_entropy"  # Y * log(A) + (1 - Y) * log(1 - A)
LOSS_CALL = "loss_call"  # F.cross_entropy(input, target), nn.NLLLoss()(...), keras losses
SOFTMAX_OUTPUT = "softmax_output"  # exp(z) / sum(exp(z)) without a max-shift


@dataclass(frozen=True)
class SiteInfo:
    """What the check at run time needs to know about a site: plain values, no tree."""

    check: str
    code: str
    path: str
    line: int
    column: int
    text: str  # the site's source, shortened
    roles: Tuple[str, ...]  # "probabilities", "labels", "prediction", "target", "value", in evaluation order
    names: Tuple[str, ...]  # each operand's source, for messages
    activation: str = ""  # "softmax" / "sigmoid" when the analysis knows where the probabilities came from
    origin: str = ""  # how the analysis knows it: "`softmax(...)` on line 12"
    loss: str = ""  # LOSS_CALL: the loss's name, what it expects and which labels it needs
    expects: str = ""
    family: str = ""
    labels: str = ""
    framework: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def site_key(prefix: str, index: int) -> str:
    """The name a tap gives its site: unique to the module's path and bytes, stable between runs."""
    return f"{prefix}{index}"
