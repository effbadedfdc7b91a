"""The read-only walk meets every node in the order, and with the enter/leave nesting, of a LibCST visitor."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from losslint.walk import Walker, children

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures").glob("*.py"))
SAMPLES = FIXTURES + sorted(Path(cst.__file__).parent.glob("_nodes/*.py"))  # code with every kind of node in it


def _parse(path: Path):
    try:
        return cst.parse_module(path.read_bytes())
    except (cst.ParserSyntaxError, UnicodeDecodeError):
        return None


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("enter", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node)))


class _Every(dict):
    """A handler table that answers for every node type."""

    def __init__(self, action) -> None:
        super().__init__()
        self.action = action

    def get(self, key, default=None):
        return [self.action]

    def __contains__(self, key) -> bool:
        return True

    def __iter__(self):
        return iter(["Comment", "Name"])  # names inert nodes too, so none is skipped


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_walk_matches_a_libcst_visitor(path):
    module = _parse(path)
    if module is None:
        pytest.skip("not valid Python or not UTF-8: a fixture for LL900 or LL901")
    expected = _Recorder()
    module.visit(expected)
    events = []
    Walker(_Every(lambda n: events.append(("enter", id(n)))), _Every(lambda n: events.append(("leave", id(n))))).walk(module)
    assert events == expected.events


def test_children_match_libcst_children():
    module = cst.parse_module("@d\nasync def f(a, *b, c=1, **k) -> int:\n    return [x async for x in y if x] or {**k}\n")
    stack = [module]
    while stack:
        node = stack.pop()
        assert list(children(node)) == list(node.children)
        stack.extend(node.children)


def test_handlers_see_only_their_node_types_and_whitespace_is_skipped():
    module = cst.parse_module("x = f(a)  # note\ny = g(h(b))\n")
    seen = []
    Walker({"Call": [lambda n: seen.append(cst.Module([]).code_for_node(n.func))]}, {}).walk(module)
    assert seen == ["f", "g", "h"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_skipping_whitespace_and_leaves_loses_no_handled_node(path):
    module = _parse(path)
    if module is None:
        pytest.skip("not valid Python or not UTF-8: a fixture for LL900 or LL901")
    handled = ("Call", "BinaryOperation", "UnaryOperation", "FunctionDef", "AugAssign", "SimpleStatementLine", "Lambda")

    class Expected(cst.CSTVisitor):
        def __init__(self) -> None:
            self.events = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            if type(node).__name__ in handled:
                self.events.append(("enter", id(node)))
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if type(original_node).__name__ in handled:
                self.events.append(("leave", id(original_node)))

    expected = Expected()
    module.visit(expected)
    events = []
    enter = {name: [lambda n: events.append(("enter", id(n)))] for name in handled}
    leave = {name: [lambda n: events.append(("leave", id(n)))] for name in handled}
    Walker(enter, leave).walk(module)
    assert events == expected.events
