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
    logits = activation_input(rule, fact.origin)
    if logits is None:
        return ""
    return f" (`{rule.source(logits)}`, the input of the activation on line {rule.line_of(fact.origin)})"


def activation_input(rule, call: cst.CSTNode):
    """The logits a library softmax or sigmoid call was given, when the call shows them."""
    from losslint.apis import Role

    if not isinstance(call, cst.Call) or rule.facts.role(call) not in (Role.SOFTMAX, Role.SIGMOID):
        return None
    if isinstance(call.func, cst.Attribute) and rule.facts.imports.qualify(call.func) is None:
        return call.func.value
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


def drop_activation_fix(rule, prediction: cst.BaseExpression, fact: Fact):
    """Pass the logits to a loss that applies the activation itself.

    Safe when the activation is written inside the loss call: its output exists
    nowhere else. Unsafe when it comes through a variable: the variable may be
    used elsewhere, and the logits' name must still hold the same value there.
    """
    logits = activation_input(rule, fact.origin)
    if logits is None:
        return None
    text = rule.source(logits)
    if prediction is fact.origin:
        return rule.fix([(prediction, text)], title=f"Pass `{text}`, the logits", safe=True)
    if not isinstance(logits, cst.Name):
        return None
    name = rule.source(prediction)
    return rule.fix(
        [(prediction, text)],
        title=f"Pass `{text}` instead of `{name}`",
        safe=False,
        why_unsafe=f"`{name}` may be used elsewhere, and `{text}` must still hold the logits at this call",
    )
