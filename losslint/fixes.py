"""Applying fixes: edits to a file's text, checked by a re-parse, written atomically or shown as a diff."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

import libcst as cst


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start:end]`` (character offsets) with ``text``; ``span`` is the same range as
    1-based (line, column, end line, end column), for reports."""

    start: int
    end: int
    text: str
    span: Tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True)
class Fix:
    """What a finding's fix does: one or more edits, a title for people, and whether it is safe.

    A safe fix keeps the program's meaning wherever it worked before (the stable
    softmax returns the same values where the old one was finite). An unsafe one
    may change values or depend on code the analysis cannot see; it is applied
    only with ``--unsafe-fixes``.
    """

    edits: Tuple[Edit, ...]
    title: str
    safe: bool


class FixFailed(Exception):
    """The fixed text would not parse, or the file could not be written; the file is left as it was."""


def offsets(source: str) -> List[int]:
    """Character offset of the start of each 1-based line (index 0 unused)."""
    starts = [0, 0]
    for index, character in enumerate(source):
        if character == "\n" or (character == "\r" and source[index + 1 : index + 2] != "\n"):
            starts.append(index + 1)
    return starts


def apply_edits(source: str, fixes: Iterable[Fix]) -> Tuple[str, int]:
    """The source with every non-overlapping edit applied, and how many fixes went in.

    Fixes are taken in order; one whose edits overlap an earlier one's is left
    for the next run (ruff does the same), so a fix never lands half-applied.
    """
    chosen: List[Edit] = []
    applied = 0
    for fix in fixes:
        edits = sorted({(e.start, e.end, e.text): e for e in fix.edits}.values(), key=lambda e: e.start)
        if any(_overlaps(edit, other) for edit in edits for other in chosen):
            continue
        chosen.extend(edits)
        applied += 1
    result = source
    unique = {(e.start, e.end, e.text): e for e in chosen}.values()
    for edit in sorted(unique, key=lambda e: e.start, reverse=True):
        result = result[: edit.start] + edit.text + result[edit.end :]
    return result, applied


def _overlaps(a: Edit, b: Edit) -> bool:
    if (a.start, a.end, a.text) == (b.start, b.end, b.text):
        return False  # two findings sharing one edit (two divisions by one exp) agree on it
    return a.start < b.end and b.start < a.end


def check_parses(text: str) -> None:
    try:
        cst.parse_module(text)
    except Exception as error:  # any parser failure means the fix must not be written
        raise FixFailed(f"the fixed code does not parse: {error}") from error


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
        )
    )


def write_atomically(path: Path, text: str, encoding: str, original_bytes: Optional[bytes] = None) -> None:
    """Write through a temporary file in the same folder and a rename, keeping the file's permissions.

    ``original_bytes`` guards against a file changed on disk since it was read:
    then nothing is written.
    """
    if original_bytes is not None and path.read_bytes() != original_bytes:
        raise FixFailed("the file changed on disk while it was being fixed")
    data = text.encode(encoding)
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".losslint", dir=str(path.parent))
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def fix_text(source: str, fixes: Sequence[Fix]) -> Tuple[str, int]:
    """Apply the fixes and prove the result parses; raises ``FixFailed`` otherwise."""
    fixed, applied = apply_edits(source, fixes)
    if applied and fixed != source:
        check_parses(fixed)
    return fixed, applied
