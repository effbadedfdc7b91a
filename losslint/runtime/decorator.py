"""guard: a decorator that checks a loss or gradient function's inputs and loss."""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any, Callable, TypeVar

import numpy as np

from . import switch
from .backends import ops_for
from .errors import LossCheckError
from .layout import size
from .pairs import LOSSES, check_loss_inputs
from .wording import number

_F = TypeVar("_F", bound=Callable[..., Any])
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
    if loss not in LOSSES:
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
            if not switch.enabled:
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
        ops, array = ops_for(result)
        shape = ops.shape(array)
        if size(shape) != 1 or ops.kind(array) not in "iuf" or ops.is_abstract(array):
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
            f"{label}() returned a loss of {number(value)}.\n"
            f"Expected: a non-negative cross-entropy; -[y log a + (1-y) log(1-a)] and "
            f"-sum(y log a) are never negative.\n"
            f"The leading minus sign is probably missing: J = -np.mean(...), or the "
            f"arguments (A, Y) are swapped."
        )
