"""The shapes of ``losslint/patterns.py`` on Python's own ``ast``: terms, ``1 - x``, divisions, arguments."""

from __future__ import annotations

import ast
import sys
from typing import Callable, List, Optional, Tuple

from losslint import shapes
from losslint.apis import Role

RoleOf = Callable[[ast.Call], Optional[Role]]
_THIS = sys.modules[__name__]  # this module is the syntax adapter `shapes.py` reads ast with


class SourceText:
    """The text of a node, for comparing two expressions as ``patterns.code`` does: spaces removed."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._lines: Optional[List[bytes]] = None

    def code(self, node: ast.AST) -> str:
        if self._lines is None:
            # ast columns count UTF-8 bytes, and Python's tokenizer ends lines only at \n, \r\n and \r.
            self._lines = self._source.encode("utf-8", "surrogatepass").splitlines(keepends=True)
        lines = self._lines
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            text = lines[first][node.col_offset : node.end_col_offset]
        else:
            text = lines[first][node.col_offset :] + b"".join(lines[first + 1 : last]) + lines[last][: node.end_col_offset]
        return "".join(text.decode("utf-8", "replace").split())


def dotted_name(node: ast.AST) -> Optional[str]:
    """``a.b.c`` as a string, or None when the expression is not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def is_constant(node: Optional[ast.AST], value: object) -> bool:
    """``None``, ``True`` or ``False`` written as such (LibCST sees them as names)."""
    return isinstance(node, ast.Constant) and node.value is value


def number(node: ast.AST) -> Optional[float]:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return float(node.value)
        except OverflowError:
            return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = number(node.operand)
        return None if inner is None else -inner
    return None


def is_one(node: ast.AST) -> bool:
    return number(node) == 1.0


def string_value(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def positional(call: ast.Call, index: int) -> Optional[ast.expr]:
    args = [a for a in call.args if not isinstance(a, ast.Starred)]
    return args[index] if index < len(args) else None


def keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    for item in call.keywords:
        if item.arg == name:
            return item.value
    return None


def argument(call: ast.Call, index: int, name: str) -> Optional[ast.expr]:
    found = keyword(call, name)
    return found if found is not None else positional(call, index)


def argument_count(call: ast.Call) -> int:
    return len(call.args) + len(call.keywords)


def argument_values(call: ast.Call) -> List[ast.expr]:
    """Every argument's value in LibCST's order (``*x`` gives ``x``), as ``[a.value for a in call.args]``."""
    values = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
    values.extend(k.value for k in call.keywords)
    return values


def first_values(call: ast.Call, count: int) -> List[ast.expr]:
    """The values of the first ``count`` arguments, whatever their keywords."""
    return argument_values(call)[:count]


def terms(node: ast.AST, role_of: RoleOf, sign: int = 1) -> List[Tuple[int, ast.AST]]:
    return shapes.terms(_THIS, node, role_of, sign)


def one_minus(node: ast.AST, role_of: RoleOf) -> List[ast.AST]:
    return shapes.one_minus(_THIS, node, role_of)


def division(node: ast.AST, role_of: RoleOf) -> Optional[Tuple[ast.AST, ast.AST]]:
    return shapes.division(_THIS, node, role_of)


def factors(node: ast.AST, role_of: RoleOf) -> List[ast.AST]:
    return shapes.factors(_THIS, node, role_of)


def bce_derivative(node: ast.AST, role_of: RoleOf, text: SourceText) -> Optional[Tuple[ast.AST, ast.AST]]:
    """``(A, Y)`` when ``node`` is the derivative of binary cross-entropy: ``shapes.bce_derivative``."""
    return shapes.bce_derivative(_THIS, text.code, node, role_of)


# ----- the syntax adapter: what ``losslint/values.py`` asks of an ast tree (``patterns.py`` answers for LibCST)


def unkeyworded_values(call: ast.Call) -> List[ast.expr]:
    """The values of the arguments without a keyword, ``*args`` included."""
    return [a.value if isinstance(a, ast.Starred) else a for a in call.args]


def is_call(node: object) -> bool:
    return isinstance(node, ast.Call)


def name(node: object) -> Optional[str]:
    """The identifier of a name; ``None``, ``True`` and ``False`` count, as LibCST reads them as names."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and (node.value is None or type(node.value) is bool):
        return str(node.value)
    return None


def attribute(node: object) -> Optional[Tuple[ast.expr, str]]:
    """``(x, "attr")`` for ``x.attr``."""
    return (node.value, node.attr) if isinstance(node, ast.Attribute) else None


def minus_operand(node: object) -> Optional[ast.expr]:
    """``x`` for ``-x``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return node.operand
    return None


def elements(node: object) -> Optional[List[ast.expr]]:
    """The items of a list or tuple literal (``*x`` gives ``x``); None for anything else."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value if isinstance(e, ast.Starred) else e for e in node.elts]
    return None


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def binary_parts(node: object) -> Optional[Tuple[str, ast.expr, ast.expr]]:
    """``("+", a, b)`` for ``a + b``, and so for ``-``, ``*`` and ``/``."""
    if isinstance(node, ast.BinOp):
        operator = _BINARY.get(type(node.op))
        if operator is not None:
            return operator, node.left, node.right
    return None


def bool_keyword(call: ast.Call, name_: str) -> Optional[bool]:
    value = keyword(call, name_)
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        return value.value
    return None


def integer(node: object) -> Optional[int]:
    """The value of an integer literal (not ``True`` or ``False``)."""
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def call_arguments(call: ast.Call) -> List[Tuple[Optional[str], ast.expr, bool]]:
    """``(keyword, value, starred)`` for each argument, positional ones first; ``starred`` for ``*x`` and ``**x``."""
    found: List[Tuple[Optional[str], ast.expr, bool]] = [
        (None, a.value, True) if isinstance(a, ast.Starred) else (None, a, False) for a in call.args
    ]
    found.extend((k.arg, k.value, k.arg is None) for k in call.keywords)
    return found


def is_tuple(node: object) -> bool:
    return isinstance(node, ast.Tuple)


def is_string_literal(node: object) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))


def is_none(node: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def collection_items(node: object) -> Optional[List[ast.expr]]:
    """The items of a tuple, list or set literal; None for anything else."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value if isinstance(e, ast.Starred) else e for e in node.elts]
    return None


def target_elements(target: object) -> Optional[List[ast.expr]]:
    """The names of ``a, *b = ...``; None when the target is not a tuple or list."""
    return elements(target)


def starred_target(target: object) -> Optional[ast.expr]:
    return target.value if isinstance(target, ast.Starred) else None


def bare_tuple(node: ast.AST) -> bool:
    """``a[i, j]`` (two indices, as LibCST counts them), not ``a[(i, j)]`` (one, a tuple)."""
    if not isinstance(node, ast.Tuple) or not node.elts:
        return False
    first = node.elts[0]
    return (first.lineno, first.col_offset) == (node.lineno, node.col_offset)


def slice_parts(node: ast.AST) -> List[ast.expr]:
    """The indices and ranges of a subscript, each on its own as LibCST lists them."""
    return list(node.elts) if bare_tuple(node) else [node]


def subscript_target(target: object) -> Optional[Tuple[ast.expr, List[ast.expr], int]]:
    """``(array, plain indices, number of indices and ranges)`` for ``array[...]``."""
    if not isinstance(target, ast.Subscript):
        return None
    parts = slice_parts(target.slice)
    return target.value, [part for part in parts if not isinstance(part, ast.Slice)], len(parts)
