"""The value-kind analysis: what it knows, from which evidence, and what it refuses to guess."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst
import pytest

from losslint.facts import analyze
from losslint.kinds import Kind
from losslint.screen import facts as screen_facts


class _Names(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found.append(node)


def kind_of(source: str, name: str = "probe"):
    """The kind the analysis gives the last occurrence of ``name`` in the source, or None.

    The analysis on ``ast`` (the screen's) must give the same kind there.
    """
    source = textwrap.dedent(source)
    module = cst.parse_module(source)
    facts = analyze(module)
    names = _Names(name)
    module.visit(names)
    kind = facts.kind(names.found[-1])
    tree = ast.parse(source)
    last = max((n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name), key=lambda n: (n.lineno, n.col_offset))
    assert screen_facts.analyze(tree, source).kind(last) is kind
    return kind


def use(expression: str) -> str:
    return f"probe = {expression}\nprint(probe)\n"


@pytest.mark.parametrize(
    "source,kind",
    [
        ("from scipy.special import softmax\n" + use("softmax(z, axis=0)"), Kind.SOFTMAX_PROBS),
        ("import torch.nn.functional as F\n" + use("F.softmax(x, dim=1)"), Kind.SOFTMAX_PROBS),
        ("import torch\n" + use("torch.randn(3, 4).softmax(dim=1)"), Kind.SOFTMAX_PROBS),
        ("import tensorflow as tf\n" + use("tf.nn.softmax(x)"), Kind.SOFTMAX_PROBS),
        ("import jax\n" + use("jax.nn.log_softmax(x)"), Kind.LOG_PROBS),
        ("from scipy.special import expit\n" + use("expit(z)"), Kind.SIGMOID_PROBS),
        ("import numpy as np\n" + use("1 / (1 + np.exp(-z))"), Kind.SIGMOID_PROBS),
        ("import numpy as np\n" + use("1.0 / (1.0 + np.exp(-z))"), Kind.SIGMOID_PROBS),
        ("import numpy as np\ne = np.exp(z - z.max(0))\n" + use("e / e.sum(axis=0, keepdims=True)"), Kind.SOFTMAX_PROBS),
        ("from tensorflow import keras\n" + use("keras.utils.to_categorical(y, 10)"), Kind.ONE_HOT),
        ("import numpy as np\n" + use("np.eye(10)[y]"), Kind.ONE_HOT),
        ("import numpy as np\n" + use("np.eye(10)[y].T"), Kind.ONE_HOT),
        ("import numpy as np\nprobe = np.zeros((C, m))\nprobe[y, np.arange(m)] = 1\nprint(probe)\n", Kind.ONE_HOT),
        ("import numpy as np\n" + use("np.argmax(T, axis=0)"), Kind.CLASS_INDICES),
        ("import numpy as np\n" + use("np.argmax(T, axis=0).reshape(1, -1).astype(int)"), Kind.CLASS_INDICES),
        ("import numpy as np\n" + use("np.random.randint(0, 10, size=50)"), Kind.CLASS_INDICES),
        ("import numpy as np\n" + use("np.random.randint(0, 2, size=50)"), Kind.BINARY_LABELS),
        ("import numpy as np\nrng = np.random.default_rng(0)\n" + use("rng.integers(0, 5, 100)"), Kind.CLASS_INDICES),
        ("import numpy as np\n" + use("np.array([[0, 1, 2, 0, 1]])"), Kind.CLASS_INDICES),
        ("import numpy as np\n" + use("np.array([[0, 1, 1, 0]])"), Kind.BINARY_LABELS),
    ],
)
def test_sources_of_kinds(source, kind):
    assert kind_of(source) is kind


@pytest.mark.parametrize(
    "source",
    [
        "def f(probe):\n    return probe - 1\n",  # a parameter is never evidence
        "import numpy as np\nprobe = np.load('softmax_outputs.npy')\nprint(probe)\n",  # a name is never evidence
        "softmax_probs = load()\nprobe = softmax_probs\nprint(probe)\n",
        "import numpy as np\nprobe = np.array([0.1, 0.9])\nprint(probe)\n",
        "from scipy.special import softmax, expit\nif c:\n    probe = softmax(z)\nelse:\n    probe = expit(z)\nprint(probe)\n",
        "from scipy.special import softmax, expit\nprobe = expit(z) if c else softmax(z)\nprint(probe)\n",
        "from scipy.special import softmax\nprobe = softmax(z)\nprobe[range(n), y] -= 1\nprint(probe)\n",
    ],
)
def test_no_evidence_no_kind(source):
    assert kind_of(source) in (None, Kind.PARAMETER)


def test_kind_keeping_operations():
    source = """
    import numpy as np
    from scipy.special import softmax
    A = softmax(z, axis=0)
    B = np.clip(A, 1e-12, 1 - 1e-12)
    C = np.maximum(B, 1e-12).T
    probe = C.copy()
    print(probe)
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS


def test_branches_that_agree_keep_the_kind_and_a_branch_may_define_it():
    source = """
    import torch
    if training:
        probe = torch.softmax(x, dim=1)
    else:
        probe = torch.softmax(x / t, dim=1)
    print(probe)
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS


def test_function_summary_with_tuple_return():
    source = """
    import numpy as np
    def sigmoid(Z):
        A = 1 / (1 + np.exp(-Z))
        return A, Z
    probe, cache = sigmoid(Z1)
    print(probe)
    """
    assert kind_of(source) is Kind.SIGMOID_PROBS


def test_course_style_activation_dispatch_is_specialised_per_call():
    source = """
    import numpy as np
    def sigmoid(Z):
        return 1 / (1 + np.exp(-Z)), Z
    def softmax(Z):
        e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
        return e / np.sum(e, axis=0, keepdims=True), Z
    def linear_activation_forward(A_prev, W, b, activation):
        Z = W @ A_prev + b
        if activation == "sigmoid":
            A, cache = sigmoid(Z)
        elif activation == "softmax":
            A, cache = softmax(Z)
        return A, cache
    S, _ = linear_activation_forward(X, W1, b1, activation="sigmoid")
    probe, _ = linear_activation_forward(S, W2, b2, "softmax")
    print(probe, S)
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS
    assert kind_of(source, "S") is Kind.SIGMOID_PROBS


def test_unseen_function_with_activation_keyword():
    source = """
    from dnn_utils import linear_activation_forward
    probe, cache = linear_activation_forward(A1, W2, b2, activation="softmax")
    print(probe)
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS


def test_parameter_takes_the_kind_all_call_sites_agree_on():
    source = """
    from scipy.special import softmax
    def backward(probe, Y):
        return probe - Y
    backward(softmax(z1), Y)
    backward(softmax(z2), Y)
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS
    disagreeing = source.replace("backward(softmax(z2), Y)", "backward(z2, Y)")
    assert kind_of(disagreeing) is Kind.PARAMETER  # a parameter: no evidence of any value kind


def test_attributes_cross_methods_of_the_same_class():
    source = """
    from torch import nn
    class Net(nn.Module):
        def __init__(self):
            self.head = nn.Softmax(dim=1)
        def forward(self, x):
            self.probs = self.head(x)
            return self.probs
        def backward(self, y):
            probe = self.probs
            return probe
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS


def test_a_method_returning_a_class_attribute_layer_knows_what_the_layer_computes():
    # `probs` is first summarised while the call sites are read, before `self.act` is known.
    source = """
    from torch import nn

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.Softmax(dim=1)

        def probs(self, x):
            return self.act(x)

        def forward(self, x):
            probe = self.probs(x)
            return probe
    """
    assert kind_of(source) is Kind.SOFTMAX_PROBS


def test_keras_models_know_their_last_activation():
    source = """
    from tensorflow import keras
    from tensorflow.keras import layers
    inputs = keras.Input(shape=(20,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    outputs = layers.Dense(5, activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs)
    probe = model.predict(x)
    """
    assert kind_of(source) is Kind.SIGMOID_PROBS


def test_shift_recognition():
    source = """
    import numpy as np
    z = z - np.max(z, axis=1, keepdims=True)
    probe = np.exp(z)
    """
    module = cst.parse_module(textwrap.dedent(source))
    facts = analyze(module)
    exp_facts = [f for f in facts.values.values() if f.kind is Kind.EXP]
    assert exp_facts and all(f.shifted for f in exp_facts)
    unshifted = analyze(cst.parse_module("import numpy as np\nprobe = np.exp(z)\n"))
    assert [f.shifted for f in unshifted.values.values() if f.kind is Kind.EXP] == [False, False]
