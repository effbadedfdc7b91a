"""The fast path: a few reductions decide that an input is fine.

NumPy arrays get the cheapest reductions that decide each criterion
(``np_*_clean``); the other libraries the same criteria in one device
round-trip of a few scalars.  A passing check allocates only per-example
results.  Any doubt is settled by the diagnostic scan of the check
concerned, which is the authority on failures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backends import NUMPY
from .layout import Layout, size
from .precision import numpy_accumulator, numpy_eps, sum_tolerance

# Below this size NumPy's argmin/argmax cost a fraction of a ufunc reduction's
# fixed overhead; above it the ufunc reductions stream memory slightly faster.
_SMALL_ARRAY = 1 << 16
_ones_cache: dict = {}
_tolerance_cache: dict = {}
_BLAS_CHARS = "fd"  # float32, float64: the dtypes np.dot hands to BLAS


def _np_min(a: np.ndarray) -> Any:
    # argmin costs a fraction of a ufunc reduction's fixed overhead, but on a
    # non-contiguous array it would copy; the ufunc never does.
    if a.size < _SMALL_ARRAY and a.flags.c_contiguous:
        return a.item(a.argmin())
    return np.minimum.reduce(a, axis=None)


def _np_max(a: np.ndarray) -> Any:
    if a.size < _SMALL_ARRAY and a.flags.c_contiguous:
        return a.item(a.argmax())
    return np.maximum.reduce(a, axis=None)


def _np_example_sums(a: np.ndarray, axis: int) -> np.ndarray:
    """Sum along the class axis, through BLAS when the layout allows it."""
    if a.ndim == 2 and a.dtype.char in _BLAS_CHARS and a.dtype.isnative:
        flags = a.flags
        if flags.c_contiguous or flags.f_contiguous:
            # A matrix-vector product with ones reads the array once, on every
            # core, and needs no copy for either memory order.
            key = (a.shape[axis], a.dtype.char)
            ones = _ones_cache.get(key)
            if ones is None:
                if len(_ones_cache) > 64:
                    _ones_cache.clear()
                ones = _ones_cache[key] = np.ones(key[0], dtype=a.dtype)
            return np.dot(ones, a) if axis == 0 else np.dot(a, ones)
    return np.add.reduce(a, axis=axis, dtype=numpy_accumulator(a.dtype))


def _np_sums_within(sums: np.ndarray, low: float, high: float) -> bool:
    # ``sums`` is a fresh contiguous vector, so argmin/argmax never copy it.
    return low <= sums.item(sums.argmin()) and sums.item(sums.argmax()) <= high


_small_pair_cache: dict = {}


def np_small_cce_clean(a: np.ndarray, y: np.ndarray, axis: int) -> bool:
    """The softmax and one-hot criteria below, fused for the common training-loop case.

    Only for small C-contiguous 2-D float32/float64 pairs of one dtype, where
    each NumPy call's fixed cost dominates: argmin/argmax plus two
    matrix-vector products are the cheapest calls that decide it.  Returns
    False (undecided) for anything else.
    """
    dtype = a.dtype
    if (
        a.ndim != 2
        or y.dtype is not dtype
        or a.size >= _SMALL_ARRAY
        or not (a.flags.c_contiguous and y.flags.c_contiguous)
    ):
        return False
    key = (dtype, a.shape[axis])
    cached = _small_pair_cache.get(key)
    if cached is None:
        if dtype.char not in _BLAS_CHARS or not dtype.isnative or key[1] < 2:
            return False
        if len(_small_pair_cache) > 256:
            _small_pair_cache.clear()
        tolerance = sum_tolerance(numpy_eps(dtype), key[1])
        ones = np.ones(key[1], dtype=dtype)
        cached = _small_pair_cache[key] = (ones, 1.0 - tolerance, 1.0 + tolerance)
    ones, low, high = cached
    if not a.item(a.argmin()) > 0.0:
        return False
    sums = np.dot(ones, a) if axis == 0 else np.dot(a, ones)
    if not (low <= sums.item(sums.argmin()) and sums.item(sums.argmax()) <= high):
        return False
    if np.count_nonzero(y) != sums.size:
        return False
    sums = np.dot(ones, y) if axis == 0 else np.dot(y, ones)
    return sums.item(sums.argmin()) == 1.0 and sums.item(sums.argmax()) == 1.0


def np_sigmoid_clean(a: np.ndarray) -> bool:
    # NaN fails every comparison, so no separate finiteness pass is needed.
    return 0.0 < _np_min(a) and _np_max(a) < 1.0


def np_softmax_clean(a: np.ndarray, axis: int) -> bool:
    dtype = a.dtype
    n_classes = a.shape[axis]
    key = (dtype, n_classes)
    tolerance = _tolerance_cache.get(key)
    if tolerance is None:
        if n_classes < 2 or dtype.kind != "f":
            return False
        if len(_tolerance_cache) > 256:
            _tolerance_cache.clear()
        tolerance = _tolerance_cache[key] = sum_tolerance(numpy_eps(dtype), n_classes)
    # min > 0 rules out negatives, exact zeros and NaN; sums within tolerance
    # of 1 then bound every entry by 1 and rule out +inf.
    if not _np_min(a) > 0.0:
        return False
    return _np_sums_within(_np_example_sums(a, axis), 1.0 - tolerance, 1.0 + tolerance)


def np_binary_clean(y: np.ndarray) -> bool:
    kind = y.dtype.kind
    if kind == "b":
        return True
    if not (0 <= _np_min(y) and _np_max(y) <= 1):
        return False
    if kind in "iu":
        return True
    # In [0, 1], the sum equals the nonzero count only if every nonzero is 1.
    total = np.add.reduce(y, axis=None, dtype=np.float64)
    return total == np.count_nonzero(y)


def np_one_hot_clean(y: np.ndarray, axis: int) -> bool:
    # Every per-example sum is 1, so each example has at least one nonzero;
    # exactly one nonzero per example in all, so each has one, equal to its
    # sum, 1.  Exact: adding zeros to one value does not round.
    shape = y.shape
    if np.count_nonzero(y) != y.size // shape[axis]:
        return False
    return _np_sums_within(_np_example_sums(y, axis), 1, 1)


def _np_indices_clean(y: np.ndarray, n_classes: int | None) -> bool:
    kind = y.dtype.kind
    if kind not in "biuf":
        return False
    low, high = _np_min(y), _np_max(y)
    if not (0 <= low and high < (math.inf if n_classes is None else n_classes)):
        return False
    if kind == "f":
        return count_fractional(NUMPY, y) == 0
    return True


def fast_clean(ops: Any, x: Any, kind: str, axis: int, n_classes: int | None = None) -> bool:
    """Whether ``x`` certainly passes the ``kind`` criteria; False means "scan it"."""
    if ops is NUMPY:
        if kind == "sigmoid":
            return np_sigmoid_clean(x)
        if kind == "softmax":
            return np_softmax_clean(x, axis)
        if kind == "binary":
            return np_binary_clean(x)
        if kind == "one_hot":
            return np_one_hot_clean(x, axis)
        return _np_indices_clean(x, n_classes)
    dtype_kind = ops.kind(x)
    if kind == "sigmoid":
        low, high = ops.scalars(ops.amin(x), ops.amax(x))
        return 0.0 < low and high < 1.0
    if kind == "softmax":
        n = ops.shape(x)[axis]
        if n < 2 or dtype_kind != "f":
            return False
        sums = ops.sum(x, axis)
        low, sum_low, sum_high = ops.scalars(ops.amin(x), ops.amin(sums), ops.amax(sums))
        tolerance = sum_tolerance(ops.eps(x), n)
        return 0.0 < low and 1.0 - tolerance <= sum_low and sum_high <= 1.0 + tolerance
    if kind == "binary":
        if dtype_kind == "b":
            return True
        low, high, total, nonzero = ops.scalars(ops.amin(x), ops.amax(x), ops.sum(x), ops.count(x))
        return 0 <= low and high <= 1 and (dtype_kind != "f" or total == nonzero)
    if kind == "one_hot":
        shape = ops.shape(x)
        sums = ops.sum(x, axis)
        nonzero, sum_low, sum_high = ops.scalars(ops.count(x), ops.amin(sums), ops.amax(sums))
        return nonzero == size(shape) // shape[axis] and sum_low == 1 and sum_high == 1
    if dtype_kind not in "biuf":
        return False
    low, high = ops.scalars(ops.amin(x), ops.amax(x))
    if not (0 <= low and high < (math.inf if n_classes is None else n_classes)):
        return False
    return dtype_kind != "f" or count_fractional(ops, x) == 0


def count_fractional(ops: Any, x: Any) -> int:
    """How many entries of a float array are not whole numbers (NaN counts)."""
    layout = Layout(ops.shape(x), None)
    total = 0
    for chunk, _ in layout.chunks(x):
        total += int(ops.scalars(ops.count(chunk != ops.floor(chunk)))[0])
    return total
