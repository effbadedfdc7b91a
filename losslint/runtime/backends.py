"""The operations each array library (NumPy, PyTorch, JAX) offers the checks.

Each ``_*Ops`` class offers the same small vocabulary, implemented with its
own library so that tensors stay where they are.  Reductions return arrays
of the same library; ``host`` moves a small result (per-example summaries,
never a full input) to NumPy and ``scalars`` turns 0-d results into numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .precision import numpy_accumulator, numpy_eps


class _NumpyOps:
    library = "numpy"

    def shape(self, x: Any) -> tuple:
        return x.shape

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype)

    def kind(self, x: Any) -> str:
        return x.dtype.kind

    def eps(self, x: Any) -> float:
        return numpy_eps(x.dtype)

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
        return np.sum(x, axis=axis, dtype=numpy_accumulator(x.dtype))

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


NUMPY = _NumpyOps()
_library_ops: dict = {}


def ops_for(x: Any) -> tuple[Any, Any]:
    """Return ``(ops, array)``: the library operations for ``x`` and ``x`` ready for them."""
    cls = type(x)
    if cls is np.ndarray:
        return NUMPY, x
    root = cls.__module__.partition(".")[0]
    if root == "torch":
        library = "torch"
    elif root in ("jax", "jaxlib"):
        library = "jax"
    else:
        # NumPy subclasses (memmap, matrix) become plain views; lists and
        # scalars are converted, which copies only what was not an array.
        return NUMPY, np.asarray(x)
    ops = _library_ops.get(library)
    if ops is None:
        ops = _library_ops[library] = _TorchOps() if library == "torch" else _JaxOps()
    return ops, ops.prepare(x)
