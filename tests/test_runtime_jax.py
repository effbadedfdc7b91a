"""losslint.runtime with JAX arrays: checked with jax.numpy, shapes only under jit.

Skipped, with the reason shown by ``pytest -ra``, where JAX is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="JAX is not installed; its runtime tests are skipped")
jnp = pytest.importorskip("jax.numpy")

from losslint import runtime  # noqa: E402
from losslint.runtime import LossCheckError  # noqa: E402

N_CLASSES, N_EXAMPLES = 4, 7


@pytest.fixture(autouse=True)
def checks_on():
    was_enabled = runtime.is_enabled()
    runtime.enable()
    yield
    if not was_enabled:
        runtime.disable()


def probs(axis: int) -> "jax.Array":
    shape = (N_CLASSES, N_EXAMPLES) if axis == 0 else (N_EXAMPLES, N_CLASSES)
    z = jax.random.normal(jax.random.PRNGKey(0), shape)
    return jax.nn.softmax(z, axis=axis)


def message(call, *args, **kwargs) -> str:
    with pytest.raises(LossCheckError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_one_hot_pass_and_a_broken_example_fails(axis):
    a = probs(axis)
    y = runtime.one_hot(jnp.arange(N_EXAMPLES) % N_CLASSES, N_CLASSES, axis=axis)
    assert isinstance(y, jax.Array) and y.shape == a.shape
    assert runtime.check_loss_inputs(a, y, loss="cce", axis=axis) is None

    where = (2, 5) if axis == 0 else (5, 2)
    text = message(runtime.check_probabilities, a.at[where].add(0.5), activation="softmax", axis=axis)
    word = "columns" if axis == 0 else "rows"
    assert f"A (float32, shape {a.shape})" in text
    assert f"1 of {N_EXAMPLES} {word} does not sum to 1" in text

    with_nan = a.at[where].set(jnp.nan)
    text = message(runtime.check_probabilities, with_nan, activation="softmax", axis=axis)
    assert f"first: A[{where[0]}, {where[1]}] = nan" in text


def test_the_seeds_pitfall_with_jax_arrays():
    a = jax.nn.softmax(jax.random.normal(jax.random.PRNGKey(1), (3, 5)), axis=0)
    y = jnp.array([[0, 1, 2, 0, 1]])
    text = message(runtime.check_loss_inputs, a, y, loss="cce")
    assert "Y looks like class indices of shape (1, 5) while A is (3, 5)" in text
    assert "Y_one_hot = runtime.one_hot(Y, 3)" in text
    np.testing.assert_array_equal(np.asarray(runtime.one_hot(y, 3)), np.eye(3)[[0, 1, 2, 0, 1]].T)


def test_labels_in_jax():
    assert runtime.check_labels(jnp.array([0, 1, 1]), encoding="binary") is None
    assert "(Y + 1) / 2" in message(runtime.check_labels, jnp.array([-1, 1, 1]), encoding="binary")
    assert "labels are 1-based" in message(
        runtime.check_labels, jnp.array([1, 2, 3]), encoding="indices", n_classes=3
    )


def test_under_jit_shapes_are_checked_and_values_are_not():
    a = probs(0)
    y = runtime.one_hot(jnp.arange(N_EXAMPLES) % N_CLASSES, N_CLASSES)

    @jax.jit
    def loss(a, y):
        runtime.check_loss_inputs(a, y, loss="cce")
        return -jnp.sum(y * jnp.log(a)) / a.shape[1]

    assert float(loss(a, y)) > 0
    assert float(loss(a * 2, y)) < float(loss(a, y))  # values are abstract under jit: not checked
    with pytest.raises(LossCheckError, match="differ in shape"):
        loss(a, jnp.zeros((1, N_EXAMPLES), dtype=jnp.int32))


def test_gradcheck_needs_and_uses_float64():
    z = jax.random.normal(jax.random.PRNGKey(2), (3, 5))
    y = jax.nn.one_hot(jnp.array([0, 2, 1, 1, 0]), 3, axis=0)

    def loss(v):
        return -jnp.sum(y * jax.nn.log_softmax(v, axis=0)) / 5

    with pytest.raises(ValueError, match="jax_enable_x64"):
        runtime.gradcheck(loss, jax.grad(loss), z)
    with jax.enable_x64(True):
        z64 = jnp.asarray(z, dtype=jnp.float64)
        assert runtime.gradcheck(loss, lambda v: (jax.nn.softmax(v, axis=0) - y) / 5, z64) < 1e-6
        assert runtime.gradcheck(loss, jax.grad(loss), z64) < 1e-6
        text = message(runtime.gradcheck, loss, lambda v: jax.nn.softmax(v, axis=0) - y, z64)
        assert "missing its 1/m" in text
