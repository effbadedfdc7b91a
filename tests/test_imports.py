from __future__ import annotations

import libcst as cst
import pytest

from losslint.imports import ImportTable


def table(source: str) -> ImportTable:
    return ImportTable.from_module(cst.parse_module(source))


@pytest.mark.parametrize(
    "source,expression,expected",
    [
        ("import numpy as np", "np.exp", "numpy.exp"),
        ("import numpy", "numpy.random.randint", "numpy.random.randint"),
        ("import torch.nn.functional as F", "F.softmax", "torch.nn.functional.softmax"),
        ("from torch.nn import functional as F", "F.cross_entropy", "torch.nn.functional.cross_entropy"),
        ("from torch import nn", "nn.CrossEntropyLoss", "torch.nn.CrossEntropyLoss"),
        ("from scipy.special import softmax", "softmax", "scipy.special.softmax"),
        ("from scipy.special import expit as sigmoid", "sigmoid", "scipy.special.expit"),
        ("import torch.nn", "torch.nn.Softmax", "torch.nn.Softmax"),
        ("import tensorflow as tf", "tf.keras.losses.CategoricalCrossentropy", "tensorflow.keras.losses.CategoricalCrossentropy"),
        ("def f():\n    import jax.numpy as jnp", "jnp.exp", "jax.numpy.exp"),
    ],
)
def test_qualify(source, expression, expected):
    assert table(source).qualify(cst.parse_expression(expression)) == expected


@pytest.mark.parametrize("expression", ["softmax", "x.softmax", "f().exp", "a[0].sum"])
def test_names_not_imported_are_not_qualified(expression):
    assert table("import numpy as np\nfrom .local import softmax").qualify(cst.parse_expression(expression)) is None
