"""The runtime checks make no full-size temporary copy, measured with tracemalloc.

NumPy reports its data buffers to tracemalloc, so a hidden ``a.copy()`` or a
boolean mask such as ``np.isfinite(a)`` shows up in the traced peak.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from losslint import runtime
from losslint.runtime import LossCheckError

SHAPE = (128, 32768)  # 16 MiB in float32: several scan chunks, quick to build


def peak_fraction(call, array: np.ndarray) -> float:
    """Peak memory allocated during ``call()``, as a fraction of ``array.nbytes``."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        try:
            call()
        except LossCheckError:
            pass
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak / array.nbytes


@pytest.fixture(autouse=True)
def checks_on():
    was_enabled = runtime.is_enabled()
    runtime.enable()
    yield
    if not was_enabled:
        runtime.disable()


@pytest.fixture(scope="module")
def probabilities() -> np.ndarray:
    z = np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32)
    z -= z.max(axis=0)
    np.exp(z, out=z)
    z /= z.sum(axis=0)
    return z


@pytest.fixture(scope="module")
def one_hot_labels() -> np.ndarray:
    indices = np.random.default_rng(1).integers(0, SHAPE[0], SHAPE[1])
    return runtime.one_hot(indices, SHAPE[0], dtype=np.float32)


def test_tracemalloc_sees_full_size_temporaries(probabilities):
    """Guards the measurement itself: a copy or a boolean mask must register."""
    assert peak_fraction(lambda: probabilities.copy(), probabilities) >= 1.0
    assert peak_fraction(lambda: np.isfinite(probabilities).all(), probabilities) >= 0.25


@pytest.mark.parametrize("order", ["C", "F", "strided", "rows"])
def test_passing_softmax_check_allocates_only_per_example_results(probabilities, order):
    axis = 0
    if order == "F":
        array = np.asfortranarray(probabilities)
    elif order == "strided":
        array = probabilities[:, ::2]
    elif order == "rows":
        array, axis = np.ascontiguousarray(probabilities.T), 1
    else:
        array = probabilities
    assert runtime.check_probabilities(array, activation="softmax", axis=axis) is None
    check = lambda: runtime.check_probabilities(array, activation="softmax", axis=axis)  # noqa: E731
    fraction = peak_fraction(check, array)
    assert fraction < 0.02, f"{order}: {fraction:.3f} of the array"


def test_passing_pair_and_label_checks_allocate_only_per_example_results(probabilities, one_hot_labels):
    binary = (one_hot_labels + 0).astype(np.float32)
    indices = np.argmax(one_hot_labels, axis=0).astype(np.float64)
    for call, array in [
        (lambda: runtime.check_loss_inputs(probabilities, one_hot_labels, loss="cce"), probabilities),
        (lambda: runtime.check_labels(one_hot_labels, encoding="one_hot"), one_hot_labels),
        (lambda: runtime.check_labels(binary, encoding="binary"), binary),
        (lambda: runtime.check_probabilities(probabilities, activation="sigmoid"), probabilities),
    ]:
        assert call() is None
        assert peak_fraction(call, array) < 0.02
    # Float indices need a whole-number test, done in bounded chunks.
    big_indices = np.tile(indices, 64)
    assert runtime.check_labels(big_indices, encoding="indices", n_classes=SHAPE[0]) is None
    assert peak_fraction(
        lambda: runtime.check_labels(big_indices, encoding="indices", n_classes=SHAPE[0]), big_indices
    ) < 0.1


def test_failing_checks_explain_in_bounded_chunks(probabilities, one_hot_labels):
    broken = probabilities.copy()
    broken[5, 777] = np.nan
    broken[:, 9000] *= 2
    labels = one_hot_labels.copy()
    labels[:, 100] = 0.5
    for call, array in [
        (lambda: runtime.check_probabilities(broken, activation="softmax"), broken),
        (lambda: runtime.check_probabilities(broken, activation="sigmoid"), broken),
        (lambda: runtime.check_labels(labels, encoding="one_hot"), labels),
        (lambda: runtime.check_labels(labels, encoding="binary"), labels),
    ]:
        with pytest.raises(LossCheckError):
            call()
        assert peak_fraction(call, array) < 0.25
