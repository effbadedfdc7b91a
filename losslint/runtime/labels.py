"""check_labels: binary, one-hot and class-index labels, and why they fail."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import switch
from .backends import ops_for
from .errors import LossCheckError, raise_check_error
from .fast import fast_clean
from .layout import Layout, resolve_class_axis, size
from .tally import Tally
from .wording import axis_argument, count_of, describe, entry_text, index_text, number, terms

_ENCODINGS = ("binary", "one_hot", "indices")


def check_labels(
    y: Any,
    *,
    encoding: str,
    n_classes: int | None = None,
    axis: int = 0,
    name: str = "Y",
) -> None:
    """Check that ``y`` holds labels in the given ``encoding``.

    ``encoding="binary"``: every value 0 or 1 (bool, integer or float).
    ``encoding="one_hot"``: along the class axis ``axis``, exactly one 1 per
    example and 0 elsewhere; with ``n_classes`` the class axis must have that
    length.
    ``encoding="indices"``: whole numbers (integers, or floats with no
    fractional part) in ``[0, n_classes)``; without ``n_classes`` only
    ``>= 0``.  ``axis`` does not apply to indices, which have no class axis.

    The message names the array, its shape and dtype, how many examples (or
    entries) fail, the first or worst offender and its index, and the likely
    cause ({-1, 1} labels, class indices where one-hot was expected, 1-based
    labels, soft labels).

    Returns ``None``; raises :class:`LossCheckError` on bad labels and
    ``ValueError`` on a bad ``encoding``.
    """
    if not switch.enabled:
        return
    if encoding not in _ENCODINGS:
        raise ValueError(f"encoding must be 'binary', 'one_hot' or 'indices', not {encoding!r}")
    ops, y = ops_for(y)
    verify_labels(ops, y, encoding, n_classes, axis, name)


def verify_labels(ops: Any, y: Any, encoding: str, n_classes: int | None, axis: int, name: str) -> None:
    """:func:`check_labels` for an array already paired with its library's ``ops``."""
    shape = ops.shape(y)
    if encoding == "one_hot":
        class_axis: int | None = resolve_class_axis(shape, axis, name, "one-hot labels")
        if n_classes is not None and shape[class_axis] not in (n_classes, 1):
            raise LossCheckError(
                f"{describe(ops, y, name)} has {shape[class_axis]} classes along axis "
                f"{class_axis}, but n_classes={n_classes}.\n"
                f"Build the one-hot labels with the model's number of classes: "
                f"runtime.one_hot(indices, {n_classes}{axis_argument(class_axis)})."
            )
    elif encoding == "binary" and len(shape) >= 2:
        class_axis = resolve_class_axis(shape, axis, name, "binary labels")
    else:
        class_axis = None
    if size(shape) == 0 or ops.is_abstract(y):
        return
    if fast_clean(ops, y, encoding, class_axis if class_axis is not None else 0, n_classes):
        return
    explain_labels(ops, y, Layout(shape, class_axis), encoding, n_classes, name)


def _scan_labels(ops: Any, y: Any, layout: Layout, n_classes: int | None, encoding: str) -> dict:
    """Tally label problems; for one-hot the unit is an example, otherwise an entry."""
    found = {name: Tally() for name in (
        "nonfinite", "fraction", "negative", "too_large", "no_one", "many_ones", "not_binary",
    )}
    values = {"minus_one": 0, "one": 0}
    low, high = math.inf, -math.inf
    axis = layout.class_axis
    is_float = ops.kind(y) in "fc"
    for chunk, start in layout.chunks(y):
        finite = ops.isfinite(chunk) if is_float else None
        safe = ops.where(finite, chunk, 0) if is_float else chunk
        zero_mask = chunk == 0
        one_mask = chunk == 1
        not_binary = ~(zero_mask | one_mask)
        values["one"] += int(ops.scalars(ops.count(one_mask))[0])
        values["minus_one"] += int(ops.scalars(ops.count(chunk == -1))[0])
        chunk_low, chunk_high = ops.scalars(ops.amin(safe), ops.amax(safe))
        low, high = min(low, chunk_low), max(high, chunk_high)
        per_example_shape = tuple(n for i, n in enumerate(ops.shape(chunk)) if i != axis)

        def entry(class_indices: np.ndarray) -> Callable[[int], tuple]:
            def where(flat: int) -> tuple:
                example = layout.example_index(per_example_shape, flat, start)
                index = layout.location(example, class_indices.reshape(-1)[flat])
                return index, ops.item(y, index)

            return where

        if is_float:
            nonfinite = ~finite
            mask = ops.host(ops.count(nonfinite, axis)) > 0
            if mask.any():
                found["nonfinite"].add(mask, 0.0, entry(ops.host(ops.argmax(nonfinite, axis))))
            fractional = finite & (chunk != ops.floor(safe))
            mask = ops.host(ops.count(fractional, axis)) > 0
            if mask.any():
                found["fraction"].add(mask, 0.0, entry(ops.host(ops.argmax(fractional, axis))))
        lows = ops.host(ops.amin(safe, axis))
        if (lows < 0).any():
            low_at = ops.host(ops.argmin(safe, axis))
            found["negative"].add(lows < 0, -lows.astype(np.float64), entry(low_at))
        highs = ops.host(ops.amax(safe, axis)).astype(np.float64)
        limit = 1 if encoding != "indices" else (math.inf if n_classes is None else n_classes - 1)
        if (highs > limit).any():
            found["too_large"].add(highs > limit, highs, entry(ops.host(ops.argmax(safe, axis))))
        if encoding == "one_hot":
            nonzero = ops.host(ops.count(~zero_mask, axis))
            found["no_one"].add(nonzero == 0, 0.0, lambda flat: (
                layout.example_location(layout.example_index(per_example_shape, flat, start)), 0))
            bad_values = ops.host(ops.count(not_binary, axis)) > 0
            many = (nonzero > 1) & ~bad_values
            found["many_ones"].add(many, 0.0, lambda flat: (
                layout.example_location(layout.example_index(per_example_shape, flat, start)),
                int(nonzero.reshape(-1)[flat])))
            found["not_binary"].add(bad_values, 0.0, entry(ops.host(ops.argmax(not_binary, axis))))
        elif encoding == "binary":
            mask = ops.host(ops.count(not_binary, axis)) > 0
            found["not_binary"].add(mask, 0.0, entry(ops.host(ops.argmax(not_binary, axis))))
    found["values"] = values
    found["range"] = (low, high)
    return found


def explain_labels(
    ops: Any, y: Any, layout: Layout, encoding: str, n_classes: int | None, name: str
) -> None:
    """Raise the :class:`LossCheckError` that says what is wrong with labels the fast path refused."""
    described = describe(ops, y, name)
    one, many = terms(layout)
    total = layout.n_examples
    axis = layout.class_axis
    dtype_kind = ops.kind(y)
    if dtype_kind not in "biuf":
        raise LossCheckError(
            f"{described} cannot hold labels: its dtype is not boolean, integer or float."
        )

    if encoding == "one_hot" and layout.n_classes == 1:
        low, high = ops.scalars(ops.amin(y), ops.amax(y))
        classes = f"{n_classes}" if n_classes else "C"
        raise_check_error(
            f"{described} is not one-hot along axis {axis}.",
            f"one-hot labels: exactly one 1 per {one} along axis {axis}, the rest 0.",
            [f"{name} has a single entry per example along axis {axis} (values "
             f"{number(low)}..{number(high)}): it looks like class indices, not one-hot"],
            [f"{name}_one_hot = runtime.one_hot({name}, {classes}{axis_argument(axis)})"
             + ("" if n_classes else "   # C = the number of classes")],
        )

    found = _scan_labels(ops, y, layout, n_classes, encoding)
    values = found["values"]
    low, high = found["range"]
    found_lines: list = []
    fixes: list = []
    unit = (one, many)

    if found["nonfinite"]:
        t = found["nonfinite"]
        found_lines.append(
            f"{count_of(t.count, total, *unit, 'contain')} NaN or inf; first: {entry_text(name, t)}"
        )
        fixes.append(f"Find where NaN entered {name} (missing labels?) and drop or fill those examples.")

    if encoding == "binary":
        header = f"{described} does not hold binary labels."
        expected = "labels in {0, 1}, as binary cross-entropy needs."
        if found["not_binary"]:
            t = found["not_binary"]
            found_lines.append(
                f"{count_of(t.count, total, *unit, 'hold')} values other than 0 and 1; first: "
                f"{entry_text(name, t)}"
            )
        signs = values["minus_one"] + values["one"]
        only_signs = values["minus_one"] > 0 and signs == size(layout.shape)
        if only_signs:
            found_lines.append("the values are {-1, 1}: the +/-1 convention of SVMs and tanh outputs")
            fixes.append(f"{name} = ({name} + 1) / 2   # maps -1 -> 0 and 1 -> 1")
        elif found["too_large"] and not found["fraction"] and low >= 0:
            found_lines.append(f"whole values up to {number(high)}: {name} looks like class indices")
            fixes.append(
                f"For more than two classes use softmax with categorical cross-entropy and "
                f"{name}_one_hot = runtime.one_hot({name}, {int(high) + 1}) (or more classes)."
            )
        elif found["fraction"] and low >= 0 and high <= 1:
            fixes.append(
                f"{name} holds values strictly between 0 and 1: soft targets or probabilities. "
                f"If these are predictions, the arguments are swapped; hard labels come from "
                f"({name} > 0.5)."
            )
        elif found["not_binary"]:
            fixes.append("Map the labels to {0, 1} before the loss.")
    elif encoding == "one_hot":
        header = f"{described} is not one-hot along axis {axis}."
        expected = f"exactly one 1 per {one} along axis {axis}, every other entry 0."
        if found["no_one"]:
            t = found["no_one"]
            where = index_text(name, t.index)
            found_lines.append(f"{count_of(t.count, total, *unit, 'have')} no 1 at all; first: {where}")
        if found["many_ones"]:
            t = found["many_ones"]
            where = index_text(name, t.index)
            found_lines.append(
                f"{count_of(t.count, total, *unit, 'have')} more than one 1; first: {where} has {t.value}"
            )
        if found["not_binary"]:
            t = found["not_binary"]
            found_lines.append(
                f"{count_of(t.count, total, *unit, 'hold')} values other than 0 and 1; first: "
                f"{entry_text(name, t)}"
            )
        if found["many_ones"] and not found["not_binary"]:
            fixes.append(
                "Several 1s per example is multi-label data: use sigmoid outputs with binary "
                "cross-entropy (loss='bce'), or keep one label per example."
            )
        if found["not_binary"] and low >= 0 and high <= 1 and not found["nonfinite"]:
            fixes.append(
                "Fractional targets are soft or smoothed labels; this check wants hard one-hot "
                f"labels: build them with runtime.one_hot(indices, C{axis_argument(axis)})."
            )
        elif found["not_binary"] and not found["fraction"] and high > 1:
            fixes.append(
                f"Whole values above 1 look like class indices: {name}_one_hot = "
                f"runtime.one_hot({name}, C{axis_argument(axis)})."
            )
        if found["no_one"] and not fixes:
            fixes.append(
                "An all-zero example usually means its class index was out of range when the "
                "one-hot array was built (too few classes, or an ignore label such as -1)."
            )
    else:
        header = f"{described} does not hold class indices."
        bound = f"[0, {n_classes})" if n_classes is not None else "[0, C)"
        expected = f"whole numbers in {bound}, one class index per example."
        if found["fraction"]:
            t = found["fraction"]
            found_lines.append(
                f"{count_of(t.count, total, *unit, 'are')} not whole numbers; first: {entry_text(name, t)}"
            )
            fixes.append(
                f"Class indices are whole numbers; if {name} holds probabilities or one-hot rows, "
                f"take argmax along the class axis."
            )
        if found["negative"]:
            t = found["negative"]
            found_lines.append(
                f"{count_of(t.count, total, *unit, 'are')} negative; worst: {entry_text(name, t)}"
            )
            fixes.append(
                "Negative indices silently select classes from the end in NumPy fancy indexing; "
                "drop examples with an ignore label (such as -1) before the loss."
            )
        if found["too_large"]:
            t = found["too_large"]
            found_lines.append(
                f"{count_of(t.count, total, *unit, 'are')} >= {n_classes}; worst: {entry_text(name, t)}"
            )
            if low == 1 and n_classes is not None and high == n_classes:
                fixes.append(
                    f"The values run from 1 to {n_classes}: the labels are 1-based. "
                    f"Write {name} = {name} - 1."
                )
            else:
                fixes.append(
                    f"n_classes={n_classes} is too small for these labels, or the labels come "
                    f"from another dataset."
                )
    if not found_lines:
        return
    if not fixes:
        fixes.append(f"Convert {name} to the expected encoding before the loss.")
    raise_check_error(header, expected, found_lines, fixes)
