"""Walk a LibCST tree read-only, in LibCST's own visiting order, without rebuilding it.

``CSTNode.visit`` rebuilds every node it passes (each one's constructor and
validation run again) so that a transformer can replace children; a read-only
walk pays that for nothing, and on real code it cost more than parsing. Here
each node type's children are read straight from its fields, in the order its
``_visit_and_replace_children`` visits them, so handlers see the nodes in the
same order a ``CSTVisitor`` would.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from functools import lru_cache
from typing import Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Type

import libcst as cst

Handler = Callable[[cst.CSTNode], object]

_ORDERS: Dict[type, Optional[Tuple[str, ...]]] = {}

# Whitespace and operator nodes hold only other whitespace: never worth entering unless handled.
_INERT_MODULES = ("libcst._nodes.whitespace", "libcst._nodes.op")
# Names, literals and brackets hold only brackets and whitespace.
_LEAVES = frozenset(
    {
        "Name",
        "Integer",
        "Float",
        "Imaginary",
        "SimpleString",
        "Ellipsis",
        "LeftParen",
        "RightParen",
        "LeftSquareBracket",
        "RightSquareBracket",
        "LeftCurlyBrace",
        "RightCurlyBrace",
        "Asynchronous",
    }
)


def child_fields(node_type: Type[cst.CSTNode]) -> Optional[Tuple[str, ...]]:
    """The fields of ``node_type`` that hold children, in visiting order; None if unreadable."""
    try:
        return _ORDERS[node_type]
    except KeyError:
        pass
    order = _read_order(node_type)
    _ORDERS[node_type] = order
    return order


def _read_order(node_type: type) -> Optional[Tuple[str, ...]]:
    # `_visit_and_replace_children` passes each field to a `visit_*` helper by name, in order.
    try:
        source = textwrap.dedent(inspect.getsource(node_type._visit_and_replace_children))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, AttributeError):
        return None
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("visit_")
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    names: List[str] = []
    for call in calls:
        if call.args[1].value not in names:
            names.append(call.args[1].value)
    return tuple(names)


@lru_cache(maxsize=1)
def _inert_names() -> FrozenSet[str]:
    return frozenset(
        cls.__name__
        for module in _INERT_MODULES
        for cls in vars(importlib.import_module(module)).values()
        if isinstance(cls, type) and issubclass(cls, cst.CSTNode)
    )


# Fields that, on every node type that has them, hold whitespace, brackets or operators only.
_INERT_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "comma",
        "semicolon",
        "operator",
        "equal",
        "colon",
        "dot",
        "asynchronous",
    }
)


def _holds_only_inert(field: str) -> bool:
    return field in _INERT_FIELDS or field.startswith("whitespace")


def children(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """``node.children`` without rebuilding ``node``."""
    fields = child_fields(type(node))
    if fields is None:
        return node.children
    found: List[cst.CSTNode] = []
    for name in fields:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend(item for item in value if isinstance(item, cst.CSTNode))
    return found


class Walker:
    """Calls ``enter[type name]`` before a node's children and ``leave[type name]`` after them."""

    def __init__(self, enter: Mapping[str, Sequence[Handler]], leave: Mapping[str, Sequence[Handler]]) -> None:
        self.enter = enter
        self.leave = leave
        self._plans: Dict[type, Tuple[Optional[Tuple[str, ...]], Sequence[Handler], Sequence[Handler]]] = {}
        self._skip_inert = not ((_inert_names() | _LEAVES) & (set(enter) | set(leave)))

    def _plan(self, node_type: type):
        name = node_type.__name__
        enter, leave = tuple(self.enter.get(name, ())), tuple(self.leave.get(name, ()))
        fields = child_fields(node_type)
        if self._skip_inert and fields is not None:
            if node_type.__module__ in _INERT_MODULES or name in _LEAVES:
                fields = ()
            else:
                fields = tuple(field for field in fields if not _holds_only_inert(field))
        plan = (fields, enter, leave)
        self._plans[node_type] = plan
        return plan

    def walk(self, node: cst.CSTNode) -> None:
        plan = self._plans.get(type(node)) or self._plan(type(node))
        fields, enter, leave = plan
        for handler in enter:
            handler(node)
        if fields is None:
            for child in node.children:
                self.walk(child)
        else:
            for name in fields:
                value = getattr(node, name)
                if isinstance(value, cst.CSTNode):
                    self.walk(value)
                elif isinstance(value, (tuple, list)):
                    for item in value:
                        if isinstance(item, cst.CSTNode):
                            self.walk(item)
        for handler in leave:
            handler(node)
