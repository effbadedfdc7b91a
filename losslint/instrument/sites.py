"""Where a module's probabilities meet labels or a loss: the places ``losslint run`` checks.

``find_sites(module, facts)`` reads the same value-kind facts the rules read and
returns one ``Site`` per meeting point, each with the operand nodes whose values
the run-time check needs.  Operands are chosen so that Python evaluates them
unconditionally and in the order they appear in the source, which is what lets
``probe.Probe`` collect a site's values as they stream past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from losslint.apis import Expects, Family
from losslint.records import FileFacts
from losslint.kinds import Kind
from losslint.patterns import bce_derivative, number, one_minus
from losslint.walk import children

from .siteinfo import (
    BCE_DERIVATIVE,
    BINARY_CROSS_ENTROPY,
    CATEGORICAL_CROSS_ENTROPY,
    GRADIENT,
    LOSS_CALL,
    SOFTMAX_OUTPUT,
    SiteInfo,
)

_EMPTY = cst.Module(body=[])

_CODES = {
    GRADIENT: "LL002",
    BCE_DERIVATIVE: "LL001",
    CATEGORICAL_CROSS_ENTROPY: "LL003",
    BINARY_CROSS_ENTROPY: "LL002",
    SOFTMAX_OUTPUT: "LL004",
}
# Scopes and short-circuits: an operand below one of these may run later, twice or never.
_CONDITIONAL = (
    cst.IfExp,
    cst.BooleanOperation,
    cst.Lambda,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
    cst.FunctionDef,
    cst.ClassDef,
)


@dataclass
class Site:
    info: SiteInfo
    root: cst.CSTNode
    operands: Tuple[cst.BaseExpression, ...]  # in evaluation order, matching info.roles


@dataclass
class _Candidate:
    check: str
    root: cst.CSTNode
    operands: Dict[str, Optional[cst.BaseExpression]]
    extra: Dict[str, str] = field(default_factory=dict)


def find_sites(module: cst.Module, facts: FileFacts, path: str) -> List[Site]:
    """Every site of ``module``, in source order."""
    candidates = list(_candidates(module, facts))
    if not candidates:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    order = _preorder(module)
    sites: List[Site] = []
    for candidate in candidates:
        chosen = [(role, node) for role, node in candidate.operands.items() if node is not None]
        if not chosen or not all(_evaluated_once(candidate.root, node, order) for _, node in chosen):
            continue
        chosen.sort(key=lambda pair: order[pair[1]][0])
        start = positions[candidate.root].start
        code_ = candidate.extra.pop("code", "") or _CODES[candidate.check]
        info = SiteInfo(
            check=candidate.check,
            code=code_,
            path=path,
            line=start.line,
            column=start.column + 1,
            text=_shorten(_source(candidate.root)),
            roles=tuple(role for role, _ in chosen),
            names=tuple(_shorten(_source(node), 30) for _, node in chosen),
            **candidate.extra,
        )
        sites.append(Site(info, candidate.root, tuple(node for _, node in chosen)))
    sites.sort(key=lambda site: (site.info.line, site.info.column))
    return sites


def _candidates(module: cst.Module, facts: FileFacts) -> Iterator[_Candidate]:
    # A BCE derivative's own sub-expressions are part of that site, not derivatives of their own.
    inside_derivative: Set[cst.CSTNode] = set()
    for node in _walk(module):
        if isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.Call)) and node not in inside_derivative:
            pair = bce_derivative(node, facts.role)
            if pair is not None:
                inside_derivative.update(_walk(node))
                probabilities, labels = pair
                yield _Candidate(BCE_DERIVATIVE, node, {"probabilities": probabilities, "labels": labels}, _origin(facts, probabilities))
                continue
        fact = facts.of(node)
        if fact is not None and fact.kind is Kind.LOGIT_GRADIENT:
            left, right = _subtraction_operands(node)
            if left is not None and right is not None and number(right) is None:
                yield _Candidate(GRADIENT, node, {"probabilities": left, "labels": right}, _origin(facts, left))
        elif fact is not None and fact.kind is Kind.SOFTMAX_PROBS and fact.origin is node and not fact.shifted:
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
                yield _Candidate(SOFTMAX_OUTPUT, node, {"value": node}, {"framework": fact.framework})
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
            yield from _cross_entropy_term(node, facts)
        if isinstance(node, cst.Call) and node in facts.loss_uses:
            use = facts.loss_uses[node]
            yield _Candidate(
                LOSS_CALL,
                node,
                {"prediction": _plain(use.prediction), "target": _plain(use.target)},
                {
                    "code": _loss_code(use.expects, use.spec.family),
                    "loss": use.spec.name,
                    "expects": use.expects.value,
                    "family": use.spec.family.value,
                    "labels": use.spec.labels,
                    **_origin(facts, use.prediction),
                },
            )


def _cross_entropy_term(node: cst.BinaryOperation, facts: FileFacts) -> Iterator[_Candidate]:
    """``Y * log(A)`` (either order, ``log(A).T`` too) that the analysis took for a cross-entropy term."""
    for log_side, label_side in ((node.right, node.left), (node.left, node.right)):
        inner = log_side
        while isinstance(inner, cst.Attribute) and inner.attr.value in ("T", "mT"):
            inner = inner.value
        if not isinstance(inner, cst.Call) or inner not in facts.cross_entropy_logs:
            continue
        probabilities = facts.cross_entropy_logs[inner]
        if one_minus(probabilities, facts.role) or one_minus(label_side, facts.role):
            return  # the `(1 - Y) * log(1 - A)` half: the `Y * log(A)` half checks the same pair
        check = CATEGORICAL_CROSS_ENTROPY if inner in facts.categorical_logs else BINARY_CROSS_ENTROPY
        yield _Candidate(check, node, {"probabilities": probabilities, "labels": label_side}, _origin(facts, probabilities))
        return


def _loss_code(expects: Expects, family: Family) -> str:
    if expects is Expects.LOG_PROBABILITIES:
        return "LL011"
    if expects is Expects.LOGITS:
        return "LL006" if family is Family.BINARY else "LL005"
    return "LL012"


def _origin(facts: FileFacts, node: Optional[cst.CSTNode]) -> Dict[str, str]:
    fact = facts.of(node)
    if fact is None or fact.kind not in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
        return {}
    activation = "softmax" if fact.kind is Kind.SOFTMAX_PROBS else "sigmoid"
    return {"activation": activation, "origin": fact.how, "framework": fact.framework}


def _subtraction_operands(node: cst.CSTNode) -> Tuple[Optional[cst.BaseExpression], Optional[cst.BaseExpression]]:
    if isinstance(node, cst.BinaryOperation):
        return node.left, node.right
    if isinstance(node, cst.Call) and len(node.args) >= 2 and not any(a.star or a.keyword for a in node.args[:2]):
        return node.args[0].value, node.args[1].value
    return None, None


def _plain(node: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """An argument's value as a node to wrap; ``None`` for what cannot be wrapped."""
    return node if isinstance(node, cst.BaseExpression) else None


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def _preorder(module: cst.Module) -> Dict[cst.CSTNode, Tuple[int, Tuple[cst.CSTNode, ...]]]:
    """Each node's place in source order and its ancestors, nearest last."""
    order: Dict[cst.CSTNode, Tuple[int, Tuple[cst.CSTNode, ...]]] = {}
    stack: List[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = [(module, ())]
    while stack:
        node, ancestors = stack.pop()
        order[node] = (len(order), ancestors)
        below = ancestors + (node,)
        stack.extend((child, below) for child in reversed(children(node)))
    return order


def _evaluated_once(root: cst.CSTNode, operand: cst.CSTNode, order) -> bool:
    """Whether evaluating ``root`` evaluates ``operand`` exactly once, in source order."""
    if operand is root:
        return True
    ancestors = order[operand][1]
    if root not in ancestors:
        return False
    between = ancestors[ancestors.index(root) + 1 :]
    return not any(isinstance(node, _CONDITIONAL) for node in between)


def _source(node: cst.CSTNode) -> str:
    return " ".join(_EMPTY.code_for_node(node).split())


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
