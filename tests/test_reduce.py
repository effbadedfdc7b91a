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
    result = lint_source(source, "x.py", select(["ALL"]), reduce=reduce)
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
