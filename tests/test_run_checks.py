"""`losslint run`, run-time half: what each site's verdict accepts and rejects, and how the probe pairs values."""

from __future__ import annotations

import numpy as np
import pytest

from losslint.instrument import probe as probe_module
from losslint.instrument import siteinfo as kinds
from losslint.instrument.probe import Probe
from losslint.instrument.siteinfo import SiteInfo
from losslint.instrument.verdicts import Violation, judge
from losslint.runtime import LossCheckError, disable, enable

RNG = np.random.default_rng(7)


def softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def site(check, roles=("probabilities", "labels"), **details):
    return SiteInfo(check=check, code="LL000", path="train.py", line=12, column=5, text="A - Y", roles=roles, names=("A", "Y"), **details)


def verdict(info, *values):
    """The rule code a verdict raises, or None when the values pass."""
    try:
        judge(info, values)
    except Violation as violation:
        return violation.code
    return None


A = softmax(RNG.standard_normal((3, 20)))
INDICES = RNG.integers(0, 3, (1, 20))
ONE_HOT = np.eye(3)[INDICES.ravel()].T


def test_gradient_class_indices_against_softmax_columns_is_ll002():
    gradient = site(kinds.GRADIENT, activation="softmax")
    assert verdict(gradient, A, INDICES) == "LL002"
    assert verdict(gradient, A, ONE_HOT) is None
    # A broadcast of something that is not labels (a mean over examples) is no evidence.
    assert verdict(gradient, A, A.mean(axis=1, keepdims=True)) is None
    # Label smoothing: soft targets of the same shape are fine.
    assert verdict(gradient, A, 0.9 * ONE_HOT + 0.1 / 3) is None


def test_gradient_sigmoid_row_against_a_flat_label_vector_is_ll002():
    a = sigmoid(RNG.standard_normal((1, 20)))
    y = RNG.integers(0, 2, 20)
    assert verdict(site(kinds.GRADIENT, activation="sigmoid"), a, y) == "LL002"
    assert verdict(site(kinds.GRADIENT, activation="sigmoid"), a, y.reshape(1, 20)) is None


def test_bce_derivative_on_a_softmax_output_is_ll001_and_on_a_sigmoid_output_is_fine():
    derivative = site(kinds.BCE_DERIVATIVE)
    assert verdict(derivative, A, ONE_HOT) == "LL001"
    assert verdict(derivative, A.T.copy(), ONE_HOT.T.copy()) == "LL001"  # rows layout too
    a = sigmoid(RNG.standard_normal((1, 20)))
    assert verdict(derivative, a, RNG.integers(0, 2, (1, 20)).astype(float)) is None
    multi_label = sigmoid(RNG.standard_normal((3, 20)))
    assert verdict(derivative, multi_label, (multi_label > 0.5).astype(float)) is None


def test_categorical_cross_entropy_on_sigmoid_outputs_is_ll003_only_with_one_hot_labels():
    term = site(kinds.CATEGORICAL_CROSS_ENTROPY)
    independent = sigmoid(RNG.standard_normal((3, 20)))
    assert verdict(term, independent, ONE_HOT) == "LL003"
    assert verdict(term, A, ONE_HOT) is None
    # Without one-hot labels (counts, a distribution) it is not the pairing LL003 is about.
    assert verdict(term, independent, RNG.random((3, 20))) is None
    assert verdict(term, A, INDICES) == "LL002"


def loss_site(loss, expects, family="categorical", labels="either", framework="torch"):
    return site(
        kinds.LOSS_CALL, roles=("prediction", "target"), loss=loss, expects=expects, family=family, labels=labels, framework=framework
    )


def test_a_softmax_output_into_a_loss_that_wants_logits_is_ll005():
    rows = softmax(RNG.standard_normal((16, 4)), axis=1)
    target = RNG.integers(0, 4, 16)
    assert verdict(loss_site("cross_entropy", "logits"), rows, target) == "LL005"
    assert verdict(loss_site("cross_entropy", "logits"), RNG.standard_normal((16, 4)), target) is None


def test_probabilities_into_nll_loss_is_ll011_and_log_probabilities_are_fine():
    rows = softmax(RNG.standard_normal((16, 4)), axis=1)
    target = RNG.integers(0, 4, 16)
    nll = loss_site("nll_loss", "log-probabilities", family="negative log-likelihood", labels="indices")
    assert verdict(nll, rows, target) == "LL011"
    assert verdict(nll, np.log(rows), target) is None


def test_label_encoding_against_what_the_loss_needs_is_ll012():
    rows = softmax(RNG.standard_normal((16, 4)), axis=1)
    indices = RNG.integers(0, 4, (16, 1))
    one_hot = np.eye(4)[indices.ravel()]
    categorical = loss_site("categorical_crossentropy", "probabilities", labels="one_hot", framework="keras")
    sparse = loss_site("sparse_categorical_crossentropy", "probabilities", family="sparse categorical", labels="indices", framework="keras")
    assert verdict(categorical, rows, indices) == "LL012"
    assert verdict(categorical, rows, one_hot) is None
    assert verdict(sparse, rows, one_hot) == "LL012"
    assert verdict(sparse, rows, indices) is None


def test_an_overflowing_softmax_is_ll004():
    output = site(kinds.SOFTMAX_OUTPUT, roles=("value",))
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.array([[1000.0, 1.0], [999.0, 2.0]])
        overflowed = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
    assert verdict(output, overflowed) == "LL004"
    assert verdict(output, softmax(z)) is None


def test_values_that_are_not_arrays_are_not_judged():
    gradient = site(kinds.GRADIENT, activation="softmax")
    assert verdict(gradient, A.tolist(), INDICES.tolist()) is None
    assert verdict(gradient, A, 2) is None


# ----- the probe


def recording_probe(monkeypatch, arity=2):
    seen = []
    monkeypatch.setattr(probe_module, "judge", lambda info, values: seen.append(tuple(values)))
    probe = Probe()
    probe.register({"s": site(kinds.GRADIENT, roles=("probabilities", "labels")[:arity])})
    return probe, seen


def test_the_probe_pairs_a_sites_values_even_when_the_site_is_reentered(monkeypatch):
    probe, seen = recording_probe(monkeypatch)
    # Outer call taps its first operand; evaluating its second re-enters the site (recursion).
    assert probe.tap("s", 0, "a1") == "a1"
    probe.tap("s", 0, "a2")
    probe.tap("s", 1, "y2")
    probe.tap("s", 1, "y1")
    assert seen == [("a2", "y2"), ("a1", "y1")]
    assert probe.records["s"].calls == 2


def test_an_operand_whose_frame_was_abandoned_is_dropped(monkeypatch):
    probe, seen = recording_probe(monkeypatch)
    probe.tap("s", 1, "y-without-a")  # its first operand raised before it was tapped
    probe.tap("s", 0, "a")
    probe.tap("s", 1, "y")
    assert seen == [("a", "y")]


def test_every_tap_returns_its_value_itself():
    probe = Probe(warn=True)
    probe.register({"s": site(kinds.GRADIENT, activation="softmax")})
    assert probe.tap("s", 0, A) is A
    assert probe.tap("s", 1, INDICES) is INDICES
    assert [failure.code for failure in probe.failures()] == ["LL002"]


def test_a_failed_check_raises_with_file_line_and_code_first():
    probe = Probe()
    probe.register({"s": site(kinds.GRADIENT, activation="softmax")})
    probe.tap("s", 0, A)
    with pytest.raises(LossCheckError) as raised:
        probe.tap("s", 1, INDICES)
    assert str(raised.value).startswith("train.py:12: LL002 ")
    assert "one_hot" in str(raised.value)


def test_warn_mode_counts_each_distinct_failure_once_per_site():
    probe = Probe(warn=True)
    probe.register({"s": site(kinds.GRADIENT, activation="softmax")})
    for _ in range(3):
        probe.tap("s", 0, A)
        probe.tap("s", 1, INDICES)
    probe.tap("s", 0, A)
    probe.tap("s", 1, ONE_HOT)
    [failure] = probe.failures()
    assert (failure.code, failure.count, probe.records["s"].calls) == ("LL002", 3, 4)


def test_switched_off_taps_pass_values_through_without_checking():
    probe = Probe()
    probe.register({"s": site(kinds.GRADIENT, activation="softmax")})
    disable()
    try:
        probe.tap("s", 0, A)
        assert probe.tap("s", 1, INDICES) is INDICES
    finally:
        enable()
    assert probe.records["s"].calls == 0


def test_a_check_that_cannot_run_never_breaks_the_program(monkeypatch):
    def broken(info, values):
        raise RuntimeError("a bug in a verdict")

    monkeypatch.setattr(probe_module, "judge", broken)
    probe = Probe()
    probe.register({"s": site(kinds.GRADIENT)})
    probe.tap("s", 0, A)
    assert probe.tap("s", 1, INDICES) is INDICES
    assert probe.internal_errors == 1


def test_torch_tensors_are_judged_with_torch_and_left_untouched():
    torch = pytest.importorskip("torch")
    logits = torch.randn(8, 4, requires_grad=True)
    probabilities = torch.softmax(logits, dim=1)
    target = torch.randint(0, 4, (8,))
    cross_entropy = loss_site("cross_entropy", "logits")
    assert verdict(cross_entropy, probabilities, target) == "LL005"
    assert verdict(cross_entropy, logits, target) is None
    assert probabilities.grad_fn is not None and logits.grad is None


def test_jax_arrays_are_judged_and_tracers_are_not():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    rows = jax.nn.softmax(jnp.asarray(RNG.standard_normal((8, 4))), axis=-1)
    optax_loss = loss_site("softmax_cross_entropy", "logits", labels="one_hot", framework="jax")
    assert verdict(optax_loss, rows, jnp.eye(4)[jnp.arange(8) % 4]) == "LL005"
    judged = []

    @jax.jit
    def inside(p):
        judged.append(verdict(optax_loss, p, jnp.eye(4)[jnp.arange(8) % 4]))
        return p.sum()

    inside(rows)
    assert judged == [None]  # abstract values: shapes only, no value check
