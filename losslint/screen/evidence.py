"""What a rule's ``screen`` reads: the ``ast`` facts of a file and its nodes by type, each computed once."""

from __future__ import annotations

import ast
from functools import cached_property
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple, Type

from losslint import apis
from losslint.apis import Role
from losslint.kinds import Fact, Kind
from losslint.records import FileFacts
from losslint.screen.facts import analyze
from losslint.screen.syntax import SourceText, argument_count, first_values


class Evidence:
    def __init__(
        self,
        tree: ast.Module,
        source: str,
        knowledge: apis.Knowledge = apis.BUILT_IN,
        index: Optional[Dict[type, List[ast.AST]]] = None,
    ) -> None:
        self.tree = tree
        self.source = source
        self.knowledge = knowledge
        self.text = SourceText(source)
        self.index = index
        if index is not None:
            self._by_type = index  # every node that can hold code, by type, from the reduction's scan

    @cached_property
    def facts(self) -> FileFacts:
        return analyze(self.tree, self.source, self.knowledge, self.index)

    @cached_property
    def kinds(self) -> FrozenSet[Kind]:
        """Every kind some expression of the file holds."""
        return frozenset(fact.kind for fact in self.facts.values.values())

    @cached_property
    def _by_type(self) -> Dict[Type[ast.AST], List[ast.AST]]:
        # `ast.walk` pays a generator per node; a stack over `_fields` is about twice as fast.
        found: Dict[Type[ast.AST], List[ast.AST]] = {}
        stack: List[ast.AST] = [self.tree]
        push, pop = stack.append, stack.pop
        while stack:
            node = pop()
            kind = type(node)
            nodes = found.get(kind)
            if nodes is None:
                nodes = found[kind] = []
            nodes.append(node)
            for name in kind._fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    stack.extend(item for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    push(value)
        return found

    def nodes(self, *types: Type[ast.AST]) -> Iterator[ast.AST]:
        for node_type in types:
            yield from self._by_type.get(node_type, ())

    def calls_with_role(self, role: Role) -> Iterator[ast.Call]:
        for call in self.nodes(ast.Call):
            if self.facts.role(call) is role:
                yield call

    def quotients(self) -> Iterator[Tuple[Optional[Fact], Optional[Fact]]]:
        """The facts of numerator and denominator of every ``a / b``, ``divide(a, b)`` and ``a /= b``."""
        of = self.facts.of
        for node in self.nodes(ast.BinOp):
            if isinstance(node.op, ast.Div):
                yield of(node.left), of(node.right)
        for node in self.nodes(ast.AugAssign):
            if isinstance(node.op, ast.Div):
                yield of(node.target), of(node.value)
        for call in self.calls_with_role(Role.DIVIDE):
            if argument_count(call) >= 2:
                top, bottom = first_values(call, 2)
                yield of(top), of(bottom)

    def differences(self) -> Iterator[Tuple[ast.AST, ast.AST]]:
        """The operands of every ``a - b`` and ``subtract(a, b)``."""
        for node in self.nodes(ast.BinOp):
            if isinstance(node.op, ast.Sub):
                yield node.left, node.right
        for call in self.calls_with_role(Role.SUBTRACT):
            if argument_count(call) >= 2:
                left, right = first_values(call, 2)
                yield left, right


def normalised_exponentials(evidence: Evidence) -> Iterator[Tuple[Fact, Fact]]:
    """``(exp fact, sum fact)`` of every hand-written softmax ``e / e.sum()``."""
    if Kind.EXP not in evidence.kinds or Kind.EXP_SUM not in evidence.kinds:
        return
    for top, bottom in evidence.quotients():
        if top is None or bottom is None or top.kind is not Kind.EXP or bottom.kind is not Kind.EXP_SUM:
            continue
        if bottom.derived_from is top.origin or bottom.base == top.base:
            yield top, bottom
