"""`losslint run`, static half: which sites the analysis picks, and what the transform writes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from losslint.instrument import sites as kinds
from losslint.instrument.transform import instrument_source, module_sites

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def sites_of(source: str):
    _, found = module_sites(textwrap.dedent(source), "m.py")
    return [site.info for site in found]


def test_softmax_minus_labels_is_a_gradient_site_with_operands_in_evaluation_order():
    [site] = sites_of(
        """
        import numpy as np
        def step(Z, Y):
            e = np.exp(Z - Z.max(axis=0, keepdims=True))
            A = e / e.sum(axis=0, keepdims=True)
            return A - Y
        """
    )
    assert (site.check, site.code, site.line) == (kinds.GRADIENT, "LL002", 6)
    assert site.roles == ("probabilities", "labels") and site.names == ("A", "Y")
    assert site.activation == "softmax" and site.text == "A - Y"


def test_a_parameter_minus_labels_is_no_site_and_a_literal_is_no_label():
    assert sites_of("def step(A, Y):\n    return A - Y\n") == []
    assert sites_of("import torch\ndef f(z):\n    p = torch.sigmoid(z)\n    return p - 0.5\n") == []


def test_the_bce_derivative_is_a_site_whatever_the_analysis_knows_of_a():
    [site] = sites_of("import numpy as np\ndef back(AL, Y):\n    return -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))\n")
    assert (site.check, site.code) == (kinds.BCE_DERIVATIVE, "LL001")
    # Y is evaluated first: it stands first in the source.
    assert site.roles == ("labels", "probabilities") and site.names == ("Y", "AL")


def test_library_loss_calls_are_sites_with_their_loss_and_expectation():
    found = sites_of(
        """
        import torch.nn.functional as F
        from torch import nn
        def losses(model, x, y):
            a = F.cross_entropy(model(x), y)
            b = nn.NLLLoss()(model(x), target=y)
            return a + b
        """
    )
    assert [(s.code, s.loss, s.expects, s.roles) for s in found] == [
        ("LL005", "cross_entropy", "logits", ("prediction", "target")),
        ("LL011", "NLLLoss", "log-probabilities", ("prediction", "target")),
    ]


def test_cross_entropy_terms_and_unshifted_softmax_are_sites():
    found = sites_of(
        """
        import numpy as np
        def cost(Z, Y):
            A = np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True)
            return -np.sum(Y * np.log(A)) / Y.shape[1]
        def bce(A, Y):
            return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
        """
    )
    assert [(s.check, s.line) for s in found] == [
        (kinds.SOFTMAX_OUTPUT, 4),
        (kinds.CATEGORICAL_CROSS_ENTROPY, 5),
        (kinds.BINARY_CROSS_ENTROPY, 7),  # once: the (1 - Y) * log(1 - A) half is the same pair
    ]


def test_an_operand_under_a_short_circuit_or_a_lambda_does_not_count_as_evaluated_once():
    import libcst as cst

    module = cst.parse_module("r = A - (c and Y)\nq = A - (lambda: Y)\np = A - (Y)\n")
    order = kinds._preorder(module)
    roots = [statement.body[0].value for statement in module.body]
    inner = [roots[0].right.right, roots[1].right.body, roots[2].right]
    assert [kinds._evaluated_once(root, operand, order) for root, operand in zip(roots, inner)] == [False, False, True]
    assert not kinds._evaluated_once(roots[0], roots[1].left, order)  # not below the root at all


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")) + sorted(FIXTURES.glob("run/*/*.py")), ids=lambda p: p.name)
def test_instrumenting_keeps_every_line_number_and_compiles(path):
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        compile(source, str(path), "exec")
    except SyntaxError:
        pytest.skip("the fixture is a syntax error on purpose")
    text, found = instrument_source(source, path.name, "k/")
    compile(text, str(path), "exec")
    assert len(text.splitlines()) == len(source.splitlines())
    for number, (before, after) in enumerate(zip(source.splitlines(), text.splitlines()), start=1):
        if before != after:
            assert "__losslint__.tap(" in after, f"line {number} changed without a tap"
    assert sum(after.count("__losslint__.tap(") for after in text.splitlines()) == sum(len(s.operands) for s in found)


def test_instrumented_code_computes_the_same_values_bit_for_bit(monkeypatch):
    source = textwrap.dedent(
        """
        import numpy as np
        def softmax(Z):
            e = np.exp(Z - Z.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)
        def gradients(Z, Y):
            A = softmax(Z)
            dZ = A - Y
            cost = -np.sum(Y * np.log(A)) / Z.shape[1]
            dA = -(np.divide(Y, A) - np.divide(1 - Y, 1 - A))
            return dZ, cost, dA
        """
    )
    from losslint.instrument.probe import Probe, install
    from losslint.instrument.siteinfo import site_key

    probe = install(Probe(warn=True))
    text, found = instrument_source(source, "m.py", "bits/")
    probe.register({site_key("bits/", index): site.info for index, site in enumerate(found)})
    assert len(found) == 3
    plain, instrumented = {}, {}
    exec(compile(source, "m.py", "exec"), plain)
    exec(compile(text, "m.py", "exec"), instrumented)
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((4, 7)).astype(np.float32)
    Y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 7)].T
    for expected, got in zip(plain["gradients"](Z, Y), instrumented["gradients"](Z, Y)):
        assert np.asarray(expected).dtype == np.asarray(got).dtype
        assert np.array_equal(expected, got, equal_nan=True)
    assert [probe.records[site_key("bits/", index)].calls for index in range(3)] == [1, 1, 1]
    # `dA` on a softmax output is LL001: the values are the same, and the failure was recorded.
    assert [failure.code for failure in probe.failures()] == ["LL001"]
