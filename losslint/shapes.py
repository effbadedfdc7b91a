"""The arithmetic shapes the analysis and the rules look for, on either tree.

Terms of a sum, ``1 - x``, divisions, products and the binary cross-entropy
derivative, written once: ``syntax`` is the module that reads the tree's nodes
(``patterns.py`` for LibCST, ``screen/syntax.py`` for ``ast``) and ``code``
gives an expression's text for comparing two of them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, List, Optional, Tuple

from losslint.apis import Role

Node = Any
RoleOf = Callable[[Node], Optional[Role]]


def terms(syntax: ModuleType, node: Node, role_of: RoleOf, sign: int = 1) -> List[Tuple[int, Node]]:
    """The signed terms of a sum: ``-(a - b) + c`` gives ``[(-1, a), (1, b), (1, c)]``."""
    negated = syntax.minus_operand(node)
    if negated is not None:
        return terms(syntax, negated, role_of, -sign)
    parts = syntax.binary_parts(node)
    if parts is not None and parts[0] in ("+", "-"):
        operator, left, right = parts
        right_sign = sign if operator == "+" else -sign
        return terms(syntax, left, role_of, sign) + terms(syntax, right, role_of, right_sign)
    if syntax.is_call(node) and syntax.argument_count(node) == 2:
        role = role_of(node)
        if role in (Role.ADD, Role.SUBTRACT):
            left, right = syntax.first_values(node, 2)
            right_sign = sign if role is Role.ADD else -sign
            return terms(syntax, left, role_of, sign) + terms(syntax, right, role_of, right_sign)
    return [(sign, node)]


def one_minus(syntax: ModuleType, node: Node, role_of: RoleOf) -> List[Node]:
    """For ``1 - x (+ eps)`` the subtracted terms ``[x]``; empty when there is no leading 1."""
    parts = terms(syntax, node, role_of)
    if not any(sign > 0 and syntax.is_one(term) for sign, term in parts):
        return []
    return [term for sign, term in parts if sign < 0]


def division(syntax: ModuleType, node: Node, role_of: RoleOf) -> Optional[Tuple[Node, Node]]:
    parts = syntax.binary_parts(node)
    if parts is not None and parts[0] == "/":
        return parts[1], parts[2]
    if syntax.is_call(node) and syntax.argument_count(node) >= 2 and role_of(node) is Role.DIVIDE:
        left, right = syntax.first_values(node, 2)
        return left, right
    return None


def factors(syntax: ModuleType, node: Node, role_of: RoleOf) -> List[Node]:
    parts = syntax.binary_parts(node)
    if parts is not None and parts[0] == "*":
        return factors(syntax, parts[1], role_of) + factors(syntax, parts[2], role_of)
    if syntax.is_call(node) and syntax.argument_count(node) == 2 and role_of(node) is Role.MULTIPLY:
        left, right = syntax.first_values(node, 2)
        return factors(syntax, left, role_of) + factors(syntax, right, role_of)
    return [node]


def bce_derivative(
    syntax: ModuleType, code: Callable[[Node], str], node: Node, role_of: RoleOf
) -> Optional[Tuple[Node, Node]]:
    """``(A, Y)`` when ``node`` is the derivative of binary cross-entropy with respect to ``A``.

    Recognised: ``-(Y/A - (1-Y)/(1-A))`` and every regrouping of its two terms
    (``np.divide`` and ``torch.div`` included, an epsilon in a denominator
    allowed), and the combined ``(A - Y) / (A * (1 - A))``.
    """
    combined = _combined_bce_derivative(syntax, code, node, role_of)
    if combined is not None:
        return combined
    quotients = []
    for sign, term in terms(syntax, node, role_of):
        parts = division(syntax, term, role_of)
        if parts is None:
            continue
        numerator, denominator = parts
        # `-y / p` parses as `(-y) / p`: the minus belongs to the term.
        negated = syntax.minus_operand(numerator)
        while negated is not None:
            sign, numerator = -sign, negated
            negated = syntax.minus_operand(numerator)
        quotients.append((sign, (numerator, denominator)))
    for sign, (numerator, denominator) in quotients:
        for other_sign, (other_numerator, other_denominator) in quotients:
            if other_sign != -sign:
                continue
            probs = _matching_complement(syntax, code, denominator, other_denominator, role_of)
            labels = _matching_complement(syntax, code, numerator, other_numerator, role_of)
            if probs is not None and labels is not None:
                return probs, labels
    return None


def _matching_complement(syntax: ModuleType, code, plain: Node, complement: Node, role_of: RoleOf) -> Optional[Node]:
    """The term x of ``plain`` such that ``complement`` is ``1 - x``."""
    subtracted = {code(t) for t in one_minus(syntax, complement, role_of)}
    for sign, term in terms(syntax, plain, role_of):
        if sign > 0 and code(term) in subtracted:
            return term
    return None


def _combined_bce_derivative(syntax: ModuleType, code, node: Node, role_of: RoleOf) -> Optional[Tuple[Node, Node]]:
    parts = division(syntax, node, role_of)
    if parts is None:
        return None
    numerator, denominator = parts
    numerator_terms = terms(syntax, numerator, role_of)
    if len(numerator_terms) != 2:
        return None
    (sign_a, probs), (sign_y, labels) = numerator_terms
    if sign_a < 0:
        (sign_a, probs), (sign_y, labels) = (sign_y, labels), (sign_a, probs)
    if sign_a < 0 or sign_y > 0:
        return None
    found_probs = found_complement = False
    wanted = code(probs)
    for factor in factors(syntax, denominator, role_of):
        if code(factor) == wanted:
            found_probs = True
        elif any(code(t) == wanted for t in one_minus(syntax, factor, role_of)):
            found_complement = True
    return (probs, labels) if found_probs and found_complement else None
