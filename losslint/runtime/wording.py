"""Phrases shared by the check messages: names, shapes, counts, indices, numbers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .layout import Layout
    from .tally import Tally


def describe(ops: Any, x: Any, name: str) -> str:
    return f"{name} ({ops.dtype_name(x)}, shape {ops.shape(x)})"


def terms(layout: Layout) -> tuple[str, str]:
    """Singular and plural word for one example in this layout."""
    if layout.virtual:
        return "entry", "entries"
    if len(layout.shape) == 2:
        return ("column", "columns") if layout.class_axis == 0 else ("row", "rows")
    if len(layout.shape) == 1:
        return "vector", "vectors"
    return "example", "examples"


def index_text(name: str, index: tuple) -> str:
    parts = [":" if isinstance(i, slice) else str(i) for i in index]
    return f"{name}[{', '.join(parts)}]" if parts else name


def entry_text(name: str, tally: Tally) -> str:
    """``"A[1, 3] = nan"``: where a tally's worst instance is, and its value."""
    return f"{index_text(name, tally.index)} = {number(tally.value)}"


def number(value: float) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    return f"{value:.6g}"


def count_of(count: int, total: int, singular: str, plural: str, verb: str = "") -> str:
    """``"3 of 5 columns contain"``: a count of examples, with its verb agreeing."""
    text = f"{count} of {total} {singular if total == 1 else plural}"
    if verb:
        text += " " + _VERBS[verb][count != 1]
    return text


_VERBS = {
    "contain": ("contains", "contain"),
    "hold": ("holds", "hold"),
    "do": ("does", "do"),
    "have": ("has", "have"),
    "are": ("is", "are"),
}


def clip_epsilon(eps: float) -> str:
    if eps <= 1e-15:
        return "1e-15"
    if eps <= 1e-6:
        return "1e-7"
    return "1e-3"


def axis_argument(axis: int) -> str:
    """The ``, axis=1`` to add to a suggested call, or nothing for the default axis 0."""
    return "" if axis == 0 else f", axis={axis}"


def keepdims_sum(axis: int) -> str:
    return f"E / E.sum(axis={axis}, keepdims=True)"
