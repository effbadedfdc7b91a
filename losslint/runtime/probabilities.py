"""check_probabilities: sigmoid and softmax outputs, and why they fail."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import switch
from .backends import ops_for
from .errors import raise_check_error
from .fast import fast_clean
from .layout import Layout, resolve_class_axis, size
from .precision import sum_tolerance
from .tally import Tally
from .wording import (
    clip_epsilon,
    count_of,
    describe,
    entry_text,
    index_text,
    keepdims_sum,
    number,
    terms,
)

_ACTIVATIONS = ("sigmoid", "softmax")


def check_probabilities(a: Any, *, activation: str, axis: int = 0, name: str = "A") -> None:
    """Check that ``a`` holds probabilities as ``activation`` produces them.

    ``activation="sigmoid"``: every entry finite and strictly inside (0, 1).
    ``activation="softmax"``: every entry finite and strictly positive, and
    every example summing to 1 along the class axis ``axis`` within a
    tolerance suited to the dtype (about 1.5e-8 for float64, 3.5e-4 for
    float32, 3e-2 for float16, growing with the number of classes).

    An entry that is exactly 0 (or exactly 1 for sigmoid) is reported: the
    cross-entropy takes ``log(0) = -inf`` there.  The message names ``name``,
    its shape and dtype, how many examples fail, the worst value and its
    index, and the likely cause (logits instead of probabilities, a softmax
    normalised over the wrong axis, sigmoid outputs given to a softmax loss).

    Returns ``None``; raises :class:`LossCheckError` on a bad input and
    ``ValueError`` on a bad ``activation``.
    """
    if not switch.enabled:
        return
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'sigmoid' or 'softmax', not {activation!r}")
    ops, a = ops_for(a)
    verify_probabilities(ops, a, activation, axis, name)


def verify_probabilities(ops: Any, a: Any, activation: str, axis: int, name: str) -> None:
    """:func:`check_probabilities` for an array already paired with its library's ``ops``."""
    shape = ops.shape(a)
    if activation == "softmax":
        class_axis: int | None = resolve_class_axis(shape, axis, name, "a softmax output")
    else:
        class_axis = resolve_class_axis(shape, axis, name, "a sigmoid output") if len(shape) >= 2 else None
    if size(shape) == 0 or ops.is_abstract(a):
        return
    if fast_clean(ops, a, activation, class_axis if class_axis is not None else 0):
        return
    _explain_probabilities(ops, a, Layout(shape, class_axis), activation, name)


def _scan_probabilities(ops: Any, a: Any, layout: Layout, activation: str, tolerance: float) -> dict:
    found = {kind: Tally() for kind in ("nonfinite", "outside", "zero", "one", "sum")}
    axis = layout.class_axis
    for chunk, start in layout.chunks(a):
        finite = ops.isfinite(chunk)
        nonfinite_per_example = ops.host(ops.count(~finite, axis))
        example_shape = nonfinite_per_example.shape

        def entry(class_indices: np.ndarray) -> Callable[[int], tuple]:
            def where(flat: int) -> tuple:
                example = layout.example_index(example_shape, flat, start)
                index = layout.location(example, class_indices.reshape(-1)[flat])
                return index, ops.item(a, index)

            return where

        has_nonfinite = nonfinite_per_example > 0
        if has_nonfinite.any():
            first = ops.host(ops.argmax(~finite, axis))
            found["nonfinite"].add(has_nonfinite, 0.0, entry(first))
        safe = ops.where(finite, chunk, 0.5)
        lows = ops.host(ops.amin(safe, axis))
        highs = ops.host(ops.amax(safe, axis))
        below, above = lows < 0, highs > 1
        if below.any() or above.any():
            low_at = ops.host(ops.argmin(safe, axis))
            high_at = ops.host(ops.argmax(safe, axis))
            # Report the entry furthest outside [0, 1], whichever side it is on.
            low_is_worse = -lows.astype(np.float64) >= highs.astype(np.float64) - 1
            worst_at = np.where(low_is_worse, low_at, high_at)
            distance = np.maximum(-lows.astype(np.float64), highs.astype(np.float64) - 1)
            found["outside"].add(below | above, distance, entry(worst_at))
        if (lows == 0).any():
            found["zero"].add(lows == 0, 0.0, entry(ops.host(ops.argmin(safe, axis))))
        if activation == "sigmoid" and (highs == 1).any():
            found["one"].add(highs == 1, 0.0, entry(ops.host(ops.argmax(safe, axis))))
        if activation == "softmax":
            sums = ops.host(ops.sum(chunk, axis)).astype(np.float64)
            deviation = np.abs(sums - 1.0)
            off = ~has_nonfinite & (deviation > tolerance)

            def example_sum(flat: int) -> tuple:
                example = layout.example_index(example_shape, flat, start)
                return layout.example_location(example), float(sums.reshape(-1)[flat])

            found["sum"].add(off, deviation, example_sum)
    return found


def _axis_sums_near_one(ops: Any, a: Any, axis: int | None, tolerance: float) -> bool:
    sums = ops.host(ops.sum(a, axis)).astype(np.float64)
    return bool(np.all(np.abs(sums - 1.0) <= tolerance))


def _explain_probabilities(ops: Any, a: Any, layout: Layout, activation: str, name: str) -> None:
    described = describe(ops, a, name)
    one, many = terms(layout)
    total = layout.n_examples
    eps = ops.eps(a) if ops.kind(a) in "fc" else 2.0**-52
    axis = layout.class_axis

    if activation == "softmax":
        tolerance = sum_tolerance(eps, layout.n_classes)
        header = f"{described}, classes along axis {axis}, is not a valid softmax output."
        expected = (
            f"finite probabilities in (0, 1], each {one} summing to 1 along axis {axis} "
            f"(tolerance {tolerance:.2g} for {ops.dtype_name(a)})."
        )
        if layout.n_classes < 2:
            raise_check_error(
                header,
                expected,
                [f"{name} has {layout.n_classes} class along axis {axis}: a softmax over a "
                 f"single class is identically 1, its loss is 0 and its gradient A - Y "
                 f"carries no signal."],
                ["For two classes use one sigmoid unit with binary cross-entropy "
                 "(activation='sigmoid', loss='bce'); if the classes lie along another "
                 "axis, pass that axis (axis=1 for (examples, classes) rows)."],
            )
    else:
        tolerance = 0.0
        header = f"{described} is not a valid sigmoid output."
        expected = "finite probabilities strictly between 0 and 1, as sigmoid produces."

    found_lines: list = []
    fixes: list = []
    if ops.kind(a) not in "fc":
        found_lines.append(
            f"{name} has integer dtype {ops.dtype_name(a)}; probabilities are floats "
            f"(are these the labels?)"
        )
        fixes.append(
            f"Pass the activation's output, e.g. {name} = {activation}(Z), and the labels separately."
        )
    found = _scan_probabilities(ops, a, layout, activation, tolerance)

    if found["nonfinite"]:
        t = found["nonfinite"]
        found_lines.append(
            f"{count_of(t.count, total, one, many, 'contain')} NaN or inf; first: "
            f"{entry_text(name, t)}"
        )
        if activation == "softmax":
            fixes.append(
                f"Shift the logits before exponentiating so exp cannot overflow: "
                f"E = np.exp(Z - Z.max(axis={axis}, keepdims=True)); "
                f"{name} = {keepdims_sum(axis)}. A NaN that entered earlier (Z, the weights) "
                f"shows up here too."
            )
        else:
            fixes.append(
                "Use a numerically stable sigmoid (scipy.special.expit, torch.sigmoid); "
                "a NaN that entered earlier (Z, the weights) shows up here too."
            )
    if found["outside"]:
        t = found["outside"]
        found_lines.append(
            f"{count_of(t.count, total, one, many, 'hold')} values outside [0, 1]; worst: "
            f"{entry_text(name, t)}"
        )
        fixes.append(
            f"{name} looks like logits Z or log-probabilities, not probabilities: apply the "
            f"activation first ({name} = {activation}(Z)), or give the logits to a loss that "
            f"expects logits."
        )
    log_risk = []
    if found["zero"]:
        t = found["zero"]
        where = index_text(name, t.index)
        log_risk.append(f"exactly 0 in {count_of(t.count, total, one, many)} (first {where})")
    if found["one"]:
        t = found["one"]
        where = index_text(name, t.index)
        log_risk.append(f"exactly 1 in {count_of(t.count, total, one, many)} (first {where})")
    if log_risk:
        logs = f"log({name})" if activation == "softmax" else f"log({name}) or log(1 - {name})"
        found_lines.append("; ".join(log_risk) + f": {logs} is -inf there, and 0 * log(0) is nan")
        clip = clip_epsilon(eps)
        fixes.append(
            f"Clip before the log, {name} = np.clip({name}, {clip}, 1 - {clip}), or compute the "
            f"loss from the logits ("
            + ("log-softmax: Z - logsumexp(Z)" if activation == "softmax" else "BCE-with-logits")
            + ")."
        )
    if found["sum"]:
        t = found["sum"]
        found_lines.append(
            f"{count_of(t.count, total, one, many, 'do')} not sum to 1 along axis {axis}; worst: "
            f"{index_text(name, t.index)} sums to {number(t.value)}"
        )
        fixes.append(_explain_bad_sums(ops, a, layout, name, tolerance, found))
    if not found_lines:
        return
    raise_check_error(header, expected, found_lines, fixes)


def _explain_bad_sums(
    ops: Any, a: Any, layout: Layout, name: str, tolerance: float, found: dict
) -> str:
    axis = layout.class_axis
    normalise = f"E = np.exp(Z - Z.max(axis={axis}, keepdims=True)); {name} = {keepdims_sum(axis)}"
    if len(layout.shape) == 2:
        other = 1 - axis
        other_tolerance = sum_tolerance(ops.eps(a), layout.shape[other])
        if _axis_sums_near_one(ops, a, other, other_tolerance):
            return (
                f"{name} sums to 1 along axis {other}, not along axis {axis}: the softmax "
                f"normalised over the examples. Write {normalise}; or, if the classes really "
                f"lie along axis {other}, pass axis={other} to the check."
            )
    if _axis_sums_near_one(ops, a, None, sum_tolerance(ops.eps(a), size(layout.shape))):
        return (
            f"{name} sums to 1 over the whole array: the normaliser was summed without an "
            f"axis. Write {normalise}."
        )
    if not (found["outside"] or found["nonfinite"]) and found["sum"].count * 2 > layout.n_examples:
        return (
            f"Every entry lies in [0, 1] but the sums do not: {name} looks like sigmoid "
            f"outputs. Mutually exclusive classes need softmax with categorical cross-entropy "
            f"({normalise}); independent yes/no outputs need sigmoid with binary "
            f"cross-entropy (activation='sigmoid', loss='bce')."
        )
    return f"Normalise along the class axis: {normalise}."
