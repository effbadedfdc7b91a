"""Everything the rules of one file share: its tree, its facts, and where its nodes sit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from losslint.facts import FileFacts
from losslint.rule import Finding, Related

if TYPE_CHECKING:  # pragma: no cover
    from losslint.rule import Rule


class FileContext:
    def __init__(self, path: str, source: str, module: cst.Module, facts: FileFacts) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.facts = facts
        self.findings: List[Finding] = []
        self._positions: Optional[Dict[cst.CSTNode, CodeRange]] = None

    def _range(self, node: cst.CSTNode) -> CodeRange:
        # Positions cost a code-generation pass, so only files that report anything pay for them.
        if self._positions is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions[node]

    def position(self, node: cst.CSTNode) -> Tuple[int, int]:
        """1-based line and column of the node's first character."""
        start = self._range(node).start
        return start.line, start.column + 1

    def source_of(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()

    def add_finding(
        self, rule: "Rule", node: cst.CSTNode, message: str, related: Sequence[Tuple[cst.CSTNode, str]] = ()
    ) -> None:
        where = self._range(node)
        notes = []
        for other, note in related:
            line, column = self.position(other)
            notes.append(Related(line, column, note))
        self.findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=message,
                path=self.path,
                line=where.start.line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                fix_title=rule.fix_title,
                related=tuple(notes),
            )
        )
