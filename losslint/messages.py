"""Phrases shared by the rules' messages, so every rule names values and origins the same way."""

from __future__ import annotations

from typing import List, Tuple

import libcst as cst

from losslint.kinds import Fact, Kind

_PHRASES = {
    Kind.SOFTMAX_PROBS: ("is", "a softmax output"),
    Kind.SIGMOID_PROBS: ("is", "a sigmoid output"),
    Kind.LOG_PROBS: ("holds", "log-probabilities"),
    Kind.LOGITS: ("holds", "logits"),
    Kind.ONE_HOT: ("holds", "one-hot labels"),
    Kind.CLASS_INDICES: ("holds", "class indices"),
    Kind.BINARY_LABELS: ("holds", "binary labels"),
}


def describe(kind: Kind) -> str:
    return _PHRASES.get(kind, ("holds", kind.value))[1]


def provenance(rule, fact: Fact, subject: str) -> str:
    """"`A2` is a softmax output (`softmax(...)`, line 12)"."""
    verb, noun = _PHRASES.get(fact.kind, ("holds", fact.kind.value))
    how = f"{fact.how}, " if fact.how else ""
    return f"`{subject}` {verb} {noun} ({how}line {rule.line_of(fact.origin)})"


def origin_note(fact: Fact, subject: str) -> List[Tuple[cst.CSTNode, str]]:
    """The related location a finding carries: where the value got its kind."""
    return [(fact.origin, f"`{subject}` becomes {describe(fact.kind)} here")]


def one_hot_hint(framework: str, labels: str, like: str) -> str:
    """How to one-hot encode ``labels`` to the shape of ``like``, in the library the code uses."""
    if framework == "torch":
        return f"`{labels}_one_hot = torch.nn.functional.one_hot({labels}, num_classes=C).float()`"
    if framework == "jax":
        return f"`{labels}_one_hot = jax.nn.one_hot({labels}, C)`"
    if framework in ("tensorflow", "keras"):
        return f"`{labels}_one_hot = tf.one_hot({labels}, C)`"
    return (
        f"`{labels}_one_hot = np.eye(C)[{labels}.ravel()].T` for `(C, m)` columns "
        f"(`np.eye(C)[{labels}]` for `(N, C)` rows)"
    )


def logits_behind(rule, fact: Fact) -> str:
    """`` (`logits`, the input of the activation on line 12)`` when that input is visible."""
    from losslint.apis import Role

    origin = fact.origin
    if not isinstance(origin, cst.Call) or rule.facts.role(origin) not in (Role.SOFTMAX, Role.SIGMOID):
        return ""
    if isinstance(origin.func, cst.Attribute) and rule.facts.imports.qualify(origin.func) is None:
        logits = origin.func.value  # `logits.softmax(dim=1)`
    elif origin.args and origin.args[0].keyword is None:
        logits = origin.args[0].value
    else:
        return ""
    return f" (`{rule.source(logits)}`, the input of the activation on line {rule.line_of(origin)})"
