"""one_hot: the conversion from class indices the check messages point to."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backends import ops_for
from .fast import fast_clean
from .labels import explain_labels
from .layout import Layout, size


def one_hot(indices: Any, n_classes: int, *, axis: int = 0, dtype: Any = None) -> Any:
    """Turn class indices into one-hot labels with the classes along ``axis``.

    This is the conversion the check messages point to, the seed's
    ``Y_one_hot = np.zeros((C, m)); Y_one_hot[Y, np.arange(m)] = 1``:

    * ``(m,)`` indices give ``(C, m)`` for ``axis=0`` and ``(m, C)`` for
      ``axis=1`` or ``-1``;
    * ``(1, m)`` indices with ``axis=0`` (the seed's layout) give ``(C, m)``,
      and ``(N, 1)`` with ``axis=1`` give ``(N, C)``: a length-1 axis at
      ``axis`` is replaced by the class axis; otherwise a class axis is
      inserted at ``axis``.

    Indices may be integers or whole-valued floats; they are validated first
    (always, even with the checks disabled), because a negative index would
    otherwise select a class from the end.  The result is float64 for NumPy
    (as in the seed), the default float dtype for PyTorch and float32 for
    JAX, unless ``dtype`` says otherwise.  PyTorch and JAX inputs are
    converted with their own library.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive int, not {n_classes!r}")
    n_classes = int(n_classes)
    ops, indices = ops_for(indices)
    shape = ops.shape(indices)
    checkable = size(shape) and not ops.is_abstract(indices)
    if checkable and not fast_clean(ops, indices, "indices", 0, n_classes):
        explain_labels(ops, indices, Layout(shape, None), "indices", n_classes, "indices")
    ndim = len(shape)
    squeeze = False
    if ndim >= 2:
        position = axis if axis >= 0 else axis + ndim
        squeeze = 0 <= position < ndim and shape[position] == 1
    out_ndim = ndim if squeeze else ndim + 1
    if not -out_ndim <= axis < out_ndim:
        raise ValueError(f"axis={axis} is out of range for one-hot labels of {out_ndim} dimensions")
    class_axis = axis % out_ndim
    if ops.library == "numpy":
        flat = indices.reshape(
            tuple(n for i, n in enumerate(shape) if not (squeeze and i == class_axis))
        )
        flat = flat.astype(np.intp, copy=False)
        out_shape = list(flat.shape)
        out_shape.insert(class_axis, n_classes)
        out = np.zeros(out_shape, dtype=np.float64 if dtype is None else dtype)
        np.put_along_axis(out, np.expand_dims(flat, class_axis), 1, axis=class_axis)
        return out
    if ops.library == "torch":
        torch = ops.torch
        flat = indices.squeeze(class_axis) if squeeze else indices
        encoded = torch.nn.functional.one_hot(flat.long(), n_classes)
        encoded = encoded.movedim(-1, class_axis)
        return encoded.to(torch.get_default_dtype() if dtype is None else dtype)
    jax, jnp = ops.jax, ops.jnp
    flat = jnp.squeeze(indices, class_axis) if squeeze else indices
    return jax.nn.one_hot(flat.astype(jnp.int32), n_classes, axis=class_axis,
                          dtype=jnp.float32 if dtype is None else dtype)
