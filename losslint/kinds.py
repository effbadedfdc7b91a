"""What an expression holds, as the value-kind analysis knows it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Optional, Tuple

import libcst as cst

from losslint.apis import LossSpec


class Kind(Enum):
    # Values the rules reason about.
    SOFTMAX_PROBS = "softmax output"
    SIGMOID_PROBS = "sigmoid output"
    LOG_PROBS = "log-probabilities"
    LOGITS = "logits"
    ONE_HOT = "one-hot labels"
    CLASS_INDICES = "class indices"
    BINARY_LABELS = "binary labels"
    # Building blocks of a hand-written softmax, for the stability rule.
    EXP = "exponential"
    EXP_SUM = "sum of exponentials"
    SHIFTED = "max-shifted values"
    MAX = "maximum"
    LOGIT_GRADIENT = "gradient with respect to the logits"  # `A - Y` with A a probability
    ACTIVATION_DERIVATIVE = "activation derivative"  # `s * (1 - s)` with s a sigmoid output
    COMPLEMENT = "one minus a value"  # `1 - A`: base is A, for telling binary from categorical cross-entropy
    LOGSUMEXP = "log-sum-exp"
    # Intermediate values the analysis needs to recognise shapes.
    EYE = "identity matrix"
    ZEROS = "zeros"
    ARANGE = "range"
    RNG = "random generator"
    PARAMETER = "function parameter"
    STRING = "string constant"
    TUPLE = "tuple"
    CALLABLE = "callable"  # a layer, module or model; `returns` says what calling it gives
    LOSS = "loss object"
    ENCODER = "label encoder"


PROBABILITY_KINDS = frozenset({Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS})


@dataclass(frozen=True)
class Fact:
    """A kind, with the node that produced it so that messages can say where it came from."""

    kind: Kind
    origin: cst.CSTNode
    how: str = ""  # "`softmax(...)`", "a hand-written softmax": how the kind arose, for messages
    framework: str = "numpy"
    # EXP / EXP_SUM / SHIFTED / MAX / COMPLEMENT: the code of the value they are built on.
    base: str = ""
    shifted: bool = False
    # EXP_SUM: the origin of the exponential summed; COMPLEMENT: the origin of the `A` in `1 - A`.
    derived_from: Optional[cst.CSTNode] = None
    # PARAMETER: its position in the function's parameters.
    index: int = -1
    # TUPLE: the facts of the items; CALLABLE: the fact of what calling it gives.
    items: Tuple[Optional["Fact"], ...] = field(default_factory=tuple)
    returns: Optional["Fact"] = None
    # LOSS: the loss the object computes, and whether it was told it gets logits.
    loss: Optional[LossSpec] = None
    from_logits: Optional[bool] = None
    # A probability from `f(..., activation="softmax")` of an unseen f: it is the first of what f returns.
    unpacks_first: bool = False
    # Set when a parameter took this fact over from every call site: the parameter's name.
    inherited_by: str = ""
    # Probabilities passed through clip / maximum / `+ eps`: safe to take the log of.
    guarded: bool = False
    # MAX / SHIFTED / EXP / EXP_SUM: the axis text of the reduction ("" when none was given).
    axis: Optional[str] = None

    def with_origin(self, origin: cst.CSTNode) -> "Fact":
        return replace(self, origin=origin)


def same_kind(a: Optional[Fact], b: Optional[Fact]) -> bool:
    if a is None or b is None:
        return a is b
    if a.kind is not b.kind:
        return False
    if a.kind is Kind.TUPLE:
        return len(a.items) == len(b.items) and all(same_kind(x, y) for x, y in zip(a.items, b.items))
    if a.kind is Kind.CALLABLE:
        return same_kind(a.returns, b.returns)
    if a.kind is Kind.PARAMETER:
        return a.index == b.index
    if a.kind in (Kind.EXP, Kind.EXP_SUM, Kind.SHIFTED):
        return a.base == b.base and a.shifted == b.shifted
    return True
