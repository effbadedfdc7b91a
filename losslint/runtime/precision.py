"""Floating-point facts: machine epsilon, accumulator dtypes, the softmax sum tolerance."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

_numpy_eps_cache: dict = {}


def numpy_eps(dtype: np.dtype) -> float:
    """Machine epsilon of a NumPy dtype, 0.0 for non-float dtypes."""
    eps = _numpy_eps_cache.get(dtype)
    if eps is None:
        eps = float(np.finfo(dtype).eps) if dtype.kind in "fc" else 0.0
        _numpy_eps_cache[dtype] = eps
    return eps


def numpy_accumulator(dtype: np.dtype) -> Any:
    """A dtype for sums that neither overflows nor loses the counts we compare."""
    if dtype.kind in "biu":
        return np.int64
    if dtype == np.float16:
        return np.float32
    return None


@functools.lru_cache(maxsize=512)
def sum_tolerance(eps: float, n_classes: int) -> float:
    """How far a correct softmax's per-example sum may stray from 1.

    Each of the C probabilities carries a relative rounding error of about
    eps and so does every addition of the sum, so the error grows like C*eps;
    sqrt(eps) is the floor (1.5e-8 for float64, 3.5e-4 for float32, 3e-2 for
    float16) and 0.1 the ceiling for the half-precision types.
    """
    return min(0.1, max(math.sqrt(eps), 4.0 * n_classes * eps))
