"""IPython syntax in notebook cells, masked so that LibCST can parse the rest without moving it.

Each masked line is replaced by a line of plain Python (``pass``, or ``x = None``
for ``x = %magic``/``x = !cmd``) at the same indentation, so every other line
keeps its number and its columns. Only lines that start a logical line are
considered: a ``%`` inside brackets, a string or after a backslash is Python's
own modulo or text.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

# Cell magics whose body is Python run in the notebook's own namespace; the body of
# any other cell magic (%%bash, %%html, %%writefile, %%python3...) is not linted.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})

_ASSIGNED_ESCAPE = re.compile(r"^(?P<indent>\s*)(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]")
_HELP_SUFFIX = re.compile(r"^[\w.*\[\]()]+\?{1,2}$")


def is_cell_magic(lines: Sequence[str]) -> bool:
    return bool(lines) and lines[0].lstrip().startswith("%%")


def mask_cell(lines: Sequence[str]) -> List[str]:
    """``lines`` of one code cell with IPython-only syntax replaced; same number of lines."""
    if is_cell_magic(lines):
        name = lines[0].lstrip()[2:].split(maxsplit=1)
        if not name or name[0] not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)
        return [""] + _mask_lines(lines[1:])
    return _mask_lines(lines)


def _mask_lines(lines: Sequence[str]) -> List[str]:
    masked: List[str] = []
    scanner = _Scanner()
    continuing_escape = False
    for line in lines:
        if continuing_escape:
            # The continuation lines of a magic (`%time x = \`) belong to it.
            masked.append("")
            continuing_escape = line.endswith("\\")
            continue
        replacement = _escape_replacement(line) if scanner.at_logical_line_start else None
        if replacement is not None:
            masked.append(replacement)
            continuing_escape = line.endswith("\\")
            continue
        masked.append(line)
        scanner.feed(line)
    return masked


def _escape_replacement(line: str) -> Optional[str]:
    """Plain Python standing in for ``line`` if it is IPython syntax, else None."""
    stripped = line.strip()
    if not stripped:
        return None
    indent = line[: len(line) - len(line.lstrip())]
    assigned = _ASSIGNED_ESCAPE.match(line)
    if assigned:
        return f"{indent}{assigned.group('target')} = None"
    if stripped[0] in "%!?":
        return f"{indent}pass"
    if _HELP_SUFFIX.match(stripped):
        return f"{indent}pass"
    return None


class _Scanner:
    """Just enough of Python's tokenizer to know whether the next line starts a statement."""

    def __init__(self) -> None:
        self.depth = 0  # open brackets
        self.string: Optional[str] = None  # the open string's quote, when a string spans lines
        self.continued = False  # the previous line ended with a backslash

    @property
    def at_logical_line_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        in_comment = False
        while i < n:
            char = line[i]
            if self.string is not None:
                if char == "\\":
                    i += 2
                elif line.startswith(self.string, i):
                    i += len(self.string)
                    self.string = None
                else:
                    i += 1
                continue
            if char == "#":
                in_comment = True
                break
            if char in "'\"":
                quote = char * 3 if line.startswith(char * 3, i) else char
                self.string = quote
                i += len(quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        ends_with_backslash = not in_comment and line.endswith("\\")
        if self.string is not None and len(self.string) == 1 and not ends_with_backslash:
            self.string = None  # an unterminated one-line string is a syntax error, not a multi-line string
        self.continued = ends_with_backslash and self.string is None
