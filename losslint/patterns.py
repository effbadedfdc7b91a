"""Syntactic shapes shared by the analysis and the rules: terms of a sum, `1 - x`, divisions."""

from __future__ import annotations

import sys
from typing import Callable, List, Optional, Tuple

import libcst as cst

from losslint.apis import Role
from losslint import imports, shapes

RoleOf = Callable[[cst.Call], Optional[Role]]

_EMPTY_MODULE = cst.Module(body=[])
_THIS = sys.modules[__name__]  # this module is the syntax adapter `shapes.py` reads LibCST with


def code(node: cst.CSTNode) -> str:
    """The source of an expression, without surrounding parentheses or spaces, for comparing."""
    if isinstance(node, cst.BaseExpression) and (node.lpar or node.rpar) and not isinstance(node, cst.Tuple):
        node = node.with_changes(lpar=(), rpar=())  # a tuple keeps its parentheses: `()` needs them
    return "".join(_EMPTY_MODULE.code_for_node(node).split())


def number(node: cst.BaseExpression) -> Optional[float]:
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return float(node.evaluated_value)
        except (OverflowError, ValueError):
            return None  # a literal too large for a float is no 1, 2 or axis the rules look for
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = number(node.expression)
        return None if inner is None else -inner
    return None


def is_one(node: cst.BaseExpression) -> bool:
    return number(node) == 1.0


def positional(call: cst.Call, index: int) -> Optional[cst.BaseExpression]:
    args = [a for a in call.args if a.keyword is None and not a.star]
    return args[index].value if index < len(args) else None


def keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def argument(call: cst.Call, index: int, name: str) -> Optional[cst.BaseExpression]:
    found = keyword(call, name)
    return found if found is not None else positional(call, index)


def string_value(node: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def terms(node: cst.BaseExpression, role_of: RoleOf, sign: int = 1) -> List[Tuple[int, cst.BaseExpression]]:
    """The signed terms of a sum: ``-(a - b) + c`` gives ``[(-1, a), (1, b), (1, c)]``."""
    return shapes.terms(_THIS, node, role_of, sign)


def one_minus(node: cst.BaseExpression, role_of: RoleOf) -> List[cst.BaseExpression]:
    """For ``1 - x (+ eps)`` the subtracted terms ``[x]``; empty when there is no leading 1."""
    return shapes.one_minus(_THIS, node, role_of)


def division(node: cst.BaseExpression, role_of: RoleOf) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression]]:
    return shapes.division(_THIS, node, role_of)


def factors(node: cst.BaseExpression, role_of: RoleOf) -> List[cst.BaseExpression]:
    return shapes.factors(_THIS, node, role_of)


def bce_derivative(node: cst.BaseExpression, role_of: RoleOf) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression]]:
    """``(A, Y)`` when ``node`` is the derivative of binary cross-entropy with respect to ``A`` (``shapes.py``)."""
    return shapes.bce_derivative(_THIS, code, node, role_of)


# ----- the syntax adapter: what ``losslint/values.py`` asks of a LibCST tree (``screen/syntax.py`` answers for ast)

dotted_name = imports.dotted_name


def argument_count(call: cst.Call) -> int:
    return len(call.args)


def first_values(call: cst.Call, count: int) -> List[cst.BaseExpression]:
    """The values of the first ``count`` arguments, whatever their keywords."""
    return [a.value for a in call.args[:count]]


def unkeyworded_values(call: cst.Call) -> List[cst.BaseExpression]:
    """The values of the arguments without a keyword, ``*args`` included."""
    return [a.value for a in call.args if a.keyword is None]


def is_call(node: object) -> bool:
    return isinstance(node, cst.Call)


def name(node: object) -> Optional[str]:
    return node.value if isinstance(node, cst.Name) else None


def attribute(node: object) -> Optional[Tuple[cst.BaseExpression, str]]:
    """``(x, "attr")`` for ``x.attr``."""
    return (node.value, node.attr.value) if isinstance(node, cst.Attribute) else None


def minus_operand(node: object) -> Optional[cst.BaseExpression]:
    """``x`` for ``-x``."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return node.expression
    return None


def elements(node: object) -> Optional[List[cst.BaseExpression]]:
    """The items of a list or tuple literal; None for anything else."""
    if isinstance(node, (cst.List, cst.Tuple)):
        return [e.value for e in node.elements]
    return None


_BINARY = {cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/"}


def binary_parts(node: object) -> Optional[Tuple[str, cst.BaseExpression, cst.BaseExpression]]:
    """``("+", a, b)`` for ``a + b``, and so for ``-``, ``*`` and ``/``."""
    if isinstance(node, cst.BinaryOperation):
        operator = _BINARY.get(type(node.operator))
        if operator is not None:
            return operator, node.left, node.right
    return None


def bool_keyword(call: cst.Call, name_: str) -> Optional[bool]:
    value = keyword(call, name_)
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return value.value == "True"
    return None


def integer(node: object) -> Optional[int]:
    """The value of an integer literal."""
    return int(node.evaluated_value) if isinstance(node, cst.Integer) else None


def call_arguments(call: cst.Call) -> List[Tuple[Optional[str], cst.BaseExpression, bool]]:
    """``(keyword, value, starred)`` for each argument, in order; ``starred`` for ``*x`` and ``**x``."""
    return [(a.keyword.value if a.keyword is not None else None, a.value, bool(a.star)) for a in call.args]


def is_tuple(node: object) -> bool:
    return isinstance(node, cst.Tuple)


def is_string_literal(node: object) -> bool:
    return isinstance(node, cst.SimpleString)


def is_none(node: object) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def collection_items(node: object) -> Optional[List[cst.BaseExpression]]:
    """The items of a tuple, list or set literal; None for anything else."""
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return [e.value for e in node.elements]
    return None


def target_elements(target: object) -> Optional[List[cst.BaseExpression]]:
    """The names of ``a, *b = ...``; None when the target is not a tuple or list."""
    return elements(target)


def starred_target(target: object) -> Optional[cst.BaseExpression]:
    return target.value if isinstance(target, cst.StarredElement) else None


def subscript_target(target: object) -> Optional[Tuple[cst.BaseExpression, List[cst.BaseExpression], int]]:
    """``(array, plain indices, number of indices and ranges)`` for ``array[...]``."""
    if not isinstance(target, cst.Subscript):
        return None
    indices = [element.slice.value for element in target.slice if isinstance(element.slice, cst.Index)]
    return target.value, indices, len(target.slice)
