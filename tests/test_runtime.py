"""losslint.runtime with NumPy arrays: checks, pair check, one_hot, guard, off switch, gradcheck."""

from __future__ import annotations

import functools
import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from losslint import runtime
from losslint.runtime import LossCheckError

N_CLASSES = 4
N_EXAMPLES = 7


# --------------------------------------------------------------------------
# helpers


def softmax(z: np.ndarray, axis: int = 0) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class Layout:
    """The seed's (C, m) columns (axis 0) or (N, C) rows (axis 1 or -1)."""

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.rows = axis != 0

    def shape(self, n_classes: int = N_CLASSES, n_examples: int = N_EXAMPLES) -> tuple:
        return (n_examples, n_classes) if self.rows else (n_classes, n_examples)

    def index(self, class_index: int, example: int) -> tuple:
        return (example, class_index) if self.rows else (class_index, example)

    def example(self, example: int) -> str:
        """How a message names a whole example."""
        return f"[{example}, :]" if self.rows else f"[:, {example}]"

    @property
    def word(self) -> str:
        return "rows" if self.rows else "columns"

    def __repr__(self) -> str:
        return f"axis={self.axis}"


LAYOUTS = [Layout(0), Layout(1), Layout(-1)]
FLOATS = [np.float32, np.float64]


@pytest.fixture(params=LAYOUTS, ids=repr)
def layout(request: pytest.FixtureRequest) -> Layout:
    return request.param


@pytest.fixture(params=FLOATS, ids=lambda t: t.__name__)
def dtype(request: pytest.FixtureRequest) -> type:
    return request.param


def make_probs(layout: Layout, dtype: type, seed: int = 0, n_classes: int = N_CLASSES) -> np.ndarray:
    z = np.random.default_rng(seed).standard_normal(layout.shape(n_classes)).astype(dtype)
    return np.ascontiguousarray(softmax(z, axis=layout.axis))


def make_one_hot(
    layout: Layout, dtype: type = np.float64, seed: int = 1, n_classes: int = N_CLASSES
) -> np.ndarray:
    indices = np.random.default_rng(seed).integers(0, n_classes, N_EXAMPLES)
    y = np.zeros(layout.shape(n_classes), dtype=dtype)
    for example, class_index in enumerate(indices):
        y[layout.index(class_index, example)] = 1
    return y


def message(call, *args, **kwargs) -> str:
    with pytest.raises(LossCheckError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.fixture
def checks_on():
    """Run a test with the checks on, and leave the switch as it was found."""
    was_enabled = runtime.is_enabled()
    runtime.enable()
    yield
    if not was_enabled:
        runtime.disable()
    else:
        runtime.enable()


pytestmark = pytest.mark.usefixtures("checks_on")


# --------------------------------------------------------------------------
# the error type


def test_loss_check_error_is_both_value_error_and_assertion_error():
    assert issubclass(LossCheckError, ValueError)
    assert issubclass(LossCheckError, AssertionError)
    with pytest.raises(AssertionError):
        runtime.check_probabilities(np.array([[0.5], [0.7]]), activation="softmax")
    with pytest.raises(ValueError):
        runtime.check_probabilities(np.array([[0.5], [0.7]]), activation="softmax")


# --------------------------------------------------------------------------
# check_probabilities


def test_softmax_output_passes_and_a_column_off_by_a_third_fails(layout, dtype):
    a = make_probs(layout, dtype)
    assert runtime.check_probabilities(a, activation="softmax", axis=layout.axis) is None

    broken = a.copy()
    broken[layout.index(2, 5)] += dtype(1 / 3)
    text = message(runtime.check_probabilities, broken, activation="softmax", axis=layout.axis)
    assert f"A ({np.dtype(dtype).name}, shape {a.shape})" in text
    assert f"1 of {N_EXAMPLES} {layout.word} does not sum to 1" in text
    assert f"A{layout.example(5)} sums to" in text
    column_sum = float(broken.sum(axis=layout.axis)[5])
    assert f"sums to {column_sum:.6g}" in text


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_probability_is_reported_with_its_index(layout, dtype, bad):
    a = make_probs(layout, dtype)
    a[layout.index(1, 3)] = bad
    for activation in ("softmax", "sigmoid"):
        text = message(runtime.check_probabilities, a, activation=activation, axis=layout.axis)
        row, col = layout.index(1, 3)
        assert f"contains NaN or inf; first: A[{row}, {col}] = {bad}" in text
        assert f"1 of {N_EXAMPLES} {layout.word}" in text


def test_two_non_finite_columns_are_counted_and_the_first_is_named(layout):
    a = make_probs(layout, np.float64)
    a[layout.index(3, 4)] = np.nan
    a[layout.index(0, 2)] = np.inf
    text = message(runtime.check_probabilities, a, activation="softmax", axis=layout.axis)
    row, col = layout.index(0, 2)
    assert f"2 of {N_EXAMPLES} {layout.word} contain NaN or inf; first: A[{row}, {col}] = inf" in text


def test_sigmoid_output_passes_and_exact_zero_or_one_is_the_log_zero_risk(layout, dtype):
    a = sigmoid(np.random.default_rng(2).standard_normal(layout.shape())).astype(dtype)
    assert runtime.check_probabilities(a, activation="sigmoid", axis=layout.axis) is None

    saturated = a.copy()
    saturated[layout.index(0, 6)] = 1.0
    text = message(runtime.check_probabilities, saturated, activation="sigmoid", axis=layout.axis)
    row, col = layout.index(0, 6)
    assert f"exactly 1 in 1 of {N_EXAMPLES} {layout.word} (first A[{row}, {col}])" in text
    assert "log(1 - A)" in text and "np.clip(A" in text

    saturated[layout.index(0, 6)] = 0.0
    text = message(runtime.check_probabilities, saturated, activation="sigmoid", axis=layout.axis)
    assert f"exactly 0 in 1 of {N_EXAMPLES} {layout.word}" in text


def test_exact_zero_in_a_softmax_output_is_reported_as_log_zero(layout):
    a = make_probs(layout, np.float64)
    a[layout.index(0, 1)] += a[layout.index(2, 1)]
    a[layout.index(2, 1)] = 0.0
    text = message(runtime.check_probabilities, a, activation="softmax", axis=layout.axis)
    row, col = layout.index(2, 1)
    assert f"exactly 0 in 1 of {N_EXAMPLES} {layout.word} (first A[{row}, {col}])" in text
    assert "log(A) is -inf" in text
    assert "logsumexp" in text


def test_logits_given_as_probabilities_are_named_as_logits(layout, dtype):
    z = np.random.default_rng(3).standard_normal(layout.shape()).astype(dtype) * 3
    worst = np.unravel_index(np.argmax(np.maximum(-z, z - 1)), z.shape)
    text = message(runtime.check_probabilities, z, activation="softmax", axis=layout.axis)
    assert "values outside [0, 1]" in text
    assert f"worst: A[{worst[0]}, {worst[1]}] = {float(z[worst]):.6g}" in text
    assert "looks like logits" in text and "A = softmax(Z)" in text


def test_softmax_normalised_over_the_examples_is_diagnosed_as_the_wrong_axis(layout):
    z = np.random.default_rng(4).standard_normal(layout.shape())
    other = 1 if layout.axis == 0 else 0
    a = softmax(z, axis=other)
    text = message(runtime.check_probabilities, a, activation="softmax", axis=layout.axis)
    class_axis = layout.axis % 2
    assert f"A sums to 1 along axis {other}, not along axis {class_axis}" in text
    assert f"E.sum(axis={class_axis}, keepdims=True)" in text
    assert f"pass axis={other}" in text


def test_softmax_normalised_over_the_whole_array_is_diagnosed():
    e = np.exp(np.random.default_rng(5).standard_normal((N_CLASSES, N_EXAMPLES)))
    text = message(runtime.check_probabilities, e / e.sum(), activation="softmax")
    assert "sums to 1 over the whole array" in text


def test_sigmoid_outputs_given_to_a_softmax_check_are_recognised(layout):
    a = sigmoid(np.random.default_rng(6).standard_normal(layout.shape()))
    text = message(runtime.check_probabilities, a, activation="softmax", axis=layout.axis)
    assert f"{N_EXAMPLES} of {N_EXAMPLES} {layout.word} do not sum to 1" in text
    assert "looks like sigmoid outputs" in text and "loss='bce'" in text


def test_softmax_over_a_single_class_is_rejected():
    a = np.ones((1, N_EXAMPLES))
    text = message(runtime.check_probabilities, a, activation="softmax")
    assert "single class is identically 1" in text
    assert "activation='sigmoid', loss='bce'" in text


@pytest.mark.parametrize(
    "dtype, n_classes",
    [(np.float16, 10), (np.float32, 10), (np.float32, 1000), (np.float64, 10), (np.float64, 1000)],
)
def test_softmax_sum_tolerance_admits_rounding_of_each_dtype_but_not_real_errors(dtype, n_classes):
    z = np.random.default_rng(7).standard_normal((n_classes, 300)).astype(dtype) * 2
    # Computed in the dtype itself, with its rounding.
    e = np.exp(z - z.max(axis=0, keepdims=True))
    a = e / e.sum(axis=0, keepdims=True)
    assert a.dtype == dtype and a.min() > 0  # no underflow to an exact 0 here
    assert runtime.check_probabilities(a, activation="softmax") is None

    eps = float(np.finfo(dtype).eps)
    off_by = 20 * max(np.sqrt(eps), 4 * n_classes * eps)
    broken = a.astype(np.float64)
    broken[:, 17] *= 1 + min(off_by, 0.5)
    broken = broken.astype(dtype)
    text = message(runtime.check_probabilities, broken, activation="softmax")
    assert "A[:, 17] sums to" in text


def test_float64_tolerance_is_tighter_than_float32_tolerance():
    a = make_probs(Layout(0), np.float64)
    a[:, 3] *= 1 + 1e-6
    assert "A[:, 3] sums to" in message(runtime.check_probabilities, a, activation="softmax")
    assert runtime.check_probabilities(a.astype(np.float32), activation="softmax") is None


def test_integer_probabilities_are_suspected_to_be_labels():
    y = make_one_hot(Layout(0), np.int64)
    text = message(runtime.check_probabilities, y, activation="softmax")
    assert "integer dtype int64" in text and "labels" in text


def test_axis_that_the_array_does_not_have_is_a_loss_check_error():
    text = message(runtime.check_probabilities, np.full(4, 0.25), activation="softmax", axis=1)
    assert "shape (4,), which has no axis 1" in text


def test_unknown_activation_is_a_plain_value_error():
    with pytest.raises(ValueError, match="activation must be") as caught:
        runtime.check_probabilities(np.full(4, 0.25), activation="relu")
    assert not isinstance(caught.value, LossCheckError)


def test_one_vector_softmax_and_a_batch_of_images_are_supported():
    vector = softmax(np.arange(5.0))
    assert runtime.check_probabilities(vector, activation="softmax") is None
    assert "1 of 1 vector does not sum" in message(
        runtime.check_probabilities, vector * 2, activation="softmax"
    )
    images = softmax(np.random.default_rng(8).standard_normal((2, 3, 4, 5)), axis=1)
    assert runtime.check_probabilities(images, activation="softmax", axis=1) is None
    images[1, :, 2, 3] *= 2
    text = message(runtime.check_probabilities, images, activation="softmax", axis=1)
    assert "1 of 40 examples does not sum to 1 along axis 1; worst: A[1, :, 2, 3] sums to 2" in text


def test_non_contiguous_and_fortran_ordered_inputs_are_checked_like_any_other():
    a = make_probs(Layout(0), np.float64)
    fortran = np.asfortranarray(a)
    strided = np.repeat(a, 2, axis=1)[:, ::2]
    for view in (fortran, strided):
        assert runtime.check_probabilities(view, activation="softmax") is None
    broken = np.asfortranarray(a.copy())
    broken[1, 4] = np.nan
    assert "A[1, 4] = nan" in message(runtime.check_probabilities, broken, activation="softmax")
    broken_view = np.repeat(a, 2, axis=1)[:, ::2]
    broken_view[0, 2] = -1.0
    text = message(runtime.check_probabilities, broken_view, activation="softmax")
    assert "worst: A[0, 2] = -1" in text


def test_name_is_used_in_the_message():
    text = message(runtime.check_probabilities, np.full((2, 3), 0.7), activation="softmax", name="AL")
    assert text.startswith("AL (float64, shape (2, 3))")
    assert "AL[:, 0] sums to 1.4" in text


def test_large_array_with_one_bad_entry_is_located_exactly():
    a = make_probs(Layout(0), np.float32, n_classes=64)
    big = np.ascontiguousarray(np.tile(a, (1, 3000)))  # (64, 21000): several scan chunks
    assert runtime.check_probabilities(big, activation="softmax") is None
    big[63, 20999] = np.nan
    text = message(runtime.check_probabilities, big, activation="softmax")
    assert "1 of 21000 columns contains NaN or inf; first: A[63, 20999] = nan" in text


# --------------------------------------------------------------------------
# check_labels


def _name(t: type) -> str:
    return t.__name__


@pytest.mark.parametrize("label_dtype", [np.int64, np.float32, np.float64, np.bool_], ids=_name)
def test_binary_labels_pass_and_minus_one_labels_fail_with_the_fix(layout, label_dtype):
    y = (np.random.default_rng(9).random(layout.shape()) > 0.5).astype(label_dtype)
    assert runtime.check_labels(y, encoding="binary", axis=layout.axis) is None
    if label_dtype is np.bool_:
        return  # a bool array cannot hold anything but 0 and 1
    signs = (2 * y.astype(np.int64) - 1).astype(label_dtype)
    text = message(runtime.check_labels, signs, encoding="binary", axis=layout.axis)
    assert "the values are {-1, 1}" in text
    assert "Y = (Y + 1) / 2" in text
    assert f"shape {y.shape}" in text


def test_binary_labels_with_nan_or_fraction_are_reported(layout, dtype):
    y = (np.random.default_rng(10).random(layout.shape()) > 0.5).astype(dtype)
    y[layout.index(2, 4)] = np.nan
    row, col = layout.index(2, 4)
    text = message(runtime.check_labels, y, encoding="binary", axis=layout.axis)
    assert f"1 of {N_EXAMPLES} {layout.word} contains NaN or inf; first: Y[{row}, {col}] = nan" in text

    y[layout.index(2, 4)] = 0.25
    text = message(runtime.check_labels, y, encoding="binary", axis=layout.axis)
    assert f"first: Y[{row}, {col}] = 0.25" in text
    assert "soft targets or probabilities" in text


def test_binary_labels_that_are_class_indices_point_to_softmax():
    text = message(runtime.check_labels, np.array([[0, 3, 1, 2]]), encoding="binary")
    assert "looks like class indices" in text and "runtime.one_hot(Y, 4)" in text


def test_one_hot_labels_pass_and_a_missing_one_is_located(layout, dtype):
    y = make_one_hot(layout, dtype)
    assert runtime.check_labels(y, encoding="one_hot", axis=layout.axis) is None
    assert runtime.check_labels(y, encoding="one_hot", axis=layout.axis, n_classes=N_CLASSES) is None

    y[layout.index(slice(None), 3)] = 0
    text = message(runtime.check_labels, y, encoding="one_hot", axis=layout.axis)
    assert f"1 of {N_EXAMPLES} {layout.word} has no 1 at all; first: Y{layout.example(3)}" in text


def test_one_hot_labels_with_two_ones_or_smoothing_are_reported(layout, dtype):
    y = make_one_hot(layout, dtype)
    y[layout.index(slice(None), 0)] = 0
    y[layout.index(0, 0)] = y[layout.index(1, 0)] = 1
    text = message(runtime.check_labels, y, encoding="one_hot", axis=layout.axis)
    assert f"has more than one 1; first: Y{layout.example(0)} has 2" in text
    assert "multi-label" in text

    smoothed = make_one_hot(layout, dtype) * 0.9 + 0.1 / N_CLASSES
    text = message(runtime.check_labels, smoothed, encoding="one_hot", axis=layout.axis)
    assert f"{N_EXAMPLES} of {N_EXAMPLES} {layout.word} hold values other than 0 and 1" in text
    assert "soft or smoothed labels" in text


def test_one_hot_labels_with_nan_are_reported(layout):
    y = make_one_hot(layout)
    y[layout.index(1, 6)] = np.nan
    row, col = layout.index(1, 6)
    text = message(runtime.check_labels, y, encoding="one_hot", axis=layout.axis)
    assert f"contains NaN or inf; first: Y[{row}, {col}] = nan" in text


def test_class_indices_given_as_one_hot_are_recognised():
    y = np.array([[0, 1, 2, 0, 1]])
    text = message(runtime.check_labels, y, encoding="one_hot", n_classes=3)
    assert "looks like class indices, not one-hot" in text
    assert "Y_one_hot = runtime.one_hot(Y, 3)" in text


def test_one_hot_with_the_wrong_number_of_classes_is_reported():
    y = make_one_hot(Layout(0))
    text = message(runtime.check_labels, y, encoding="one_hot", n_classes=N_CLASSES + 1)
    assert f"has {N_CLASSES} classes along axis 0, but n_classes={N_CLASSES + 1}" in text


@pytest.mark.parametrize("shape", [(N_EXAMPLES,), (1, N_EXAMPLES), (N_EXAMPLES, 1)])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64, np.float32, np.float64], ids=_name)
def test_class_indices_pass_and_out_of_range_ones_fail(shape, index_dtype):
    y = np.arange(N_EXAMPLES).reshape(shape).astype(index_dtype) % N_CLASSES
    assert runtime.check_labels(y, encoding="indices", n_classes=N_CLASSES) is None
    assert runtime.check_labels(y, encoding="indices") is None

    y.reshape(-1)[5] = N_CLASSES + 2
    where = np.unravel_index(5, shape)
    text = message(runtime.check_labels, y, encoding="indices", n_classes=N_CLASSES)
    location = ", ".join(map(str, where))
    assert f"1 of {N_EXAMPLES} entries is >= {N_CLASSES}; worst: Y[{location}] = {N_CLASSES + 2}" in text

    y.reshape(-1)[5] = -1
    text = message(runtime.check_labels, y, encoding="indices", n_classes=N_CLASSES)
    assert "is negative; worst:" in text and "= -1" in text


def test_fractional_and_nan_indices_are_reported():
    y = np.array([0.0, 2.0, 1.5, 1.0])
    assert "first: Y[2] = 1.5" in message(runtime.check_labels, y, encoding="indices", n_classes=3)
    y[2] = np.nan
    assert "first: Y[2] = nan" in message(runtime.check_labels, y, encoding="indices", n_classes=3)


def test_one_based_indices_are_recognised():
    y = np.array([[1, 2, 3, 3, 1]])
    text = message(runtime.check_labels, y, encoding="indices", n_classes=3)
    assert "labels are 1-based" in text and "Y = Y - 1" in text


def test_unknown_encoding_is_a_plain_value_error():
    with pytest.raises(ValueError, match="encoding must be") as caught:
        runtime.check_labels(np.zeros(3), encoding="ordinal")
    assert not isinstance(caught.value, LossCheckError)


# --------------------------------------------------------------------------
# check_loss_inputs


def test_cce_pair_passes_in_both_layouts(layout, dtype):
    a = make_probs(layout, dtype)
    y = make_one_hot(layout, dtype)
    assert runtime.check_loss_inputs(a, y, loss="cce", axis=layout.axis) is None
    assert runtime.check_loss_inputs(a, y.astype(np.int8), loss="cce", axis=layout.axis) is None


def test_the_seeds_pitfall_class_indices_minus_probabilities_is_caught():
    a = softmax(np.random.default_rng(11).standard_normal((3, 5)))
    y = np.array([[0, 1, 2, 0, 1]])
    assert (a - y).shape == (3, 5)  # NumPy really does broadcast it without a word
    text = message(runtime.check_loss_inputs, a, y, loss="cce")
    assert "A (float64, shape (3, 5)) and Y (int64, shape (1, 5)) differ in shape" in text
    assert "Y looks like class indices of shape (1, 5) while A is (3, 5)" in text
    assert "A - Y would broadcast silently to (3, 5)" in text
    assert "Y_one_hot = runtime.one_hot(Y, 3)" in text
    assert "dZ = A - Y_one_hot" in text
    assert "Y_one_hot[Y.astype(int).ravel(), np.arange(5)] = 1" in text

    # The line the message proposes is the fix.
    Y = y
    namespace = {"runtime": runtime, "Y": Y, "np": np}
    exec("Y_one_hot = runtime.one_hot(Y, 3)", namespace)
    assert runtime.check_loss_inputs(a, namespace["Y_one_hot"], loss="cce") is None
    exec("Y_one_hot = np.zeros((3, 5)); Y_one_hot[Y.astype(int).ravel(), np.arange(5)] = 1", namespace)
    assert runtime.check_loss_inputs(a, namespace["Y_one_hot"], loss="cce") is None


@pytest.mark.parametrize("axis", [1, -1])
def test_class_indices_against_row_probabilities_point_to_the_row_conversion(axis):
    a = softmax(np.random.default_rng(12).standard_normal((6, 3)), axis=1)
    y = np.array([2, 0, 1, 1, 0, 2])
    text = message(runtime.check_loss_inputs, a, y, loss="cce", axis=axis)
    assert "Y looks like class indices of shape (6,) while A is (6, 3)" in text
    assert "A - Y raises a broadcasting error" in text
    assert "runtime.one_hot(Y, 3, axis=1)" in text
    assert "np.eye(3)[Y.astype(int).ravel()]" in text
    assert runtime.check_loss_inputs(a, runtime.one_hot(y, 3, axis=axis), loss="cce", axis=axis) is None
    assert runtime.check_loss_inputs(a, np.eye(3)[y], loss="cce", axis=axis) is None


def test_flat_labels_against_a_row_of_probabilities_is_the_missing_keepdims_case():
    a = sigmoid(np.random.default_rng(13).standard_normal((1, 5)))
    y = np.array([1, 0, 1, 1, 0])
    text = message(runtime.check_loss_inputs, a, y, loss="bce")
    assert "differ only by an axis of length 1" in text and "keepdims=True" in text
    assert "Y = Y.reshape(A.shape)" in text
    assert runtime.check_loss_inputs(a, y.reshape(a.shape), loss="bce") is None

    column = a.reshape(5, 1)
    text = message(runtime.check_loss_inputs, column, y, loss="bce", axis=1)
    assert "A - Y would broadcast silently to (5, 5)" in text


def test_transposed_labels_are_recognised():
    a = sigmoid(np.random.default_rng(14).standard_normal((1, 5)))
    y = np.array([[1], [0], [1], [1], [0]])
    text = message(runtime.check_loss_inputs, a, y, loss="bce")
    assert "A - Y would broadcast silently to (5, 5)" in text
    assert "Y is A transposed" in text and "Y = Y.T" in text


def test_one_hot_with_a_different_number_of_classes_is_explained():
    a = make_probs(Layout(0), np.float64)
    y = make_one_hot(Layout(0), n_classes=N_CLASSES + 1)
    text = message(runtime.check_loss_inputs, a, y, loss="cce")
    assert f"Y has {N_CLASSES + 1} classes along axis 0, A has {N_CLASSES}" in text


def test_bce_pair_passes_and_pm_one_labels_fail(layout, dtype):
    a = sigmoid(np.random.default_rng(15).standard_normal(layout.shape(1))).astype(dtype)
    y = (np.random.default_rng(16).random(layout.shape(1)) > 0.5).astype(dtype)
    assert runtime.check_loss_inputs(a, y, loss="bce", axis=layout.axis) is None
    text = message(runtime.check_loss_inputs, a, 2 * y - 1, loss="bce", axis=layout.axis)
    assert "(Y + 1) / 2" in text


def test_sigmoid_head_with_categorical_cross_entropy_is_caught(layout):
    """The seed's pitfall 4: sigmoid outputs of shape (5, m) given to CCE."""
    a = sigmoid(np.random.default_rng(17).standard_normal(layout.shape(5)))
    y = make_one_hot(layout, n_classes=5)
    text = message(runtime.check_loss_inputs, a, y, loss="cce", axis=layout.axis)
    assert "looks like sigmoid outputs" in text


def test_pair_check_reports_the_labels_after_the_probabilities_pass(layout):
    a = make_probs(layout, np.float64)
    y = make_one_hot(layout)
    y[layout.index(slice(None), 2)] = 0
    text = message(runtime.check_loss_inputs, a, y, loss="cce", axis=layout.axis)
    assert text.startswith(f"Y (float64, shape {y.shape}) is not one-hot")


def test_pair_check_catches_a_one_moved_to_another_example(layout, dtype):
    """Same number of 1s as examples, but one example has two and another none."""
    a = make_probs(layout, dtype)
    y = make_one_hot(layout, dtype)
    y[layout.index(slice(None), 4)] = 0
    y[layout.index(slice(None), 3)] = 0
    y[layout.index(0, 3)] = y[layout.index(1, 3)] = 1
    assert np.count_nonzero(y) == N_EXAMPLES
    text = message(runtime.check_loss_inputs, a, y, loss="cce", axis=layout.axis)
    assert f"1 of {N_EXAMPLES} {layout.word} has no 1 at all; first: Y{layout.example(4)}" in text
    assert f"{layout.word} has more than one 1; first: Y{layout.example(3)} has 2" in text


def test_pair_check_uses_the_given_names():
    a = np.full((1, 3), 0.5)
    y = np.array([[1, 0, 3]])
    text = message(runtime.check_loss_inputs, a, y, loss="bce", names=("AL", "labels"))
    assert text.startswith("labels (int64, shape (1, 3)) does not hold binary labels")


def test_unknown_loss_is_a_plain_value_error():
    with pytest.raises(ValueError, match="loss must be") as caught:
        runtime.check_loss_inputs(np.full(2, 0.5), np.ones(2), loss="mse")
    assert not isinstance(caught.value, LossCheckError)


# --------------------------------------------------------------------------
# inputs are never modified


def _frozen(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.setflags(write=False)  # any write by the checks would raise
    return array


def test_no_check_modifies_its_inputs_whether_they_pass_or_fail(layout):
    good_a = make_probs(layout, np.float32)
    good_y = make_one_hot(layout)
    bad_a = good_a.copy()
    bad_a[layout.index(0, 0)] = np.nan
    bad_y = good_y.copy()
    bad_y[layout.index(slice(None), 1)] = 0.5
    cases = [(good_a, good_y), (bad_a, good_y), (good_a, bad_y), (bad_a, bad_y)]
    for a, y in cases:
        frozen_a, frozen_y = _frozen(a), _frozen(y)
        for call in (
            lambda: runtime.check_loss_inputs(frozen_a, frozen_y, loss="cce", axis=layout.axis),
            lambda: runtime.check_probabilities(frozen_a, activation="softmax", axis=layout.axis),
            lambda: runtime.check_probabilities(frozen_a, activation="sigmoid", axis=layout.axis),
            lambda: runtime.check_labels(frozen_y, encoding="one_hot", axis=layout.axis),
            lambda: runtime.check_labels(frozen_y, encoding="binary", axis=layout.axis),
            lambda: runtime.one_hot(np.array([0, 1]), 2),
        ):
            try:
                call()
            except LossCheckError:
                pass
        np.testing.assert_array_equal(frozen_a, a)
        np.testing.assert_array_equal(frozen_y, y)


def test_one_hot_and_gradcheck_leave_their_inputs_alone():
    indices = _frozen(np.array([[2.0, 0.0, 1.0]]))
    runtime.one_hot(indices, 3)
    np.testing.assert_array_equal(indices, [[2.0, 0.0, 1.0]])

    z = _frozen(np.random.default_rng(18).standard_normal((3, 4)))
    z_before = z.copy()
    y = make_one_hot(Layout(0), n_classes=3)[:, :4]
    runtime.gradcheck(lambda v: cce_mean(v, y), lambda v: (softmax(v) - y) / 4, z)
    np.testing.assert_array_equal(z, z_before)


# --------------------------------------------------------------------------
# one_hot


def test_one_hot_of_seed_layout_indices_equals_the_seeds_idiom():
    y = np.array([[0, 1, 2, 0, 1]])
    expected = np.zeros((3, 5))
    expected[y, np.arange(5)] = 1
    result = runtime.one_hot(y, 3)
    assert result.shape == (3, 5) and result.dtype == np.float64
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(runtime.one_hot(y.ravel(), 3), expected)
    np.testing.assert_array_equal(runtime.one_hot(y.astype(float), 3), expected)


@pytest.mark.parametrize("axis", [1, -1])
def test_one_hot_rows_equal_identity_rows(axis):
    y = np.array([2, 0, 1, 1])
    np.testing.assert_array_equal(runtime.one_hot(y, 3, axis=axis), np.eye(3)[y])
    np.testing.assert_array_equal(runtime.one_hot(y.reshape(4, 1), 3, axis=axis), np.eye(3)[y])


def test_one_hot_dtype_and_higher_dimensions():
    y = np.array([[0, 2], [1, 1]])
    result = runtime.one_hot(y, 3, axis=1, dtype=np.float32)
    assert result.shape == (2, 3, 2) and result.dtype == np.float32
    assert result[1, :, 0].tolist() == [0, 1, 0] and result[0, :, 1].tolist() == [0, 0, 1]


def test_one_hot_rejects_bad_indices_even_with_checks_disabled():
    runtime.disable()
    with pytest.raises(LossCheckError, match="is negative"):
        runtime.one_hot(np.array([0, -1, 2]), 3)
    with pytest.raises(LossCheckError, match=">= 3"):
        runtime.one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="n_classes"):
        runtime.one_hot(np.array([0]), 0)


# --------------------------------------------------------------------------
# guard


def cce_cost(AL, Y):
    """Mean categorical cross-entropy."""
    return float(-np.sum(Y * np.log(AL)) / AL.shape[1])


def test_guard_checks_positional_and_keyword_calls_and_returns_the_result():
    calls = []

    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def compute_cost(AL, Y):
        calls.append(1)
        return cce_cost(AL, Y)

    a = make_probs(Layout(0), np.float64)
    y = make_one_hot(Layout(0))
    expected = cce_cost(a, y)
    assert compute_cost(a, y) == expected
    assert compute_cost(a, Y=y) == expected
    assert compute_cost(Y=y, AL=a) == expected
    assert len(calls) == 3

    indices = np.argmax(y, axis=0).reshape(1, -1)
    for call in (lambda: compute_cost(a, indices), lambda: compute_cost(Y=indices, AL=a)):
        text = message(call)
        assert "compute_cost(): AL (float64" in text
        assert f"Y looks like class indices of shape {indices.shape} while AL is {a.shape}" in text
        assert f"Y_one_hot = runtime.one_hot(Y, {N_CLASSES})" in text
    assert len(calls) == 3  # the body never ran on bad inputs


def test_guard_keeps_metadata():
    def backward(AL, Y, caches=None):
        """Backward pass."""
        return {"dZ": AL - Y}

    guarded = runtime.guard(loss="bce")(backward)
    assert guarded.__name__ == "backward"
    assert guarded.__doc__ == "Backward pass."
    assert guarded.__wrapped__ is backward
    assert inspect.signature(guarded) == inspect.signature(backward)
    assert guarded.__module__ == backward.__module__


def test_guard_returns_non_loss_results_untouched():
    sentinel = {"dZ": object()}

    @runtime.guard(loss="bce")
    def backward(AL, Y, caches):
        return sentinel

    a = np.full((1, 3), 0.5)
    y = np.array([[1, 0, 1]])
    assert backward(a, y, caches=None) is sentinel
    text = message(backward, a, y.T, None)
    assert text.startswith("backward(): AL (float64, shape (1, 3)) and Y (int64, shape (3, 1))")
    assert "AL - Y would broadcast silently to (3, 3)" in text


def test_guard_rejects_a_negative_or_non_finite_loss():
    @runtime.guard(loss="bce", probs="A", labels="Y")
    def cost_without_minus(A, Y):
        return np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))

    a = np.array([[0.8, 0.3]])
    y = np.array([[1.0, 0.0]])
    text = message(cost_without_minus, a, y)
    assert "cost_without_minus() returned a loss of" in text and "minus sign" in text

    @runtime.guard(loss="bce", probs="A", labels="Y")
    def nan_cost(A, Y):
        return np.array([[np.nan]])

    assert "returned a loss of nan" in message(nan_cost, a, y)


def test_guard_returns_a_good_loss_exactly_as_computed():
    result = np.array([[0.25]])

    @runtime.guard(loss="bce", probs="A", labels="Y")
    def cost(A, Y):
        return result

    assert cost(np.array([[0.5]]), np.array([[1]])) is result


def test_guard_with_unknown_parameter_name_fails_at_decoration():
    with pytest.raises(TypeError, match="no parameter named 'AL'"):
        @runtime.guard(loss="cce")
        def compute_cost(A2, Y):
            return 0.0


def test_bare_guard_uses_the_defaults():
    @runtime.guard
    def compute_cost(AL, Y):
        return 1.0

    assert compute_cost.__name__ == "compute_cost"
    with pytest.raises(LossCheckError, match="looks like class indices"):
        compute_cost(make_probs(Layout(0), np.float64), np.zeros((1, N_EXAMPLES), dtype=int))


def test_guard_reads_a_default_argument():
    y_default = make_one_hot(Layout(0))

    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def compute_cost(AL, Y=y_default):
        return 0.5

    assert compute_cost(make_probs(Layout(0), np.float64)) == 0.5
    with pytest.raises(LossCheckError, match="do not sum to 1"):
        compute_cost(np.full(y_default.shape, 0.5))


# --------------------------------------------------------------------------
# off switch


def test_disable_makes_checks_and_guard_return_at_once_and_enable_restores_them():
    a = np.full((3, 5), 0.9)
    y = np.array([[0, 1, 2, 0, 1]])
    calls = []

    @runtime.guard(loss="cce", probs="A", labels="Y")
    def cost(A, Y):
        calls.append(1)
        return -1.0  # would fail the loss check too

    runtime.disable()
    assert runtime.is_enabled() is False
    assert runtime.check_loss_inputs(a, y, loss="cce") is None
    assert runtime.check_probabilities(a, activation="softmax") is None
    assert runtime.check_labels(y, encoding="one_hot") is None
    assert cost(a, y) == -1.0 and calls == [1]

    runtime.enable()
    assert runtime.is_enabled() is True
    with pytest.raises(LossCheckError):
        runtime.check_loss_inputs(a, y, loss="cce")
    with pytest.raises(LossCheckError):
        cost(a, y)
    assert calls == [1]


OFF_SWITCH_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from losslint import runtime

    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def compute_cost(AL, Y):
        return -2.5

    a = np.full((3, 5), 0.9)
    y = np.array([[0, 1, 2, 0, 1]])
    outcomes = []
    for call in (
        lambda: runtime.check_loss_inputs(a, y, loss="cce"),
        lambda: runtime.check_probabilities(a, activation="softmax"),
        lambda: runtime.check_labels(y, encoding="one_hot"),
        lambda: compute_cost(a, y),
    ):
        try:
            outcomes.append(repr(call()))
        except runtime.LossCheckError:
            outcomes.append("raised")
    print(runtime.is_enabled(), *outcomes)
    """
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0", "False None None None -2.5"),
        ("false", "False None None None -2.5"),
        ("1", "True raised raised raised raised"),
        (None, "True raised raised raised raised"),
    ],
)
def test_environment_variable_read_at_import_switches_the_checks(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "LOSSLINT_RUNTIME"}
    if value is not None:
        env["LOSSLINT_RUNTIME"] = value
    result = subprocess.run(
        [sys.executable, "-c", OFF_SWITCH_SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


# --------------------------------------------------------------------------
# gradcheck


def bce_mean(z: np.ndarray, y: np.ndarray) -> float:
    a = sigmoid(z)
    return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))


def cce_mean(z: np.ndarray, y: np.ndarray, axis: int = 0) -> float:
    a = softmax(z, axis=axis)
    m = z.shape[1 - axis % 2]
    return float(-np.sum(y * np.log(a)) / m)


def softmax_jacobian_back(a: np.ndarray, d_a: np.ndarray, axis: int = 0) -> np.ndarray:
    """Take dL/da back through the softmax: (diag(a) - a a^T) d_a for every example."""
    return a * (d_a - np.sum(a * d_a, axis=axis, keepdims=True))


@pytest.fixture
def multiclass_case():
    rng = np.random.default_rng(19)
    z = rng.standard_normal((3, 5))
    y = np.zeros((3, 5))
    y[rng.integers(0, 3, 5), np.arange(5)] = 1
    return z, y


def test_gradcheck_accepts_the_binary_gradient_a_minus_y_over_m():
    rng = np.random.default_rng(20)
    z = rng.standard_normal((1, 8))
    y = (rng.random((1, 8)) > 0.5).astype(float)
    error = runtime.gradcheck(lambda v: bce_mean(v, y), lambda v: (sigmoid(v) - y) / 8, z)
    assert isinstance(error, float)
    assert 0 <= error < 1e-6


@pytest.mark.parametrize("axis", [0, 1])
def test_gradcheck_accepts_softmax_minus_y_over_m_for_mean_cce(multiclass_case, axis):
    z, y = multiclass_case
    if axis == 1:
        z, y = z.T.copy(), y.T.copy()
    error = runtime.gradcheck(
        lambda v: cce_mean(v, y, axis), lambda v: (softmax(v, axis=axis) - y) / 5, z
    )
    assert 0 <= error < 1e-6


def test_gradcheck_accepts_the_cce_derivative_taken_through_the_softmax_jacobian(multiclass_case):
    """Control for the next test: the Jacobian code is right, so only the BCE term is wrong there."""
    z, y = multiclass_case

    def grad(v):
        a = softmax(v)
        return softmax_jacobian_back(a, -y / a / 5)

    assert runtime.gradcheck(lambda v: cce_mean(v, y), grad, z) < 1e-6


def test_gradcheck_rejects_the_bce_derivative_taken_through_the_softmax_jacobian(multiclass_case):
    z, y = multiclass_case

    def bce_through_softmax(v):
        a = softmax(v)
        d_a = -(y / a - (1 - y) / (1 - a)) / 5
        return softmax_jacobian_back(a, d_a)

    text = message(runtime.gradcheck, lambda v: cce_mean(v, y), bce_through_softmax, z)
    assert "gradcheck: grad_fn disagrees with central differences" in text
    assert "Worst element x[" in text
    assert "of 15 checked elements fail (all 15 elements checked" in text
    assert "must not be taken back through the softmax Jacobian" in text


def test_gradcheck_rejects_a_gradient_missing_its_one_over_m(multiclass_case):
    z, y = multiclass_case
    text = message(runtime.gradcheck, lambda v: cce_mean(v, y), lambda v: softmax(v) - y, z)
    assert "grad_fn is 5 times the numerical gradient" in text
    assert "missing its 1/m" in text


def test_gradcheck_names_a_flipped_sign():
    rng = np.random.default_rng(21)
    z = rng.standard_normal((1, 6))
    y = (rng.random((1, 6)) > 0.5).astype(float)
    text = message(runtime.gradcheck, lambda v: bce_mean(v, y), lambda v: (y - sigmoid(v)) / 6, z)
    assert "the sign is flipped" in text


def test_gradcheck_returns_the_largest_relative_error_it_measured():
    z = np.array([0.3, -1.2, 2.0])
    off = np.array([0.0, 2e-5, 0.0])
    error = runtime.gradcheck(lambda v: float(np.sum(v**2)), lambda v: 2 * v + off, z, rtol=1e-3)
    assert error == pytest.approx(2e-5 / (2.4 + 1e-8 / 1e-3), rel=1e-3)


def test_gradcheck_samples_large_inputs_reproducibly():
    rng = np.random.default_rng(22)
    z = rng.standard_normal((10, 500))
    y = np.zeros((10, 500))
    y[rng.integers(0, 10, 500), np.arange(500)] = 1
    calls = []

    def loss(v):
        calls.append(1)
        return cce_mean(v, y)

    grad = lambda v: (softmax(v) - y) / 500  # noqa: E731
    first = runtime.gradcheck(loss, grad, z, max_elements=50, seed=3)
    assert len(calls) == 2 * 50 + 1
    assert runtime.gradcheck(loss, grad, z, max_elements=50, seed=3) == first
    text = message(runtime.gradcheck, loss, lambda v: softmax(v) - y, z, max_elements=50)
    assert "a random sample (seed=0) of 50 of 5000 elements checked" in text
    assert "grad_fn is 500 times" in text


def test_gradcheck_rejects_a_gradient_of_the_wrong_shape():
    z = np.zeros((3, 4))
    text = message(runtime.gradcheck, lambda v: float(np.sum(v)), lambda v: np.ones((4, 3)), z)
    assert "grad_fn returned shape (4, 3) but x has shape (3, 4)" in text


def test_gradcheck_runs_even_when_checks_are_disabled():
    runtime.disable()
    with pytest.raises(LossCheckError):
        runtime.gradcheck(lambda v: float(np.sum(v**2)), lambda v: v, np.array([1.0, 2.0]))


def test_gradcheck_works_on_a_float64_copy_of_float32_input():
    rng = np.random.default_rng(23)
    z = rng.standard_normal((1, 4)).astype(np.float32)
    y = np.array([[1.0, 0.0, 0.0, 1.0]])
    seen = []

    def loss(v):
        seen.append(v.dtype)
        return bce_mean(v, y)

    assert runtime.gradcheck(loss, lambda v: (sigmoid(v) - y) / 4, z) < 1e-6
    assert set(seen) == {np.dtype(np.float64)}
    assert z.dtype == np.float32


def test_wrapped_functions_keep_working_with_functools_partial():
    cost = functools.partial(cce_cost)
    guarded = runtime.guard(loss="cce")(lambda AL, Y: cost(AL, Y))
    a, y = make_probs(Layout(0), np.float64), make_one_hot(Layout(0))
    assert guarded(a, y) == cce_cost(a, y)
