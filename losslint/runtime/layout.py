"""Which axis holds the classes, what an example is, and how to walk an array.

The diagnostic scans run only after the fast path has failed; they walk the
array in chunks along an example axis so that no temporary exceeds about
64 Ki elements.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import numpy as np

from .errors import LossCheckError

# The diagnostic scan of a failing array works on slices of at most this many
# elements, which bounds every temporary it creates.
_CHUNK_ELEMENTS = 1 << 16


def size(shape: Sequence[int]) -> int:
    """The number of elements of an array of this shape."""
    return math.prod(shape)


class Layout:
    """How an array divides into examples along its class axis.

    ``class_axis=None`` means every entry is its own example (labels and
    sigmoid outputs without a class axis); the scan then works on a view with
    a leading axis of length 1 in place of a class axis.
    """

    def __init__(self, shape: tuple, class_axis: int | None) -> None:
        self.shape = tuple(shape)
        self.virtual = class_axis is None
        self.view_shape = (1,) + self.shape if self.virtual else self.shape
        self.class_axis = 0 if self.virtual else class_axis
        self.n_classes = self.view_shape[self.class_axis]
        self.example_shape = tuple(
            n for i, n in enumerate(self.view_shape) if i != self.class_axis
        )
        self.n_examples = size(self.example_shape)
        other_axes = [i for i in range(len(self.view_shape)) if i != self.class_axis]
        # Slicing the longest example axis gives the finest chunks.
        self.chunk_axis = max(other_axes, key=lambda i: self.view_shape[i]) if other_axes else None

    def view(self, x: Any) -> Any:
        return x[None] if self.virtual else x

    def chunks(self, x: Any) -> Iterator[tuple[Any, int]]:
        """Yield ``(slice of the view, start along the chunk axis)``."""
        view = self.view(x)
        if self.chunk_axis is None:
            yield view, 0
            return
        length = self.view_shape[self.chunk_axis]
        per_step = max(1, size(self.view_shape) // max(length, 1))
        step = max(1, _CHUNK_ELEMENTS // max(per_step, 1))
        lead = (slice(None),) * self.chunk_axis
        for start in range(0, length, step):
            yield view[lead + (slice(start, start + step),)], start

    def example_index(self, chunk_example_shape: tuple, flat: int, start: int) -> tuple:
        """Index of an example (no class axis) in the full view, from its chunk-local flat index."""
        index = list(np.unravel_index(flat, chunk_example_shape))
        if self.chunk_axis is not None:
            position = self.chunk_axis - (self.chunk_axis > self.class_axis)
            index[position] += start
        return tuple(int(i) for i in index)

    def location(self, example: tuple, class_index: int) -> tuple:
        """Full index into the original array of one entry."""
        full = list(example)
        full.insert(self.class_axis, int(class_index))
        return tuple(full[1:]) if self.virtual else tuple(full)

    def example_location(self, example: tuple) -> tuple:
        """Index of an example with the class axis left whole (``slice(None)``)."""
        full: list = list(example)
        full.insert(self.class_axis, slice(None))
        return tuple(full[1:]) if self.virtual else tuple(full)


def resolve_class_axis(shape: tuple, axis: Any, name: str, role: str) -> int:
    """``axis`` as a non-negative class axis of ``shape``, or the error a user should see."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int (the class axis), not {axis!r}")
    ndim = len(shape)
    if -ndim <= axis < ndim:
        return int(axis) % ndim
    if ndim == 0:
        found = f"{name} is a scalar"
    else:
        found = f"{name} has shape {shape}, which has no axis {axis}"
    raise LossCheckError(
        f"{name} should be {role} with its classes along axis {axis}, but {found}.\n"
        f"Use axis=0 for the (classes, examples) column layout and axis=1 or -1 for "
        f"(examples, classes) rows."
    )
