"""gradcheck: an analytic gradient against central differences of the loss."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .backends import ops_for
from .errors import LossCheckError
from .layout import size
from .wording import index_text, number

_GRADCHECK_MAX_ELEMENTS = 2000


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
    ops, x = ops_for(x)
    shape = ops.shape(x)
    work, set_entry = _float64_workspace(ops, x)
    n = size(shape)
    if n == 0:
        return 0.0
    if n > max_elements:
        chosen = np.sort(np.random.default_rng(seed).choice(n, size=max_elements, replace=False))
        sampled = f"a random sample (seed={seed}) of {max_elements} of {n} elements"
    else:
        chosen = np.arange(n)
        sampled = f"all {n} elements"

    analytic_full = grad_fn(_fresh_copy(ops, work))
    g_ops, analytic_full = ops_for(analytic_full)
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
        f"Worst element {index_text('x', index)}: grad_fn gives {number(float(analytic[worst]))}, "
        f"the central difference {number(float(numeric[worst]))} (relative error "
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
    if size(shape) != 1:
        raise LossCheckError(
            f"gradcheck: loss_fn must return a scalar, got an array of shape {shape}; "
            f"reduce it (np.mean over the examples)."
        )
    return float(value.item()) if hasattr(value, "item") else float(value)
