"""Jupyter notebooks as the engine sees them: code cells joined into one module, with a map back to cells.

Cells are joined in order because a notebook runs them in one namespace: a
``softmax`` defined in cell 2 is the one called in cell 5. Cells are numbered
from 1 among *all* cells, markdown included, which is what a reader counts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

from losslint.magics import mask_cell

_PYTHON_LANGUAGES = frozenset({"python", "python2", "python3", "ipython", "ipython2", "ipython3"})
_NEWLINE = re.compile(r"\r\n|\r|\n")


class MalformedNotebook(ValueError):
    """The file is not a notebook this tool can read; the message says why."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based among all cells
    kind: str  # "code", "markdown", "raw", ...
    source: str

    @property
    def lines(self) -> List[str]:
        return split_lines(self.source)


@dataclass(frozen=True)
class Notebook:
    cells: Tuple[Cell, ...]
    language: Optional[str]  # None when the notebook does not say

    @property
    def is_python(self) -> bool:
        return self.language is None or self.language.lower() in _PYTHON_LANGUAGES

    @property
    def code_cells(self) -> List[Cell]:
        return [cell for cell in self.cells if cell.kind == "code"]


@dataclass(frozen=True)
class JoinedCode:
    """The code cells as one module, IPython syntax masked, and where each of its lines came from."""

    source: str
    origins: Tuple[Tuple[int, int], ...]  # joined line i + 1 -> (cell number, line within the cell)

    def locate(self, line: int) -> Tuple[int, int]:
        """(cell, line within the cell) of a 1-based line of ``source``."""
        if not self.origins:
            return 1, line
        if line < 1:
            return self.origins[0]
        if line > len(self.origins):
            # Past the end (a parse error at end of input): the line after the last one.
            cell, last = self.origins[-1]
            return cell, last + (line - len(self.origins))
        return self.origins[line - 1]


def split_lines(text: str) -> List[str]:
    """Lines as Python's tokenizer counts them (only \\n, \\r\\n and \\r end a line)."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_notebook(text: str) -> Notebook:
    """Parse a notebook's JSON (nbformat 4, or 3 with worksheets); ``MalformedNotebook`` if it is not one."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedNotebook(f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if not isinstance(document, dict):
        raise MalformedNotebook("the top level is not a JSON object")
    if "cells" in document:
        raw_cells, source_key = document["cells"], "source"
    elif isinstance(document.get("worksheets"), list):
        raw_cells, source_key = _worksheet_cells(document["worksheets"]), "input"
    else:
        raise MalformedNotebook("no `cells` list")
    if not isinstance(raw_cells, list):
        raise MalformedNotebook("`cells` is not a list")
    cells = tuple(_cell(number, raw, source_key) for number, raw in enumerate(raw_cells, start=1))
    return Notebook(cells, _language(document.get("metadata")))


def _worksheet_cells(worksheets: List[Any]) -> List[Any]:
    cells: List[Any] = []
    for sheet in worksheets:
        if not isinstance(sheet, dict) or not isinstance(sheet.get("cells", []), list):
            raise MalformedNotebook("a worksheet is not an object with a `cells` list")
        cells.extend(sheet.get("cells", []))
    return cells


def _cell(number: int, raw: Any, source_key: str) -> Cell:
    if not isinstance(raw, dict) or not isinstance(raw.get("cell_type"), str):
        raise MalformedNotebook(f"cell {number} is not an object with a `cell_type`")
    kind = raw["cell_type"]
    source = raw.get(source_key if kind == "code" else "source", raw.get("source", ""))
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise MalformedNotebook(f"cell {number}: `{source_key}` is neither a string nor a list of strings")
    return Cell(number, kind, source)


def _language(metadata: Any) -> Optional[str]:
    if not isinstance(metadata, dict):
        return None
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        return info["name"]
    kernel = metadata.get("kernelspec")
    if isinstance(kernel, dict) and isinstance(kernel.get("language"), str):
        return kernel["language"]
    return None


def join_code_cells(cells: Sequence[Cell]) -> JoinedCode:
    lines: List[str] = []
    origins: List[Tuple[int, int]] = []
    for cell in cells:
        if cell.kind != "code":
            continue
        masked = mask_cell(cell.lines)
        lines.extend(masked)
        origins.extend((cell.number, number) for number in range(1, len(masked) + 1))
    source = "\n".join(lines) + "\n" if lines else ""
    return JoinedCode(source, tuple(origins))
