"""Parsing only the statements that can matter never changes what is found, nor where."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from losslint.engine import UndecodableSource, _trigger, decode, lint_source
from losslint.reduce import reduce_source
from losslint.registry import select

def _decodable(path: Path) -> bool:
    try:
        decode(path.read_bytes())
        return True
    except UndecodableSource:
        return False  # the LL901 fixture: nothing to parse either way


FIXTURES = [p for p in sorted((Path(__file__).resolve().parent.parent / "fixtures").glob("*.py")) if _decodable(p)]


def _findings(source, reduce):
    result = lint_source(source, "x.py", select(["ALL"]), reduce=reduce, screen=False)
    return [(f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.fix) for f in result.findings]


def _installed_sample(count=15):
    """Files of installed packages (numpy, libcst, typer) that mention a trigger token: code nobody here wrote."""
    roots = []
    for name in ("numpy", "libcst", "typer"):
        module = sys.modules.get(name) or __import__(name)
        roots.append(Path(module.__file__).parent)
    files = sorted(p for root in roots for p in root.rglob("*.py"))
    trigger = _trigger()
    chosen = [p for p in files if trigger.search(p.read_text(encoding="utf-8", errors="replace"))]
    random.Random(0).shuffle(chosen)
    return chosen[:count]


@pytest.mark.parametrize("path", FIXTURES + _installed_sample(), ids=lambda p: p.name)
def test_reduced_parse_gives_the_same_findings(path):
    source = decode(path.read_bytes())
    assert _findings(source, reduce=True) == _findings(source, reduce=False)


def test_reduction_keeps_line_numbers_and_links_by_name():
    source = (
        "import numpy as np\n"
        "\n"
        "def unrelated(a, b):\n"
        "    return a + b\n"
        "\n"
        "def backward(AL, Y):\n"
        "    return -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))\n"
        "\n"
        "def softmax(z):\n"
        "    e = np.exp(z - z.max(axis=0, keepdims=True))\n"
        "    return e / e.sum(axis=0, keepdims=True)\n"
        "\n"
        "grad = backward(softmax(Z), Y)\n"
    )
    reduced = reduce_source(source, _trigger())
    assert reduced is not None
    lines = reduced.splitlines()
    assert len(lines) == len(source.splitlines())
    assert lines[2] == "" and lines[3] == ""  # `unrelated` cannot matter
    assert lines[5].startswith("def backward")  # called with a softmax by a kept statement
    assert [f[0] for f in _findings(source, True)] == ["LL001"]


def test_files_ast_cannot_read_are_parsed_whole():
    assert reduce_source("def f(:\n    pass\nx = softmax(y)\n", _trigger()) is None


def test_imports_inside_top_level_blocks_are_kept():
    source = (
        "from utils import is_torch_available\n"
        "if is_torch_available():\n"
        "    import torch\n"
        "\n"
        "def scores(out_logits):\n"
        "    return torch.nn.functional.softmax(out_logits)[:, :, :-1]\n"
    )
    assert [f[:2] for f in _findings(source, True)] == [("LL009", 6)] == [f[:2] for f in _findings(source, False)]


ATTENTION = (
    "import torch\n"
    "from torch import nn\n"
    "\n"
    "\n"
    "class Embeddings(nn.Module):\n"
    "    def __init__(self, config):\n"
    "        self.table = nn.Embedding(config.vocab, config.dim)\n"
    "\n"
    "\n"
    "class Attention(nn.Module):\n"
    '    """Scores through a softmax."""\n'
    "\n"
    "    def __init__(self, config):\n"
    "        self.scale = config.dim ** -0.5\n"
    "\n"
    "    def describe(self):\n"
    '        return "attention"\n'
    "\n"
    "    def forward(self, q, k, target):\n"
    "        weights = torch.softmax(q @ k.T * self.scale, dim=-1)\n"
    "        return self.loss(weights, target)\n"
    "\n"
    "    def loss(self, p, target):\n"
    "        return nn.functional.nll_loss(p, target)\n"
    "\n"
    "\n"
    "class Model(nn.Module):\n"
    "    def __init__(self, config):\n"
    "        self.attention = Attention(config)\n"
)


def test_inside_a_class_only_methods_a_probability_can_reach_are_kept():
    reduced = reduce_source(ATTENTION, _trigger())
    assert reduced is not None
    lines = reduced.splitlines()
    assert len(lines) == len(ATTENTION.splitlines())
    kept = {number for number, line in enumerate(lines, start=1) if line.strip()}
    assert kept == {1, 2, 10, 13, 14, 19, 20, 21, 23, 24}
    # `forward` holds the softmax, `loss` receives it through `self.loss`, `__init__` sets the
    # `self.scale` that `forward` reads; `describe`, the docstring and the other classes cannot matter.
    assert [f[:3] for f in _findings(ATTENTION, True)] == [("LL011", 24, 16)] == [f[:3] for f in _findings(ATTENTION, False)]


def test_a_class_kept_only_for_its_name_keeps_a_pass_for_a_body():
    source = (
        "import numpy as np\n"
        "class Config:\n"
        "    size = 3\n"
        "    def describe(self):\n"
        "        return 'config'\n"
        "def probs(z):\n"
        "    return np.exp(z) / np.exp(z).sum()\n"
        "p = probs(Config.size)\n"
    )
    reduced = reduce_source(source, _trigger())
    assert reduced is not None
    assert reduced.splitlines()[1:5] == ["class Config:", "    pass", "", ""]
    assert _findings(source, True) == _findings(source, False)


def test_what_a_comment_or_docstring_mentions_does_not_keep_code():
    source = (
        "import numpy as np\n"
        "def scale(x):\n"
        '    """Runs before the softmax."""\n'
        "    return x * 2  # then exp()\n"
        "def probs(z):\n"
        "    return np.exp(z) / np.exp(z).sum()\n"
    )
    reduced = reduce_source(source, _trigger())
    assert reduced is not None and reduced.splitlines()[1:4] == ["", "", ""]


def test_a_string_argument_keeps_its_call():
    source = (
        "from keras.layers import Dense\n"
        "def head(units):\n"
        "    return Dense(units, activation='softmax')\n"
        "def other():\n"
        "    return Dense(3)\n"
    )
    reduced = reduce_source(source, _trigger())
    assert reduced is not None
    assert reduced.splitlines()[1:5] == ["def head(units):", "    return Dense(units, activation='softmax')", "", ""]


def _facts_by_position(source):
    """Every fact, role and use the analysis records, keyed by its node's type and span."""
    import dataclasses
    import enum

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from losslint import apis
    from losslint.facts import analyze
    from losslint.imports import ImportTable

    module = cst.parse_module(source)
    spans = {
        node: (where.start.line, where.start.column, where.end.line, where.end.column)
        for node, where in MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider).items()
    }

    def plain(value):
        if isinstance(value, cst.CSTNode):
            return (type(value).__name__, spans.get(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return tuple((f.name, plain(getattr(value, f.name))) for f in dataclasses.fields(value))
        if isinstance(value, (list, tuple)):
            return tuple(plain(v) for v in value)
        if isinstance(value, (set, frozenset)):
            return tuple(sorted(repr(plain(v)) for v in value))
        return value.name if isinstance(value, enum.Enum) else value

    facts = analyze(module, ImportTable.from_module(module), apis.BUILT_IN)
    table = {}
    for part in ("values", "roles", "loss_uses", "compiles", "categorical_logs", "user_loss_calls", "fits"):
        for node, value in getattr(facts, part).items():
            table[(part, type(node).__name__, spans.get(node))] = plain(value)
    for part in ("cross_entropy_logs", "derivatives_twice"):
        for node, value in getattr(facts, part).items():
            table[(part, type(node).__name__, spans.get(node))] = plain(value)
    return table


@pytest.mark.parametrize("path", FIXTURES + _installed_sample(), ids=lambda p: p.name)
def test_kept_code_is_analysed_exactly_as_in_the_whole_file(path):
    """Stronger than equal findings: every node on a kept line gets the same fact, role and use."""
    source = decode(path.read_bytes())
    reduced = reduce_source(source, _trigger())
    if reduced is None:
        return  # nothing was cut
    whole, cut = _facts_by_position(source), _facts_by_position(reduced)
    original = source.splitlines()
    kept = {n for n, line in enumerate(reduced.splitlines(), start=1) if line.strip() and line == original[n - 1]}

    def on_kept_lines(key):
        span = key[2]
        return span is not None and all(line in kept for line in range(span[0], span[2] + 1))

    assert {k: v for k, v in cut.items() if on_kept_lines(k)} == {k: v for k, v in whole.items() if on_kept_lines(k)}


def test_a_class_body_on_its_header_line_is_kept_whole():
    source = (
        "import numpy as np\n"
        "class Shape(\n"
        "    object,\n"
        "): size = 3\n"
        "def probs(z):\n"
        "    return np.exp(z) / np.exp(z).sum(axis=Shape.size)\n"
    )
    reduced = reduce_source(source, _trigger())
    assert reduced is None or reduced.splitlines()[3] == "): size = 3"
    compile(reduced or source, "x.py", "exec")
