"""check_loss_inputs: probabilities and labels as a pair, and why their shapes differ."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import switch
from .backends import NUMPY, ops_for
from .errors import LossCheckError
from .fast import (
    count_fractional,
    np_binary_clean,
    np_one_hot_clean,
    np_sigmoid_clean,
    np_small_cce_clean,
    np_softmax_clean,
)
from .labels import verify_labels
from .layout import resolve_class_axis, size
from .probabilities import verify_probabilities
from .wording import axis_argument, describe

# Each loss: the activation its probabilities come from and the labels' encoding.
LOSSES = {"bce": ("sigmoid", "binary"), "cce": ("softmax", "one_hot")}


def check_loss_inputs(
    a: Any,
    y: Any,
    *,
    loss: str,
    axis: int = 0,
    names: tuple[str, str] = ("A", "Y"),
) -> None:
    """Check the pair a loss function receives: probabilities ``a``, labels ``y``.

    First the shapes: ``a`` and ``y`` must have exactly the same shape, in
    either layout, since ``A - Y`` broadcasts ``(C, m)`` against ``(1, m)``,
    or ``(m,)`` against ``(m, 1)``, without a word.  A mismatch is explained
    by its likely cause: class indices where one-hot labels belong, a
    transposed array, or an axis of length 1 lost to a reduction without
    ``keepdims=True``, with the line to write instead.

    Then the values: for ``loss="cce"`` ``a`` must be a softmax output and
    ``y`` one-hot along ``axis``; for ``loss="bce"`` ``a`` a sigmoid output
    and ``y`` binary (see :func:`check_probabilities`, :func:`check_labels`).

    ``names`` are the names the message uses for ``a`` and ``y``.
    Returns ``None``; raises :class:`LossCheckError`.
    """
    if not switch.enabled:
        return
    kinds = LOSSES.get(loss)
    if kinds is None:
        raise ValueError(f"loss must be 'bce' or 'cce', not {loss!r}")
    if (
        type(a) is np.ndarray
        and type(y) is np.ndarray
        and type(axis) is int
        and a.shape == y.shape
        and -a.ndim <= axis < a.ndim
        and a.size
    ):
        # The common case, decided by a few reductions without any of the
        # general path's bookkeeping.
        if loss == "cce":
            axis %= a.ndim
            if np_small_cce_clean(a, y, axis):
                return
            if np_softmax_clean(a, axis) and np_one_hot_clean(y, axis):
                return
        else:
            if np_sigmoid_clean(a) and np_binary_clean(y):
                return
    a_name, y_name = names
    if type(a) is np.ndarray and type(y) is np.ndarray:
        a_ops = y_ops = NUMPY
    else:
        a_ops, a = ops_for(a)
        y_ops, y = ops_for(y)
    a_shape, y_shape = a_ops.shape(a), y_ops.shape(y)
    if a_shape != y_shape:
        _explain_pair_shapes(a_ops, a, y_ops, y, loss, axis, a_name, y_name)
    activation, encoding = kinds
    verify_probabilities(a_ops, a, activation, axis, a_name)
    verify_labels(y_ops, y, encoding, None, axis, y_name)


def _broadcast_text(a_shape: tuple, y_shape: tuple, a_name: str, y_name: str) -> str:
    try:
        result = np.broadcast_shapes(a_shape, y_shape)
    except ValueError:
        return f"{a_name} - {y_name} raises a broadcasting error"
    return f"{a_name} - {y_name} would broadcast silently to {tuple(result)}"


def _explain_pair_shapes(
    a_ops: Any, a: Any, y_ops: Any, y: Any, loss: str, axis: int, a_name: str, y_name: str
) -> None:
    a_shape, y_shape = a_ops.shape(a), y_ops.shape(y)
    header = (
        f"{describe(a_ops, a, a_name)} and {describe(y_ops, y, y_name)} differ in shape; "
        f"{_broadcast_text(a_shape, y_shape, a_name, y_name)}."
    )
    class_axis = resolve_class_axis(a_shape, axis, a_name, "the probabilities")
    n_classes = a_shape[class_axis]
    example_shape = tuple(n for i, n in enumerate(a_shape) if i != class_axis)
    squeezed_y = tuple(n for n in y_shape if n != 1)
    squeezed_examples = tuple(n for n in example_shape if n != 1)

    looks_like_indices = (
        n_classes > 1
        and squeezed_y == squeezed_examples
        and size(y_shape) == size(example_shape)
        and _looks_like_indices(y_ops, y, n_classes)
    )
    if looks_like_indices:
        layout = axis_argument(class_axis)
        m = size(example_shape)
        if len(a_shape) == 2 and class_axis == 0:
            idiom = (
                f"{y_name}_one_hot = np.zeros(({n_classes}, {m})); "
                f"{y_name}_one_hot[{y_name}.astype(int).ravel(), np.arange({m})] = 1"
            )
        elif len(a_shape) == 2:
            idiom = f"{y_name}_one_hot = np.eye({n_classes})[{y_name}.astype(int).ravel()]"
        else:
            idiom = None
        lines = [
            header,
            f"{y_name} looks like class indices of shape {y_shape} while {a_name} is {a_shape}: "
            + ("categorical cross-entropy needs" if loss == "cce" else
               f"{a_name} has {n_classes} classes along axis {class_axis}, so the loss needs")
            + f" one-hot labels of the same shape as {a_name}.",
            "Write instead:",
            f"  {y_name}_one_hot = runtime.one_hot({y_name}, {n_classes}{layout})   # shape {a_shape}",
            f"  dZ = {a_name} - {y_name}_one_hot",
        ]
        if idiom:
            lines += ["or, with NumPy alone:", f"  {idiom}"]
        if loss == "bce":
            lines.append(
                f"and for one class per example over {n_classes} classes use softmax with "
                f"categorical cross-entropy (loss='cce'), not sigmoid with BCE."
            )
        raise LossCheckError("\n".join(lines))

    if len(a_shape) == 2 and y_shape == a_shape[::-1]:
        raise LossCheckError(
            f"{header}\n"
            f"{y_name} is {a_name} transposed: one of them is in (examples, classes) rows and "
            f"the other in (classes, examples) columns.\n"
            f"Write instead: {y_name} = {y_name}.T   (the check's axis={axis} says the classes "
            f"lie along axis {class_axis} of {a_name}; use axis=1 for rows)"
        )
    if tuple(n for n in a_shape if n != 1) == squeezed_y:
        raise LossCheckError(
            f"{header}\n"
            f"The shapes differ only by an axis of length 1: the trace of a reduction "
            f"without keepdims=True, a squeeze, or labels loaded as a flat vector. "
            f"(m,) against (m, 1) broadcasts to (m, m).\n"
            f"Write instead: {y_name} = {y_name}.reshape({a_name}.shape)   (or keepdims=True "
            f"where the smaller one was computed)"
        )
    extra = ""
    if len(y_shape) == len(a_shape) and all(
        y_shape[i] == a_shape[i] for i in range(len(a_shape)) if i != class_axis
    ):
        extra = (
            f"\n{y_name} has {y_shape[class_axis]} classes along axis {class_axis}, "
            f"{a_name} has {n_classes}: the labels were one-hot encoded with a different "
            f"number of classes than the output layer has units."
        )
    raise LossCheckError(
        f"{header}\n"
        f"Expected: {y_name} of exactly the shape of {a_name}, {a_shape}, with the classes "
        f"along axis {class_axis}.{extra}"
    )


def _looks_like_indices(ops: Any, y: Any, n_classes: int) -> bool:
    if ops.is_abstract(y):
        return True
    kind = ops.kind(y)
    if kind not in "biuf":
        return False
    low, high = ops.scalars(ops.amin(y), ops.amax(y))
    if not (0 <= low and high < n_classes):
        return False
    return kind != "f" or count_fractional(ops, y) == 0
