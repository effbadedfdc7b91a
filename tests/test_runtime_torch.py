"""losslint.runtime with PyTorch tensors: checked with torch operations, never copied to NumPy whole.

Skipped, with the reason shown by ``pytest -ra``, where torch is not installed.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; its runtime tests are skipped")

from losslint import runtime  # noqa: E402
from losslint.runtime import LossCheckError  # noqa: E402

N_CLASSES, N_EXAMPLES = 4, 7
LAYOUTS = [0, 1, -1]
DTYPES = [torch.float32, torch.float64]


@pytest.fixture(autouse=True)
def checks_on():
    was_enabled = runtime.is_enabled()
    runtime.enable()
    yield
    if not was_enabled:
        runtime.disable()


def shape(axis: int, n_classes: int = N_CLASSES) -> tuple:
    return (n_classes, N_EXAMPLES) if axis == 0 else (N_EXAMPLES, n_classes)


def index(axis: int, class_index, example) -> tuple:
    return (class_index, example) if axis == 0 else (example, class_index)


def probs(axis: int, dtype=torch.float64, seed: int = 0) -> "torch.Tensor":
    generator = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(shape(axis), generator=generator, dtype=dtype), dim=axis)


def labels(axis: int, dtype=torch.float64, seed: int = 1) -> "torch.Tensor":
    generator = torch.Generator().manual_seed(seed)
    indices = torch.randint(0, N_CLASSES, (N_EXAMPLES,), generator=generator)
    y = torch.nn.functional.one_hot(indices, N_CLASSES).to(dtype)
    return y.T.contiguous() if axis == 0 else y


def message(call, *args, **kwargs) -> str:
    with pytest.raises(LossCheckError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.fixture
def no_full_host_copies(monkeypatch):
    """Record every tensor moved to the host; fail on one as large as a checked input."""
    moved: list = []
    for method in ("numpy", "cpu", "tolist", "__array__"):
        original = getattr(torch.Tensor, method)

        def recording(self, *args, _original=original, **kwargs):
            moved.append(self.numel())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, method, recording)
    return moved


@pytest.mark.parametrize("axis", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softmax_and_one_hot_pass_and_a_broken_example_fails(axis, dtype, no_full_host_copies):
    a, y = probs(axis, dtype), labels(axis, dtype)
    assert runtime.check_loss_inputs(a, y, loss="cce", axis=axis) is None
    assert no_full_host_copies == []  # the passing path moves only scalars (item())

    broken = a.clone()
    broken[index(axis, 2, 5)] += 0.5
    text = message(runtime.check_probabilities, broken, activation="softmax", axis=axis)
    dtype_name = str(dtype).replace("torch.", "")
    assert f"A ({dtype_name}, shape {tuple(a.shape)})" in text
    word = "columns" if axis == 0 else "rows"
    assert f"1 of {N_EXAMPLES} {word} does not sum to 1" in text
    assert max(no_full_host_copies) < a.numel()


@pytest.mark.parametrize("axis", LAYOUTS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_entries_are_located(axis, bad):
    a = probs(axis, torch.float32)
    a[index(axis, 1, 3)] = bad
    row, col = index(axis, 1, 3)
    text = message(runtime.check_probabilities, a, activation="softmax", axis=axis)
    assert f"contains NaN or inf; first: A[{row}, {col}] = {bad}" in text


def test_the_seeds_pitfall_with_tensors():
    a = probs(0)[:3, :5]
    a = a / a.sum(dim=0, keepdim=True)
    y = torch.tensor([[0, 1, 2, 0, 1]])
    text = message(runtime.check_loss_inputs, a, y, loss="cce")
    assert "Y looks like class indices of shape (1, 5) while A is (3, 5)" in text
    assert "A - Y would broadcast silently to (3, 5)" in text
    assert "Y_one_hot = runtime.one_hot(Y, 3)" in text
    fixed = runtime.one_hot(y, 3)
    assert isinstance(fixed, torch.Tensor) and fixed.shape == (3, 5)
    assert runtime.check_loss_inputs(a, fixed, loss="cce") is None


@pytest.mark.parametrize("axis", [1, -1])
def test_one_hot_matches_torch_one_hot_in_rows(axis):
    y = torch.tensor([2, 0, 1])
    expected = torch.nn.functional.one_hot(y, 3).to(torch.get_default_dtype())
    assert torch.equal(runtime.one_hot(y, 3, axis=axis), expected)
    with pytest.raises(LossCheckError, match="is negative"):
        runtime.one_hot(torch.tensor([0, -1]), 3)


def test_binary_labels_and_sigmoid_outputs():
    a = torch.sigmoid(torch.randn(1, 6, dtype=torch.float64))
    y = torch.tensor([[1, 0, 1, 1, 0, 0]], dtype=torch.bool)
    assert runtime.check_loss_inputs(a, y, loss="bce") is None
    signs = y.to(torch.float32) * 2 - 1
    assert "Y = (Y + 1) / 2" in message(runtime.check_loss_inputs, a, signs, loss="bce")
    saturated = a.clone()
    saturated[0, 2] = 1.0
    assert "exactly 1 in 1 of 6 columns (first A[0, 2])" in message(
        runtime.check_probabilities, saturated, activation="sigmoid"
    )


def test_tensors_that_require_grad_are_checked_and_left_alone():
    z = torch.randn(N_CLASSES, N_EXAMPLES, dtype=torch.float64, requires_grad=True)
    a = torch.softmax(z, dim=0)
    y = labels(0)
    before_a, before_y = a.detach().clone(), y.clone()
    assert runtime.check_loss_inputs(a, y, loss="cce") is None
    y_bad = y.clone()
    y_bad[:, 0] = 0
    with pytest.raises(LossCheckError, match="has no 1 at all"):
        runtime.check_loss_inputs(a, y_bad, loss="cce")
    assert torch.equal(a.detach(), before_a) and torch.equal(y, before_y)
    assert a.grad_fn is not None and z.grad is None


def test_guard_with_tensor_losses():
    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def compute_cost(AL, Y):
        return -(Y * torch.log(AL)).sum() / AL.shape[1]

    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def cost_without_minus(AL, Y):
        return (Y * torch.log(AL)).sum() / AL.shape[1]

    a, y = probs(0), labels(0)
    result = compute_cost(a, Y=y)
    assert torch.is_tensor(result) and float(result) > 0
    assert "minus sign" in message(cost_without_minus, a, y)


def test_gradcheck_with_tensors():
    generator = torch.Generator().manual_seed(2)
    z = torch.randn(3, 5, generator=generator, dtype=torch.float32)
    y = torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 1, 0]), 3).T.to(torch.float64)
    loss = lambda v: -(y * torch.log_softmax(v, dim=0)).sum() / 5  # noqa: E731
    z_before = z.clone()
    assert runtime.gradcheck(loss, lambda v: (torch.softmax(v, dim=0) - y) / 5, z) < 1e-6
    assert torch.equal(z, z_before) and z.dtype == torch.float32
    text = message(runtime.gradcheck, loss, lambda v: torch.softmax(v, dim=0) - y, z)
    assert "grad_fn is 5 times the numerical gradient" in text
