"""What each kind of site checks when its values arrive, and the rule code a failure stands for.

A verdict returns when the values are fine or are not evidence of anything,
and raises ``Violation`` only on evidence in the values themselves: a shape
that broadcasts whole-number labels over the probabilities, probabilities
whose every example sums to 1 where logits or a sigmoid belong, and so on.
Values of other types (lists, scalars, DataFrames) are not judged.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

from losslint.runtime.backends import NUMPY, ops_for
from losslint.runtime.errors import LossCheckError, raise_check_error
from losslint.runtime.fast import count_fractional, fast_clean
from losslint.runtime.labels import check_labels
from losslint.runtime.pairs import check_loss_inputs

from . import siteinfo
from .siteinfo import SiteInfo

_ARRAY_ROOTS = frozenset({"numpy", "torch", "jax", "jaxlib"})


class Violation(Exception):
    """A site's values break the pairing a rule stands for."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def judge(info: SiteInfo, values: Sequence[Any]) -> None:
    """Raise ``Violation`` when the values that met at ``info`` are wrong together."""
    operands: Dict[str, Any] = {}
    for role, value in zip(info.roles, values):
        prepared = _array(value)
        if prepared is not None:
            operands[role] = prepared
    _VERDICTS[info.check](info, operands)


def _array(value: Any):
    """``(ops, array)`` for a NumPy, PyTorch or JAX array; None for anything else."""
    kind = type(value)
    if kind is np.ndarray:
        return NUMPY, value
    if kind.__module__.partition(".")[0] not in _ARRAY_ROOTS or not hasattr(value, "shape"):
        return None
    if isinstance(value, np.generic):
        return None
    return ops_for(value)


# ----- the verdicts


def _gradient(info: SiteInfo, operands) -> None:
    """``A - Y``: labels the shape of the probabilities, or the broadcast LL002 is about."""
    if "probabilities" in operands and "labels" in operands:
        _labels_fit(info, operands["probabilities"], operands["labels"], info.activation)


def _bce_derivative(info: SiteInfo, operands) -> None:
    """``-(Y/A - (1-Y)/(1-A))`` on a softmax output: LL001."""
    if "probabilities" not in operands:
        return
    ops, a = operands["probabilities"]
    axis = _softmax_axis(ops, a)
    if axis is not None:
        a_name, y_name = _names(info)
        n = ops.shape(a)[axis]
        _violate(
            "LL001",
            lambda: raise_check_error(
                f"{a_name} is a softmax output, but `{info.text}` is the derivative of binary "
                f"cross-entropy, which only sigmoid outputs pair with.",
                f"{a_name} from a sigmoid (independent probabilities), or the softmax gradient",
                [
                    f"{a_name} has shape {ops.shape(a)} and every slice along axis {axis} sums to 1: "
                    f"a softmax over {n} classes",
                    "through the softmax Jacobian this derivative gives a wrong dZ, and nothing raises",
                ],
                [f"dZ = {a_name} - {y_name}_one_hot   # softmax with categorical cross-entropy; no dA step"],
            ),
        )
    if "labels" in operands:
        _labels_fit(info, operands["probabilities"], operands["labels"], "sigmoid")


def _categorical_cross_entropy(info: SiteInfo, operands) -> None:
    """``Y * log(A)``: labels of A's shape (LL002), and A a softmax when Y is one-hot (LL003)."""
    if "probabilities" not in operands or "labels" not in operands:
        return
    (ops, a), (y_ops, y) = operands["probabilities"], operands["labels"]
    if ops.shape(a) != y_ops.shape(y):
        _labels_fit(info, (ops, a), (y_ops, y), "softmax")
        return
    if ops.is_abstract(a) or y_ops.is_abstract(y) or info.activation == "softmax":
        return  # LL003 is about probabilities that do not sum to 1; the analysis saw this A come from a softmax
    class_axis = _one_hot_axis(y_ops, y)
    if class_axis is None or not _within_unit_interval(ops, a):
        return  # soft labels, counts or a distribution: not the head-and-loss pairing LL003 is about
    if _sums_to_one(ops, a, class_axis, tolerance=1e-3):
        return
    a_name, y_name = _names(info)
    sums = ops.host(ops.sum(a, class_axis)).ravel()
    worst = float(sums[np.argmax(np.abs(sums - 1.0))])
    _violate(
        "LL003",
        lambda: raise_check_error(
            f"`{info.text}` is categorical cross-entropy, but {a_name} is not a softmax output.",
            f"{a_name} summing to 1 over the {ops.shape(a)[class_axis]} classes of axis {class_axis}, "
            f"as the one-hot {y_name} does",
            [
                f"{a_name} {ops.shape(a)} lies in [0, 1] but its sums along axis {class_axis} "
                f"range up to {worst:.4g}: independent (sigmoid) probabilities",
                "-sum(Y * log(A)) then only rewards the true class and never penalises the others",
            ],
            [
                f"{a_name} = softmax(Z) with the classes along axis {class_axis}, "
                f"and dZ = {a_name} - {y_name}",
                "or, for independent labels, binary cross-entropy: -(Y*log(A) + (1-Y)*log(1-A))",
            ],
        ),
    )


def _binary_cross_entropy(info: SiteInfo, operands) -> None:
    if "probabilities" in operands and "labels" in operands:
        _labels_fit(info, operands["probabilities"], operands["labels"], "sigmoid")


def _loss_call(info: SiteInfo, operands) -> None:
    prediction = operands.get("prediction")
    target = operands.get("target")
    if prediction is None:
        return
    ops, p = prediction
    if ops.is_abstract(p):
        return
    class_axis = _loss_class_axis(ops, p, info)
    if info.expects == "logits" and info.family != "binary" and class_axis is not None:
        if _is_probability_rows(ops, p, class_axis):
            _prediction_is_softmax("LL005", info, ops, p, class_axis)
    if info.expects == "log-probabilities" and class_axis is not None:
        if _is_probability_rows(ops, p, class_axis):
            _prediction_is_softmax("LL011", info, ops, p, class_axis)
    if target is not None and class_axis is not None:
        _loss_labels(info, (ops, p), target, class_axis)


def _softmax_output(info: SiteInfo, operands) -> None:
    """A hand-written, unshifted softmax: finite, or the overflow LL004 warns of."""
    if "value" not in operands:
        return
    ops, a = operands["value"]
    if ops.is_abstract(a) or ops.kind(a) != "f":
        return
    (total,) = ops.scalars(ops.sum(a))
    if math.isfinite(total):
        return
    bad = ops.host(ops.count(~ops.isfinite(a))).item()
    limit = {"float16": "11", "float32": "88.7", "bfloat16": "88.7"}.get(ops.dtype_name(a), "709.8")
    _violate(
        "LL004",
        lambda: raise_check_error(
            f"The softmax `{info.text}` produced NaN or inf: exp() overflowed.",
            "finite probabilities",
            [f"{bad} of {int(np.prod(ops.shape(a)))} entries of the {ops.dtype_name(a)} result are NaN or inf; "
             f"exp(z) overflows once z exceeds about {limit}"],
            ["e = np.exp(Z - Z.max(axis=0, keepdims=True))   # the same softmax, shifted by its max",
             "A = e / e.sum(axis=0, keepdims=True)"],
        ),
    )


_VERDICTS: Dict[str, Callable[[SiteInfo, Dict[str, Any]], None]] = {
    siteinfo.GRADIENT: _gradient,
    siteinfo.BCE_DERIVATIVE: _bce_derivative,
    siteinfo.CATEGORICAL_CROSS_ENTROPY: _categorical_cross_entropy,
    siteinfo.BINARY_CROSS_ENTROPY: _binary_cross_entropy,
    siteinfo.LOSS_CALL: _loss_call,
    siteinfo.SOFTMAX_OUTPUT: _softmax_output,
}


# ----- shared pieces


def _labels_fit(info: SiteInfo, probabilities, labels, activation: str) -> None:
    """Labels the shape of the probabilities; whole-number labels of another shape are LL002's broadcast."""
    (ops, a), (y_ops, y) = probabilities, labels
    a_name, y_name = _names(info)
    if ops.shape(a) == y_ops.shape(y):
        # The range first: one min and max settle the usual labels, which never exceed 1.
        if not y_ops.is_abstract(y) and _range(y_ops, y)[1] > 1 and _whole_numbers(y_ops, y):
            axis = _softmax_axis(ops, a)
            encoding = "one_hot" if axis is not None else "binary"
            _violate("LL002", lambda: check_labels(y, encoding=encoding, axis=axis or 0, name=y_name))
        return
    if y_ops.is_abstract(y) or not _whole_numbers(y_ops, y):
        return  # a broadcast of something that is not labels (a mean, a bias): not LL002's business
    axis = _softmax_axis(ops, a)
    loss = "cce" if axis is not None or activation == "softmax" else "bce"
    _violate(
        "LL002",
        lambda: check_loss_inputs(a, y, loss=loss, axis=0 if axis is None else axis, names=(a_name, y_name)),
    )


def _loss_labels(info: SiteInfo, prediction, target, class_axis: int) -> None:
    (ops, p), (t_ops, t) = prediction, target
    if t_ops.is_abstract(t):
        return
    _, name = _names(info)
    if info.labels == "one_hot" and t_ops.shape(t) != ops.shape(p) and _whole_numbers(t_ops, t):
        n = ops.shape(p)[class_axis]
        _violate(
            "LL012",
            lambda: raise_check_error(
                f"`{info.loss}` needs one-hot labels the shape of its predictions, but {name} holds class indices.",
                f"{name} of shape {ops.shape(p)}",
                [f"{name} has shape {t_ops.shape(t)} and whole-number values: class indices, "
                 "which this loss broadcasts against the predictions without an error"],
                [f"{name}_one_hot = one_hot({name}, {n})   # then {info.loss}({name}_one_hot, ...)",
                 "or the sparse variant of the loss, which takes class indices"],
            ),
        )
    if info.labels == "indices" and t_ops.shape(t) == ops.shape(p) and ops.shape(p)[class_axis] > 1:
        if fast_clean(t_ops, t, "one_hot", class_axis):
            _violate(
                "LL012",
                lambda: raise_check_error(
                    f"`{info.loss}` takes class indices, but {name} is one-hot encoded.",
                    f"{name} of class indices, one per example",
                    [f"{name} has the predictions' shape {ops.shape(p)} and one 1 per example along axis {class_axis}"],
                    [f"{name}.argmax(axis={class_axis})   # the indices", "or the non-sparse loss, which takes one-hot labels"],
                ),
            )


def _prediction_is_softmax(code: str, info: SiteInfo, ops, p, class_axis: int) -> None:
    name = _names(info)[0]
    wants = "logits" if code == "LL005" else "log-probabilities"
    where = f" ({info.origin})" if info.origin else ""
    fixes = (
        [f"return the logits from the model and pass them straight to {info.loss}",
         "or, to keep the softmax, log() it and use nll_loss"]
        if code == "LL005"
        else [f"{info.loss}(log_softmax(z, dim={class_axis}), target)   # or cross_entropy(z, target) on the logits"]
    )
    _violate(
        code,
        lambda: raise_check_error(
            f"`{info.loss}` expects {wants}, but {name} is a softmax output{where}.",
            wants,
            [f"{name} has shape {ops.shape(p)}, every value in [0, 1] and every slice along axis "
             f"{class_axis} summing to 1",
             "the loss normalises again, so its gradient shrinks and training stalls, without an error"
             if code == "LL005" else "nll_loss(probabilities) is -p[y], not -log p[y]: a wrong, bounded loss"],
            fixes,
        ),
    )


def _loss_class_axis(ops, p, info: SiteInfo) -> Optional[int]:
    shape = ops.shape(p)
    if not shape:
        return None
    if info.framework == "torch" or ops.library == "torch":
        return 1 if len(shape) >= 2 else 0
    return len(shape) - 1


def _softmax_axis(ops, a) -> Optional[int]:
    """An axis along which ``a`` is a softmax output; None when there is none or it cannot be told."""
    shape = ops.shape(a)
    if not shape or ops.is_abstract(a) or ops.kind(a) != "f" or not _within_unit_interval(ops, a):
        return None
    for axis in sorted({0, len(shape) - 1}):
        if _is_probability_rows(ops, a, axis, checked_range=True):
            return axis
    return None


def _is_probability_rows(ops, a, axis: int, checked_range: bool = False) -> bool:
    """Every slice along ``axis`` in [0, 1] and summing to 1, with enough of them to be no coincidence."""
    shape = ops.shape(a)
    if ops.kind(a) != "f" or not -len(shape) <= axis < len(shape):
        return False
    classes = shape[axis]
    examples = int(np.prod(shape)) // max(classes, 1)
    if classes < 2 or examples < 1 or (examples < 2 and classes < 3):
        return False
    if not checked_range and not _within_unit_interval(ops, a):
        return False
    tolerance = max(1e-5, 8 * classes * ops.eps(a))
    return _sums_to_one(ops, a, axis, tolerance)


def _sums_to_one(ops, a, axis: int, tolerance: float) -> bool:
    sums = ops.sum(a, axis)
    low, high = ops.scalars(ops.amin(sums), ops.amax(sums))
    return 1.0 - tolerance <= low and high <= 1.0 + tolerance


def _within_unit_interval(ops, a) -> bool:
    low, high = _range(ops, a)
    return 0.0 <= low and high <= 1.0


def _range(ops, a):
    if not int(np.prod(ops.shape(a))):
        return (0.0, 0.0)
    low, high = ops.scalars(ops.amin(a), ops.amax(a))
    return float(low), float(high)


def _whole_numbers(ops, y) -> bool:
    kind = ops.kind(y)
    if kind in "biu":
        return True
    return kind == "f" and count_fractional(ops, y) == 0


def _one_hot_axis(ops, y) -> Optional[int]:
    shape = ops.shape(y)
    if not shape:
        return None
    for axis in sorted({0, len(shape) - 1}):
        if shape[axis] >= 2 and fast_clean(ops, y, "one_hot", axis):
            return axis
    return None


def _names(info: SiteInfo):
    named = dict(zip(info.roles, info.names))
    first = named.get("probabilities") or named.get("prediction") or named.get("value") or "A"
    second = named.get("labels") or named.get("target") or "Y"
    return first, second


def _violate(code: str, check: Callable[[], None]) -> None:
    """Run a check of ``losslint.runtime`` and turn its error into this site's violation."""
    try:
        check()
    except LossCheckError as error:
        raise Violation(code, str(error)) from None
