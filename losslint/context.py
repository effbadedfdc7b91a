"""Everything the rules of one file share: its tree, its facts, and where its nodes sit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from losslint.records import FileFacts
from losslint.fixes import Edit, Fix, offsets
from losslint.rule import Finding, Related

if TYPE_CHECKING:  # pragma: no cover
    from losslint.rule import Rule


# A notebook's map from a line of its joined code cells to (cell, line within the cell).
LineLocator = Callable[[int], Tuple[int, int]]


class CellLine(int):
    """A line of a notebook's joined code: compares as that line, reads as the line within its cell.

    Rules write ``f"line {self.line_of(node)}"`` into messages; in a notebook that
    should say ``line 3 of cell 5``, which is what a reader can find.
    """

    cell: int
    line_in_cell: int

    def __new__(cls, joined_line: int, cell: int, line_in_cell: int) -> "CellLine":
        value = super().__new__(cls, joined_line)
        value.cell = cell
        value.line_in_cell = line_in_cell
        return value

    def __str__(self) -> str:
        return f"{self.line_in_cell} of cell {self.cell}"

    def __format__(self, spec: str) -> str:
        # f"line {n}" reads as the cell's line; a numeric spec such as f"{n:d}" still formats the number.
        if spec and spec[-1] in "bcdoxXn":
            return super().__format__(spec)
        return format(str(self), spec)


class FileContext:
    def __init__(
        self, path: str, source: str, module: cst.Module, facts: FileFacts, locate: Optional[LineLocator] = None
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.facts = facts
        self.locate = locate  # set for notebooks
        self.findings: List[Finding] = []
        self._positions: Optional[Dict[cst.CSTNode, CodeRange]] = None
        self._starts: Optional[List[int]] = None

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

    def line_number(self, node: cst.CSTNode) -> int:
        """The node's line as messages should print it (``3 of cell 5`` in a notebook)."""
        line = self.position(node)[0]
        if self.locate is None:
            return line
        cell, within = self.locate(line)
        return CellLine(line, cell, within)

    def source_of(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()

    def make_fix(self, replacements: Sequence[Tuple[cst.CSTNode, str]], title: str, safe: bool) -> Optional[Fix]:
        """Character-offset edits for the nodes; None in a notebook, whose joined cells are not the file."""
        if self.locate is not None:
            return None
        starts = self._line_starts()
        edits = []
        for node, text in replacements:
            if node is None:
                edits.append(text)  # an Edit made by `insert_before`
                continue
            where = self._range(node)
            start = starts[where.start.line] + where.start.column
            end = starts[where.end.line] + where.end.column
            span = (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)
            edits.append(Edit(start, end, text, span))
        return Fix(tuple(edits), title, safe)

    def insert_before(self, statement: cst.CSTNode, line_text: str) -> Edit:
        """An edit that puts a new line, indented like ``statement``, right above it."""
        where = self._range(statement)
        offset = self._line_starts()[where.start.line]
        text = " " * where.start.column + line_text + "\n"
        return Edit(offset, offset, text, (where.start.line, 1, where.start.line, 1))

    def _line_starts(self) -> List[int]:
        if self._starts is None:
            self._starts = offsets(self.source)
        return self._starts

    def add_finding(
        self,
        rule: "Rule",
        node: cst.CSTNode,
        message: str,
        related: Sequence[Tuple[cst.CSTNode, str]] = (),
        fix: Optional[Fix] = None,
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
                fix=fix,
            )
        )
