"""Run-time checks for the arrays that meet in a loss function.

Static rules cannot see shapes and values; these checks look at the arrays
themselves, at the moment the probabilities ``A`` meet the labels ``Y``::

    from losslint import runtime

    runtime.check_loss_inputs(AL, Y, loss="cce")        # (C, m) softmax vs one-hot
    runtime.check_probabilities(A, activation="sigmoid")
    runtime.check_labels(Y, encoding="indices", n_classes=10)
    Y_one_hot = runtime.one_hot(Y, 10)                    # the conversion messages point to

    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def compute_cost(AL, Y): ...

    runtime.gradcheck(loss_fn, grad_fn, Z)               # finite differences

Every check returns ``None`` when its input is fine and raises
:class:`LossCheckError` otherwise, with a message that names the array, its
shape and dtype, what was expected, what was found (how many examples fail,
the worst value and where) and what to write instead.

``axis`` is the class axis everywhere: ``0`` for the ``(C, m)`` column layout
(one column per example), ``1`` or ``-1`` for the ``(N, C)`` row layout.

Cost and memory
    Arrays are never modified.  A passing check is a handful of reductions
    (minimum, maximum, per-example sums, a nonzero count) and allocates only
    per-example results, never a temporary as large as its input.  Only when a
    check fails does it scan the array again to explain why, in chunks along
    an example axis, so that no temporary exceeds about 64 Ki elements.

Other array libraries
    PyTorch tensors and JAX arrays are checked with their own library's
    operations, so a tensor on a GPU is not copied to the host; only a few
    scalars (and, when a check fails, per-example summaries) travel.  Inside
    ``jax.jit`` values are abstract: shapes are compared, values are not.

Off switch
    ``LOSSLINT_RUNTIME=0`` in the environment (read when this module is
    imported), or :func:`disable`, makes every ``check_*`` function return at
    once and every :func:`guard`-ed function call straight through.
    :func:`enable` turns the checks back on.  :func:`gradcheck` and
    :func:`one_hot` always run: they are tools you call on purpose.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from typing import Any, Callable, Iterator, Sequence, TypeVar

import numpy as np

__all__ = [
    "LossCheckError",
    "check_labels",
    "check_loss_inputs",
    "check_probabilities",
    "disable",
    "enable",
    "gradcheck",
    "guard",
    "is_enabled",
    "one_hot",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# The diagnostic scan of a failing array works on slices of at most this many
# elements, which bounds every temporary it creates.
_CHUNK_ELEMENTS = 1 << 16
# Below this size NumPy's argmin/argmax cost a fraction of a ufunc reduction's
# fixed overhead; above it the ufunc reductions stream memory slightly faster.
_SMALL_ARRAY = 1 << 16
_GRADCHECK_MAX_ELEMENTS = 2000
_OFF_VALUES = frozenset({"0", "false", "off", "no"})

_ACTIVATIONS = ("sigmoid", "softmax")
_ENCODINGS = ("binary", "one_hot", "indices")
_LOSSES = {"bce": ("sigmoid", "binary"), "cce": ("softmax", "one_hot")}


class LossCheckError(ValueError, AssertionError):
    """An array, loss value or gradient failed a losslint run-time check.

    It derives from both ``ValueError`` (the data is wrong) and
    ``AssertionError`` (a check failed, as with ``assert``), so code that
    already catches either keeps working.
    """


# --------------------------------------------------------------------------
# Off switch


def _enabled_from_environment() -> bool:
    return os.environ.get("LOSSLINT_RUNTIME", "1").strip().lower() not in _OFF_VALUES


_enabled = _enabled_from_environment()


def disable() -> None:
    """Turn every run-time check off, as ``LOSSLINT_RUNTIME=0`` does.

    ``check_*`` functions then return at once and :func:`guard`-ed functions
    return their result without any check.
    """
    global _enabled
    _enabled = False


def enable() -> None:
    """Turn the run-time checks back on after :func:`disable`."""
    global _enabled
    _enabled = True


def is_enabled() -> bool:
    """Return whether the run-time checks are currently on."""
    return _enabled


# --------------------------------------------------------------------------
# Array libraries
#
# Each ``_*Ops`` class offers the same small vocabulary, implemented with its
# own library so that tensors stay where they are.  Reductions return arrays
# of the same library; ``host`` moves a small result (per-example summaries,
# never a full input) to NumPy and ``scalars`` turns 0-d results into numbers.


class _NumpyOps:
    library = "numpy"

    def prepare(self, x: Any) -> Any:
        return x

    def shape(self, x: Any) -> tuple:
        return x.shape

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype)

    def kind(self, x: Any) -> str:
        return x.dtype.kind

    def eps(self, x: Any) -> float:
        return _numpy_eps(x.dtype)

    def is_abstract(self, x: Any) -> bool:
        return False

    def isfinite(self, x: Any) -> Any:
        return np.isfinite(x)

    def floor(self, x: Any) -> Any:
        return np.floor(x)

    def where(self, condition: Any, x: Any, fill: float) -> Any:
        return np.where(condition, x, fill)

    def amin(self, x: Any, axis: int | None = None) -> Any:
        return np.min(x, axis=axis)

    def amax(self, x: Any, axis: int | None = None) -> Any:
        return np.max(x, axis=axis)

    def argmin(self, x: Any, axis: int) -> Any:
        return np.argmin(x, axis=axis)

    def argmax(self, x: Any, axis: int) -> Any:
        return np.argmax(x, axis=axis)

    def sum(self, x: Any, axis: int | None = None) -> Any:
        return np.sum(x, axis=axis, dtype=_numpy_accumulator(x.dtype))

    def count(self, x: Any, axis: int | None = None) -> Any:
        return np.count_nonzero(x, axis=axis)

    def host(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def scalars(self, *values: Any) -> list:
        return [v.item() if hasattr(v, "item") else v for v in values]

    def item(self, x: Any, index: tuple) -> float:
        return float(x[index])


class _TorchOps:
    library = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def prepare(self, x: Any) -> Any:
        # Reductions on a tensor that requires grad would record graph nodes.
        return x.detach()

    def shape(self, x: Any) -> tuple:
        return tuple(x.shape)

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype).replace("torch.", "")

    def kind(self, x: Any) -> str:
        torch = self.torch
        if x.dtype == torch.bool:
            return "b"
        if x.is_complex():
            return "c"
        if x.is_floating_point():
            return "f"
        return "u" if x.dtype == torch.uint8 else "i"

    def eps(self, x: Any) -> float:
        return float(self.torch.finfo(x.dtype).eps)

    def is_abstract(self, x: Any) -> bool:
        return False

    def isfinite(self, x: Any) -> Any:
        return self.torch.isfinite(x)

    def floor(self, x: Any) -> Any:
        return self.torch.floor(x)

    def where(self, condition: Any, x: Any, fill: float) -> Any:
        return self.torch.where(condition, x, fill)

    def amin(self, x: Any, axis: int | None = None) -> Any:
        return x.min() if axis is None else x.amin(dim=axis)

    def amax(self, x: Any, axis: int | None = None) -> Any:
        return x.max() if axis is None else x.amax(dim=axis)

    def argmin(self, x: Any, axis: int) -> Any:
        return self._comparable(x).argmin(dim=axis)

    def argmax(self, x: Any, axis: int) -> Any:
        return self._comparable(x).argmax(dim=axis)

    def sum(self, x: Any, axis: int | None = None) -> Any:
        torch = self.torch
        if x.dtype in (torch.float16, torch.bfloat16):
            dtype = torch.float32
        elif x.dtype == torch.bool or not (x.is_floating_point() or x.is_complex()):
            dtype = torch.int64
        else:
            dtype = None
        return x.sum(dtype=dtype) if axis is None else x.sum(dim=axis, dtype=dtype)

    def count(self, x: Any, axis: int | None = None) -> Any:
        return self.torch.count_nonzero(x, dim=axis)

    def host(self, x: Any) -> np.ndarray:
        if x.dtype in (self.torch.float16, self.torch.bfloat16):
            x = x.float()
        return x.cpu().numpy()

    def scalars(self, *values: Any) -> list:
        return [v.item() if hasattr(v, "item") else v for v in values]

    def item(self, x: Any, index: tuple) -> float:
        return float(x[index].item())

    def _comparable(self, x: Any) -> Any:
        # argmin/argmax are not implemented for bool tensors.
        return x.to(self.torch.uint8) if x.dtype == self.torch.bool else x


class _JaxOps:
    library = "jax"

    def __init__(self) -> None:
        import jax
        import jax.numpy as jnp

        self.jax = jax
        self.jnp = jnp

    def prepare(self, x: Any) -> Any:
        return x

    def shape(self, x: Any) -> tuple:
        return tuple(x.shape)

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype)

    def kind(self, x: Any) -> str:
        jnp = self.jnp
        if x.dtype == jnp.bool_:
            return "b"
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            return "c"
        if jnp.issubdtype(x.dtype, jnp.floating):
            return "f"
        return "u" if jnp.issubdtype(x.dtype, jnp.unsignedinteger) else "i"

    def eps(self, x: Any) -> float:
        return float(self.jnp.finfo(x.dtype).eps)

    def is_abstract(self, x: Any) -> bool:
        return isinstance(x, self.jax.core.Tracer)

    def isfinite(self, x: Any) -> Any:
        return self.jnp.isfinite(x)

    def floor(self, x: Any) -> Any:
        return self.jnp.floor(x)

    def where(self, condition: Any, x: Any, fill: float) -> Any:
        return self.jnp.where(condition, x, fill)

    def amin(self, x: Any, axis: int | None = None) -> Any:
        return self.jnp.min(x, axis=axis)

    def amax(self, x: Any, axis: int | None = None) -> Any:
        return self.jnp.max(x, axis=axis)

    def argmin(self, x: Any, axis: int) -> Any:
        return self.jnp.argmin(x, axis=axis)

    def argmax(self, x: Any, axis: int) -> Any:
        return self.jnp.argmax(x, axis=axis)

    def sum(self, x: Any, axis: int | None = None) -> Any:
        jnp = self.jnp
        dtype = jnp.float32 if x.dtype in (jnp.float16, jnp.bfloat16) else None
        return jnp.sum(x, axis=axis, dtype=dtype)

    def count(self, x: Any, axis: int | None = None) -> Any:
        return self.jnp.count_nonzero(x, axis=axis)

    def host(self, x: Any) -> np.ndarray:
        if x.dtype in (self.jnp.float16, self.jnp.bfloat16):
            x = x.astype(self.jnp.float32)
        return np.asarray(x)

    def scalars(self, *values: Any) -> list:
        return [v.item() if hasattr(v, "item") else v for v in values]

    def item(self, x: Any, index: tuple) -> float:
        return float(x[index])


_NUMPY = _NumpyOps()
_library_ops: dict = {"numpy": _NUMPY}


def _ops_for(x: Any) -> tuple[Any, Any]:
    """Return ``(ops, array)``: the library operations for ``x`` and ``x`` ready for them."""
    cls = type(x)
    if cls is np.ndarray:
        return _NUMPY, x
    root = cls.__module__.partition(".")[0]
    if root == "torch":
        library = "torch"
    elif root in ("jax", "jaxlib"):
        library = "jax"
    else:
        # NumPy subclasses (memmap, matrix) become plain views; lists and
        # scalars are converted, which copies only what was not an array.
        return _NUMPY, np.asarray(x)
    ops = _library_ops.get(library)
    if ops is None:
        ops = _library_ops[library] = _TorchOps() if library == "torch" else _JaxOps()
    return ops, ops.prepare(x)


_numpy_eps_cache: dict = {}


def _numpy_eps(dtype: np.dtype) -> float:
    eps = _numpy_eps_cache.get(dtype)
    if eps is None:
        eps = float(np.finfo(dtype).eps) if dtype.kind in "fc" else 0.0
        _numpy_eps_cache[dtype] = eps
    return eps


def _numpy_accumulator(dtype: np.dtype) -> Any:
    """A dtype for sums that neither overflows nor loses the counts we compare."""
    if dtype.kind in "biu":
        return np.int64
    if dtype == np.float16:
        return np.float32
    return None


@functools.lru_cache(maxsize=512)
def _sum_tolerance(eps: float, n_classes: int) -> float:
    """How far a correct softmax's per-example sum may stray from 1.

    Each of the C probabilities carries a relative rounding error of about
    eps and so does every addition of the sum, so the error grows like C*eps;
    sqrt(eps) is the floor (1.5e-8 for float64, 3.5e-4 for float32, 3e-2 for
    float16) and 0.1 the ceiling for the half-precision types.
    """
    return min(0.1, max(math.sqrt(eps), 4.0 * n_classes * eps))


# --------------------------------------------------------------------------
# NumPy fast path: a few reductions decide that an input is fine.  Any doubt
# is settled by the diagnostic scan, which is the authority on failures.

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
    return np.add.reduce(a, axis=axis, dtype=_numpy_accumulator(a.dtype))


def _np_sums_within(sums: np.ndarray, low: float, high: float) -> bool:
    # ``sums`` is a fresh contiguous vector, so argmin/argmax never copy it.
    return low <= sums.item(sums.argmin()) and sums.item(sums.argmax()) <= high


_small_pair_cache: dict = {}


def _np_small_cce_clean(a: np.ndarray, y: np.ndarray, axis: int) -> bool:
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
        tolerance = _sum_tolerance(_numpy_eps(dtype), key[1])
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


def _np_sigmoid_clean(a: np.ndarray) -> bool:
    # NaN fails every comparison, so no separate finiteness pass is needed.
    return 0.0 < _np_min(a) and _np_max(a) < 1.0


def _np_softmax_clean(a: np.ndarray, axis: int) -> bool:
    dtype = a.dtype
    n_classes = a.shape[axis]
    key = (dtype, n_classes)
    tolerance = _tolerance_cache.get(key)
    if tolerance is None:
        if n_classes < 2 or dtype.kind != "f":
            return False
        if len(_tolerance_cache) > 256:
            _tolerance_cache.clear()
        tolerance = _tolerance_cache[key] = _sum_tolerance(_numpy_eps(dtype), n_classes)
    # min > 0 rules out negatives, exact zeros and NaN; sums within tolerance
    # of 1 then bound every entry by 1 and rule out +inf.
    if not _np_min(a) > 0.0:
        return False
    return _np_sums_within(_np_example_sums(a, axis), 1.0 - tolerance, 1.0 + tolerance)


def _np_binary_clean(y: np.ndarray) -> bool:
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


def _np_one_hot_clean(y: np.ndarray, axis: int) -> bool:
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
        return _count_fractional(_NUMPY, y) == 0
    return True


# --------------------------------------------------------------------------
# Fast path for the other libraries: the same criteria, one device round-trip
# of a few scalars.


def _fast_clean(ops: Any, x: Any, kind: str, axis: int, n_classes: int | None = None) -> bool:
    if ops is _NUMPY:
        if kind == "sigmoid":
            return _np_sigmoid_clean(x)
        if kind == "softmax":
            return _np_softmax_clean(x, axis)
        if kind == "binary":
            return _np_binary_clean(x)
        if kind == "one_hot":
            return _np_one_hot_clean(x, axis)
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
        tolerance = _sum_tolerance(ops.eps(x), n)
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
        return nonzero == _size(shape) // shape[axis] and sum_low == 1 and sum_high == 1
    if dtype_kind not in "biuf":
        return False
    low, high = ops.scalars(ops.amin(x), ops.amax(x))
    if not (0 <= low and high < (math.inf if n_classes is None else n_classes)):
        return False
    return dtype_kind != "f" or _count_fractional(ops, x) == 0


def _count_fractional(ops: Any, x: Any) -> int:
    """How many entries of a float array are not whole numbers (NaN counts)."""
    layout = _Layout(ops.shape(x), None)
    total = 0
    for chunk, _ in layout.chunks(x):
        total += int(ops.scalars(ops.count(chunk != ops.floor(chunk)))[0])
    return total


# --------------------------------------------------------------------------
# Layout: which axis holds the classes, what an "example" is, and how to walk
# the array in bounded slices.


def _size(shape: Sequence[int]) -> int:
    return math.prod(shape)


class _Layout:
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
        self.n_examples = _size(self.example_shape)
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
        per_step = max(1, _size(self.view_shape) // max(length, 1))
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


def _class_axis(shape: tuple, axis: Any, name: str, role: str) -> int:
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


# --------------------------------------------------------------------------
# Wording


def _describe(ops: Any, x: Any, name: str) -> str:
    return f"{name} ({ops.dtype_name(x)}, shape {ops.shape(x)})"


def _terms(layout: _Layout) -> tuple[str, str]:
    """Singular and plural word for one example in this layout."""
    if layout.virtual:
        return "entry", "entries"
    if len(layout.shape) == 2:
        return ("column", "columns") if layout.class_axis == 0 else ("row", "rows")
    if len(layout.shape) == 1:
        return "vector", "vectors"
    return "example", "examples"


def _index_text(name: str, index: tuple) -> str:
    parts = [":" if isinstance(i, slice) else str(i) for i in index]
    return f"{name}[{', '.join(parts)}]" if parts else name


def _entry_text(name: str, tally: "_Tally") -> str:
    """``"A[1, 3] = nan"``: where a tally's worst instance is, and its value."""
    return f"{_index_text(name, tally.index)} = {_number(tally.value)}"


def _number(value: float) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    return f"{value:.6g}"


def _of(count: int, total: int, singular: str, plural: str, verb: str = "") -> str:
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


def _clip_epsilon(eps: float) -> str:
    if eps <= 1e-15:
        return "1e-15"
    if eps <= 1e-6:
        return "1e-7"
    return "1e-3"


def _axis_argument(axis: int) -> str:
    """The ``, axis=1`` to add to a suggested call, or nothing for the default axis 0."""
    return "" if axis == 0 else f", axis={axis}"


def _keepdims_sum(axis: int) -> str:
    return f"E / E.sum(axis={axis}, keepdims=True)"


def _raise(header: str, expected: str, found: list, fixes: list) -> None:
    lines = [header, f"Expected: {expected}", "Found:"]
    lines += [f"  - {item}" for item in found]
    lines.append("Write instead:" if len(fixes) == 1 else "What to do:")
    lines += [f"  {fix}" for fix in fixes]
    raise LossCheckError("\n".join(lines))


# --------------------------------------------------------------------------
# Diagnostic scans (only after the fast path has failed)


class _Tally:
    """One kind of problem, counted in examples, with the worst instance and where."""

    __slots__ = ("count", "score", "index", "value")

    def __init__(self) -> None:
        self.count = 0
        self.score = -math.inf
        self.index: tuple | None = None
        self.value: Any = None

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, mask: np.ndarray, score: np.ndarray | float, where: Callable[[int], tuple]) -> None:
        """Count the examples in ``mask``; keep the highest-scoring one (the first on ties)."""
        n = int(np.count_nonzero(mask))
        if n == 0:
            return
        self.count += n
        scores = np.where(mask, score, -np.inf)
        flat = int(np.argmax(scores))
        best = float(scores.reshape(-1)[flat])
        if best > self.score or self.index is None:
            self.score = best
            self.index, self.value = where(flat)


def _scan_probabilities(ops: Any, a: Any, layout: _Layout, activation: str, tolerance: float) -> dict:
    found = {kind: _Tally() for kind in ("nonfinite", "outside", "zero", "one", "sum")}
    axis = layout.class_axis
    for chunk, start in layout.chunks(a):
        finite = ops.isfinite(chunk)
        nonfinite_per_example = ops.host(ops.count(~finite, axis))
        example_shape = nonfinite_per_example.shape

        def entry(class_indices: np.ndarray, take_value: bool = False) -> Callable[[int], tuple]:
            def where(flat: int) -> tuple:
                example = layout.example_index(example_shape, flat, start)
                index = layout.location(example, class_indices.reshape(-1)[flat])
                value = ops.item(a, index) if take_value else None
                return index, value

            return where

        has_nonfinite = nonfinite_per_example > 0
        if has_nonfinite.any():
            first = ops.host(ops.argmax(~finite, axis))
            found["nonfinite"].add(has_nonfinite, 0.0, entry(first, take_value=True))
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
            found["outside"].add(below | above, distance, entry(worst_at, take_value=True))
        if (lows == 0).any():
            found["zero"].add(lows == 0, 0.0, entry(ops.host(ops.argmin(safe, axis)), take_value=True))
        if activation == "sigmoid" and (highs == 1).any():
            found["one"].add(highs == 1, 0.0, entry(ops.host(ops.argmax(safe, axis)), take_value=True))
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


def _explain_probabilities(ops: Any, a: Any, layout: _Layout, activation: str, name: str) -> None:
    described = _describe(ops, a, name)
    one, many = _terms(layout)
    total = layout.n_examples
    eps = ops.eps(a) if ops.kind(a) in "fc" else 2.0**-52
    axis = layout.class_axis

    if activation == "softmax":
        tolerance = _sum_tolerance(eps, layout.n_classes)
        header = f"{described}, classes along axis {axis}, is not a valid softmax output."
        expected = (
            f"finite probabilities in (0, 1], each {one} summing to 1 along axis {axis} "
            f"(tolerance {tolerance:.2g} for {ops.dtype_name(a)})."
        )
        if layout.n_classes < 2:
            _raise(
                header,
                expected,
                [f"{name} has {layout.n_classes} class along axis {axis}: a softmax over a "
                 f"single class is identically 1, its loss is 0 and its gradient A - Y "
                 f"carries no signal."],
                [f"For two classes use one sigmoid unit with binary cross-entropy "
                 f"(activation='sigmoid', loss='bce'); if the classes lie along another "
                 f"axis, pass that axis (axis=1 for (examples, classes) rows)."],
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
            f"{_of(t.count, total, one, many, 'contain')} NaN or inf; first: "
            f"{_entry_text(name, t)}"
        )
        if activation == "softmax":
            fixes.append(
                f"Shift the logits before exponentiating so exp cannot overflow: "
                f"E = np.exp(Z - Z.max(axis={axis}, keepdims=True)); "
                f"{name} = {_keepdims_sum(axis)}. A NaN that entered earlier (Z, the weights) "
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
            f"{_of(t.count, total, one, many, 'hold')} values outside [0, 1]; worst: "
            f"{_entry_text(name, t)}"
        )
        fixes.append(
            f"{name} looks like logits Z or log-probabilities, not probabilities: apply the "
            f"activation first ({name} = {activation}(Z)), or give the logits to a loss that "
            f"expects logits."
        )
    log_risk = []
    if found["zero"]:
        t = found["zero"]
        where = _index_text(name, t.index)
        log_risk.append(f"exactly 0 in {_of(t.count, total, one, many)} (first {where})")
    if found["one"]:
        t = found["one"]
        where = _index_text(name, t.index)
        log_risk.append(f"exactly 1 in {_of(t.count, total, one, many)} (first {where})")
    if log_risk:
        logs = f"log({name})" if activation == "softmax" else f"log({name}) or log(1 - {name})"
        found_lines.append("; ".join(log_risk) + f": {logs} is -inf there, and 0 * log(0) is nan")
        clip = _clip_epsilon(eps)
        fixes.append(
            f"Clip before the log, {name} = np.clip({name}, {clip}, 1 - {clip}), or compute the "
            f"loss from the logits ("
            + ("log-softmax: Z - logsumexp(Z)" if activation == "softmax" else "BCE-with-logits")
            + ")."
        )
    if found["sum"]:
        t = found["sum"]
        found_lines.append(
            f"{_of(t.count, total, one, many, 'do')} not sum to 1 along axis {axis}; worst: "
            f"{_index_text(name, t.index)} sums to {_number(t.value)}"
        )
        fixes.append(_explain_bad_sums(ops, a, layout, name, tolerance, found))
    if not found_lines:
        return
    _raise(header, expected, found_lines, fixes)


def _explain_bad_sums(
    ops: Any, a: Any, layout: _Layout, name: str, tolerance: float, found: dict
) -> str:
    axis = layout.class_axis
    normalise = f"E = np.exp(Z - Z.max(axis={axis}, keepdims=True)); {name} = {_keepdims_sum(axis)}"
    if len(layout.shape) == 2:
        other = 1 - axis
        other_tolerance = _sum_tolerance(ops.eps(a), layout.shape[other])
        if _axis_sums_near_one(ops, a, other, other_tolerance):
            return (
                f"{name} sums to 1 along axis {other}, not along axis {axis}: the softmax "
                f"normalised over the examples. Write {normalise}; or, if the classes really "
                f"lie along axis {other}, pass axis={other} to the check."
            )
    if _axis_sums_near_one(ops, a, None, _sum_tolerance(ops.eps(a), _size(layout.shape))):
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


def _scan_labels(ops: Any, y: Any, layout: _Layout, n_classes: int | None, encoding: str) -> dict:
    """Tally label problems; for one-hot the unit is an example, otherwise an entry."""
    found = {name: _Tally() for name in (
        "nonfinite", "fraction", "negative", "too_large", "no_one", "many_ones", "not_binary",
    )}
    values = {"minus_one": 0, "zero": 0, "one": 0}
    low, high = math.inf, -math.inf
    axis = layout.class_axis
    is_float = ops.kind(y) in "fc"
    for chunk, start in layout.chunks(y):
        finite = ops.isfinite(chunk) if is_float else None
        safe = ops.where(finite, chunk, 0) if is_float else chunk
        zero_mask = chunk == 0
        one_mask = chunk == 1
        not_binary = ~(zero_mask | one_mask)
        values["zero"] += int(ops.scalars(ops.count(zero_mask))[0])
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


def _explain_labels(
    ops: Any, y: Any, layout: _Layout, encoding: str, n_classes: int | None, name: str
) -> None:
    described = _describe(ops, y, name)
    one, many = _terms(layout)
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
        _raise(
            f"{described} is not one-hot along axis {axis}.",
            f"one-hot labels: exactly one 1 per {one} along axis {axis}, the rest 0.",
            [f"{name} has a single entry per example along axis {axis} (values "
             f"{_number(low)}..{_number(high)}): it looks like class indices, not one-hot"],
            [f"{name}_one_hot = runtime.one_hot({name}, {classes}{_axis_argument(axis)})"
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
            f"{_of(t.count, total, *unit, 'contain')} NaN or inf; first: {_entry_text(name, t)}"
        )
        fixes.append(f"Find where NaN entered {name} (missing labels?) and drop or fill those examples.")

    if encoding == "binary":
        header = f"{described} does not hold binary labels."
        expected = "labels in {0, 1}, as binary cross-entropy needs."
        if found["not_binary"]:
            t = found["not_binary"]
            found_lines.append(
                f"{_of(t.count, total, *unit, 'hold')} values other than 0 and 1; first: "
                f"{_entry_text(name, t)}"
            )
        signs = values["minus_one"] + values["one"]
        only_signs = values["minus_one"] > 0 and signs == _size(layout.shape)
        if only_signs:
            found_lines.append("the values are {-1, 1}: the +/-1 convention of SVMs and tanh outputs")
            fixes.append(f"{name} = ({name} + 1) / 2   # maps -1 -> 0 and 1 -> 1")
        elif found["too_large"] and not found["fraction"] and low >= 0:
            found_lines.append(f"whole values up to {_number(high)}: {name} looks like class indices")
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
            where = _index_text(name, t.index)
            found_lines.append(f"{_of(t.count, total, *unit, 'have')} no 1 at all; first: {where}")
        if found["many_ones"]:
            t = found["many_ones"]
            where = _index_text(name, t.index)
            found_lines.append(
                f"{_of(t.count, total, *unit, 'have')} more than one 1; first: {where} has {t.value}"
            )
        if found["not_binary"]:
            t = found["not_binary"]
            found_lines.append(
                f"{_of(t.count, total, *unit, 'hold')} values other than 0 and 1; first: "
                f"{_entry_text(name, t)}"
            )
        if found["many_ones"] and not found["not_binary"]:
            fixes.append(
                "Several 1s per example is multi-label data: use sigmoid outputs with binary "
                "cross-entropy (loss='bce'), or keep one label per example."
            )
        if found["not_binary"] and low >= 0 and high <= 1 and not found["nonfinite"]:
            fixes.append(
                "Fractional targets are soft or smoothed labels; this check wants hard one-hot "
                f"labels: build them with runtime.one_hot(indices, C{_axis_argument(axis)})."
            )
        elif found["not_binary"] and not found["fraction"] and high > 1:
            fixes.append(
                f"Whole values above 1 look like class indices: {name}_one_hot = "
                f"runtime.one_hot({name}, C{_axis_argument(axis)})."
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
                f"{_of(t.count, total, *unit, 'are')} not whole numbers; first: {_entry_text(name, t)}"
            )
            fixes.append(
                f"Class indices are whole numbers; if {name} holds probabilities or one-hot rows, "
                f"take argmax along the class axis."
            )
        if found["negative"]:
            t = found["negative"]
            found_lines.append(
                f"{_of(t.count, total, *unit, 'are')} negative; worst: {_entry_text(name, t)}"
            )
            fixes.append(
                "Negative indices silently select classes from the end in NumPy fancy indexing; "
                "drop examples with an ignore label (such as -1) before the loss."
            )
        if found["too_large"]:
            t = found["too_large"]
            found_lines.append(
                f"{_of(t.count, total, *unit, 'are')} >= {n_classes}; worst: {_entry_text(name, t)}"
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
    _raise(header, expected, found_lines, fixes)


# --------------------------------------------------------------------------
# Public checks


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
    if not _enabled:
        return
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'sigmoid' or 'softmax', not {activation!r}")
    ops, a = _ops_for(a)
    _check_probabilities(ops, a, activation, axis, name)


def _check_probabilities(ops: Any, a: Any, activation: str, axis: int, name: str) -> None:
    shape = ops.shape(a)
    if activation == "softmax":
        class_axis: int | None = _class_axis(shape, axis, name, "a softmax output")
    else:
        class_axis = _class_axis(shape, axis, name, "a sigmoid output") if len(shape) >= 2 else None
    if _size(shape) == 0 or ops.is_abstract(a):
        return
    if _fast_clean(ops, a, activation, class_axis if class_axis is not None else 0):
        return
    _explain_probabilities(ops, a, _Layout(shape, class_axis), activation, name)


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
    if not _enabled:
        return
    if encoding not in _ENCODINGS:
        raise ValueError(f"encoding must be 'binary', 'one_hot' or 'indices', not {encoding!r}")
    ops, y = _ops_for(y)
    _check_labels(ops, y, encoding, n_classes, axis, name)


def _check_labels(ops: Any, y: Any, encoding: str, n_classes: int | None, axis: int, name: str) -> None:
    shape = ops.shape(y)
    if encoding == "one_hot":
        class_axis: int | None = _class_axis(shape, axis, name, "one-hot labels")
        if n_classes is not None and shape[class_axis] not in (n_classes, 1):
            raise LossCheckError(
                f"{_describe(ops, y, name)} has {shape[class_axis]} classes along axis "
                f"{class_axis}, but n_classes={n_classes}.\n"
                f"Build the one-hot labels with the model's number of classes: "
                f"runtime.one_hot(indices, {n_classes}{_axis_argument(class_axis)})."
            )
    elif encoding == "binary" and len(shape) >= 2:
        class_axis = _class_axis(shape, axis, name, "binary labels")
    else:
        class_axis = None
    if _size(shape) == 0 or ops.is_abstract(y):
        return
    if _fast_clean(ops, y, encoding, class_axis if class_axis is not None else 0, n_classes):
        return
    _explain_labels(ops, y, _Layout(shape, class_axis), encoding, n_classes, name)


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
    if not _enabled:
        return
    kinds = _LOSSES.get(loss)
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
            if _np_small_cce_clean(a, y, axis):
                return
            if _np_softmax_clean(a, axis) and _np_one_hot_clean(y, axis):
                return
        else:
            if _np_sigmoid_clean(a) and _np_binary_clean(y):
                return
    a_name, y_name = names
    if type(a) is np.ndarray and type(y) is np.ndarray:
        a_ops = y_ops = _NUMPY
    else:
        a_ops, a = _ops_for(a)
        y_ops, y = _ops_for(y)
    a_shape, y_shape = a_ops.shape(a), y_ops.shape(y)
    if a_shape != y_shape:
        _explain_pair_shapes(a_ops, a, y_ops, y, loss, axis, a_name, y_name)
    activation, encoding = kinds
    _check_probabilities(a_ops, a, activation, axis, a_name)
    _check_labels(y_ops, y, encoding, None, axis, y_name)


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
        f"{_describe(a_ops, a, a_name)} and {_describe(y_ops, y, y_name)} differ in shape; "
        f"{_broadcast_text(a_shape, y_shape, a_name, y_name)}."
    )
    class_axis = _class_axis(a_shape, axis, a_name, "the probabilities")
    n_classes = a_shape[class_axis]
    example_shape = tuple(n for i, n in enumerate(a_shape) if i != class_axis)
    squeezed_y = tuple(n for n in y_shape if n != 1)
    squeezed_examples = tuple(n for n in example_shape if n != 1)

    looks_like_indices = (
        n_classes > 1
        and squeezed_y == squeezed_examples
        and _size(y_shape) == _size(example_shape)
        and _looks_like_indices(y_ops, y, n_classes)
    )
    if looks_like_indices:
        layout = _axis_argument(class_axis)
        m = _size(example_shape)
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
    return kind != "f" or _count_fractional(ops, y) == 0


# --------------------------------------------------------------------------
# one_hot


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
    ops, indices = _ops_for(indices)
    shape = ops.shape(indices)
    checkable = _size(shape) and not ops.is_abstract(indices)
    if checkable and not _fast_clean(ops, indices, "indices", 0, n_classes):
        _explain_labels(ops, indices, _Layout(shape, None), "indices", n_classes, "indices")
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


# --------------------------------------------------------------------------
# guard


_MISSING = object()


def guard(loss: Any = "cce", probs: str = "AL", labels: str = "Y", axis: int = 0) -> Any:
    """Decorate a loss or gradient function so its inputs (and loss) are checked.

    ::

        @runtime.guard(loss="cce", probs="AL", labels="Y")
        def compute_cost(AL, Y): ...

        @runtime.guard(loss="bce", probs="AL", labels="Y")
        def backward(AL, Y, caches): ...

    On each call the arguments named ``probs`` and ``labels`` are found by
    parameter name, whether passed by position or by keyword, and checked
    with :func:`check_loss_inputs` before the body runs.  If the function
    returns a single number (a Python or NumPy scalar, or an array or tensor
    of size 1) it is taken for the loss and must be finite and non-negative,
    as every cross-entropy is; any other result (gradients, tuples, dicts) is
    returned untouched.  The result is always returned exactly as the
    function produced it, and ``functools.wraps`` keeps the name, docstring
    and signature.  With the checks off (:func:`disable`, ``LOSSLINT_RUNTIME=0``)
    the wrapper only calls the function.

    ``@runtime.guard`` without parentheses uses the defaults.
    """
    if callable(loss):
        return guard()(loss)
    if loss not in _LOSSES:
        raise ValueError(f"loss must be 'bce' or 'cce', not {loss!r}")

    def decorate(func: _F) -> _F:
        signature = inspect.signature(func)
        parameters = list(signature.parameters.values())
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        by_name = {p.name: p for p in parameters}
        positional = [
            p.name for p in parameters
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ]
        for wanted, role in ((probs, "probs"), (labels, "labels")):
            if wanted not in by_name and not takes_kwargs:
                raise TypeError(
                    f"guard({role}={wanted!r}): {func.__qualname__}{signature} has no parameter "
                    f"named {wanted!r}; pass {role}= the name it uses"
                )

        def locator(wanted: str) -> tuple[int | None, Any, bool]:
            parameter = by_name.get(wanted)
            position = positional.index(wanted) if wanted in positional else None
            keyword_ok = parameter is None or parameter.kind is not inspect.Parameter.POSITIONAL_ONLY
            has_default = parameter is not None and parameter.default is not inspect.Parameter.empty
            default = parameter.default if has_default else _MISSING
            return position, default, keyword_ok

        probs_position, probs_default, probs_keyword = locator(probs)
        labels_position, labels_default, labels_keyword = locator(labels)
        # Methods read better as Class.method; closures need no enclosing path.
        label = func.__qualname__.rpartition("<locals>.")[2]

        def argument(
            args: tuple, kwargs: dict, wanted: str, position: int | None, default: Any, keyword_ok: bool
        ) -> Any:
            if position is not None and position < len(args):
                return args[position]
            if keyword_ok and wanted in kwargs:
                return kwargs[wanted]
            return default

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not _enabled:
                return func(*args, **kwargs)
            a = argument(args, kwargs, probs, probs_position, probs_default, probs_keyword)
            y = argument(args, kwargs, labels, labels_position, labels_default, labels_keyword)
            if a is not _MISSING and y is not _MISSING:
                try:
                    check_loss_inputs(a, y, loss=loss, axis=axis, names=(probs, labels))
                except LossCheckError as error:
                    raise LossCheckError(f"{label}(): {error}") from None
            result = func(*args, **kwargs)
            _check_loss_value(result, label)
            return result

        return guarded  # type: ignore[return-value]

    return decorate


def _check_loss_value(result: Any, label: str) -> None:
    if isinstance(result, bool):
        return
    if isinstance(result, (int, float, np.number)):
        value = float(result)
    elif hasattr(result, "shape") and hasattr(result, "dtype"):
        ops, array = _ops_for(result)
        shape = ops.shape(array)
        if _size(shape) != 1 or ops.kind(array) not in "iuf" or ops.is_abstract(array):
            return
        value = ops.item(array, (0,) * len(shape))
    else:
        return
    if math.isnan(value) or math.isinf(value):
        raise LossCheckError(
            f"{label}() returned a loss of {value}.\n"
            f"Expected: a finite, non-negative cross-entropy.\n"
            f"A non-finite loss comes from log(0) (an exact 0 or 1 probability) or 0 * log(0), "
            f"or from NaN in the inputs. Clip the probabilities before the log, "
            f"e.g. np.clip(A, 1e-15, 1 - 1e-15), or compute the loss from logits."
        )
    if value < 0:
        raise LossCheckError(
            f"{label}() returned a loss of {_number(value)}.\n"
            f"Expected: a non-negative cross-entropy; -[y log a + (1-y) log(1-a)] and "
            f"-sum(y log a) are never negative.\n"
            f"The leading minus sign is probably missing: J = -np.mean(...), or the "
            f"arguments (A, Y) are swapped."
        )


# --------------------------------------------------------------------------
# gradcheck


def gradcheck(
    loss_fn: Callable[[Any], Any],
    grad_fn: Callable[[Any], Any],
    x: Any,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-4,
    atol: float = 1e-8,
    max_elements: int = _GRADCHECK_MAX_ELEMENTS,
    seed: int = 0,
) -> float:
    """Compare ``grad_fn(x)`` with central differences of the scalar ``loss_fn(x)``.

    For each checked element ``i`` the numerical derivative is
    ``(loss_fn(x + eps e_i) - loss_fn(x - eps e_i)) / (2 eps)`` and its
    relative error against the analytic one ``g``::

        |g - numeric| / (max(|g|, |numeric|) + atol / rtol)

    which exceeds ``rtol`` exactly when ``|g - numeric| > atol + rtol *
    max(|g|, |numeric|)``.  Returns the largest relative error; raises
    :class:`LossCheckError` naming the worst element, and the pattern when
    there is one (a constant factor such as a missing ``1/m``, a flipped
    sign), if any element is above tolerance.

    Every element is checked when ``x`` has at most ``max_elements``
    (default 2000); otherwise a random sample of ``max_elements`` distinct
    elements, drawn with ``numpy.random.default_rng(seed)``, so the same
    ``seed`` checks the same elements on every run.

    ``x`` itself is never modified: the functions receive float64 copies
    (NumPy, PyTorch; JAX needs ``jax_enable_x64``, since float32 differences
    cannot reach these tolerances).  Unlike the ``check_*`` functions,
    gradcheck runs even when the checks are disabled.
    """
    if eps <= 0 or rtol <= 0 or atol < 0:
        raise ValueError("eps and rtol must be positive and atol non-negative")
    if max_elements < 1:
        raise ValueError("max_elements must be at least 1")
    ops, x = _ops_for(x)
    shape = ops.shape(x)
    work, set_entry = _float64_workspace(ops, x)
    n = _size(shape)
    if n == 0:
        return 0.0
    if n > max_elements:
        chosen = np.sort(np.random.default_rng(seed).choice(n, size=max_elements, replace=False))
        sampled = f"a random sample (seed={seed}) of {max_elements} of {n} elements"
    else:
        chosen = np.arange(n)
        sampled = f"all {n} elements"

    analytic_full = grad_fn(_fresh_copy(ops, work))
    g_ops, analytic_full = _ops_for(analytic_full)
    if g_ops.shape(analytic_full) != shape:
        raise LossCheckError(
            f"gradcheck: grad_fn returned shape {g_ops.shape(analytic_full)} but x has shape "
            f"{shape}; the gradient of a scalar loss has the shape of its input."
        )
    analytic = _gather(g_ops, analytic_full, chosen)

    base = _loss_number(loss_fn(_fresh_copy(ops, work)))
    if not math.isfinite(base):
        raise LossCheckError(f"gradcheck: loss_fn(x) is {base}; a gradient check needs a finite loss.")

    numeric = np.empty(len(chosen))
    for k, flat in enumerate(chosen):
        index = tuple(int(i) for i in np.unravel_index(int(flat), shape))
        original = float(work[index])
        work = set_entry(work, index, original + eps)
        plus = _loss_number(loss_fn(work))
        work = set_entry(work, index, original - eps)
        minus = _loss_number(loss_fn(work))
        work = set_entry(work, index, original)
        numeric[k] = (plus - minus) / (2.0 * eps)

    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    difference = np.abs(analytic - numeric)
    with np.errstate(invalid="ignore"):
        relative = difference / (scale + atol / rtol)
    relative = np.where(np.isnan(relative), np.inf, relative)
    worst = int(np.argmax(relative))
    worst_error = float(relative[worst])
    if worst_error <= rtol:
        return worst_error

    failing = relative > rtol
    index = tuple(int(i) for i in np.unravel_index(int(chosen[worst]), shape))
    lines = [
        "gradcheck: grad_fn disagrees with central differences of loss_fn.",
        f"Worst element {_index_text('x', index)}: grad_fn gives {_number(float(analytic[worst]))}, "
        f"the central difference {_number(float(numeric[worst]))} (relative error "
        f"{worst_error:.3g} > rtol {rtol:g}).",
        f"{int(failing.sum())} of {len(chosen)} checked elements fail ({sampled} checked, "
        f"eps={eps:g}).",
    ]
    lines.append(_gradient_pattern(analytic, numeric, failing))
    raise LossCheckError("\n".join(lines))


def _gradient_pattern(analytic: np.ndarray, numeric: np.ndarray, failing: np.ndarray) -> str:
    meaningful = failing & (np.abs(numeric) > 1e-7) & np.isfinite(analytic)
    if meaningful.sum() >= 2:
        ratios = analytic[meaningful] / numeric[meaningful]
        ratio = float(np.median(ratios))
        if np.all(np.abs(ratios - ratio) <= 1e-3 * abs(ratio)):
            if abs(ratio + 1) < 1e-3:
                return (
                    "Pattern: grad_fn is the negative of the numerical gradient everywhere it "
                    "fails: the sign is flipped (dZ = A - Y, not Y - A; the loss carries the minus)."
                )
            if ratio > 1 and abs(ratio - round(ratio)) < 1e-3 * ratio:
                return (
                    f"Pattern: grad_fn is {round(ratio)} times the numerical gradient everywhere "
                    f"it fails: if the loss is a mean over m = {round(ratio)} examples, the "
                    f"gradient is missing its 1/m (dZ = (A - Y) / m)."
                )
            if 0 < ratio < 1 and abs(1 / ratio - round(1 / ratio)) < 1e-3 / ratio:
                return (
                    f"Pattern: grad_fn is 1/{round(1 / ratio)} of the numerical gradient "
                    f"everywhere it fails: the gradient is divided by m once too often, or the "
                    f"loss is a sum while the gradient is of a mean."
                )
            return (
                f"Pattern: grad_fn is a constant {ratio:.4g} times the numerical gradient "
                f"where it fails."
            )
    return (
        "No constant factor explains the difference: the derivative itself is wrong. For "
        "sigmoid + binary cross-entropy and for softmax + categorical cross-entropy alike, "
        "dL/dz = a - y (divided by m for a mean); the BCE derivative -(y/a - (1-y)/(1-a)) "
        "belongs to a sigmoid output and must not be taken back through the softmax Jacobian."
    )


def _float64_workspace(ops: Any, x: Any) -> tuple[Any, Callable[[Any, tuple, float], Any]]:
    """A float64 copy of ``x`` and a way to set one of its entries."""
    if ops.library == "numpy":
        work = np.array(x, dtype=np.float64, copy=True)

        def set_numpy(array: Any, index: tuple, value: float) -> Any:
            array[index] = value
            return array

        return work, set_numpy
    if ops.library == "torch":
        work = x.detach().to(dtype=ops.torch.float64, copy=True)

        def set_torch(array: Any, index: tuple, value: float) -> Any:
            array[index] = value
            return array

        return work, set_torch
    jnp = ops.jnp
    if not ops.jax.config.jax_enable_x64:
        raise ValueError(
            "gradcheck on JAX arrays needs float64: run jax.config.update('jax_enable_x64', True) "
            "first (float32 central differences cannot reach rtol=1e-4)."
        )
    work = jnp.asarray(x, dtype=jnp.float64)

    def set_jax(array: Any, index: tuple, value: float) -> Any:
        return array.at[index].set(value)

    return work, set_jax


def _fresh_copy(ops: Any, work: Any) -> Any:
    """A copy for a user function, so an in-place edit there cannot disturb the check."""
    if ops.library == "numpy":
        return work.copy()
    if ops.library == "torch":
        return work.clone()
    return work


def _gather(ops: Any, array: Any, flat_indices: np.ndarray) -> np.ndarray:
    if ops.library == "torch":
        picked = array.detach().reshape(-1)[ops.torch.as_tensor(flat_indices, device=array.device)]
        return picked.to(ops.torch.float64).cpu().numpy()
    if ops.library == "jax":
        return np.asarray(array.reshape(-1)[flat_indices], dtype=np.float64)
    return np.asarray(array, dtype=np.float64).reshape(-1)[flat_indices]


def _loss_number(value: Any) -> float:
    shape = tuple(getattr(value, "shape", ()))
    if _size(shape) != 1:
        raise LossCheckError(
            f"gradcheck: loss_fn must return a scalar, got an array of shape {shape}; "
            f"reduce it (np.mean over the examples)."
        )
    return float(value.item()) if hasattr(value, "item") else float(value)
