"""Findings for people: the message, the source line with a caret, and what to do."""

from __future__ import annotations

from collections import Counter
from typing import List, Sequence

from losslint.report.sources import Sources, lines_of
from losslint.rule import Finding, Related

_BOLD, _RED, _CYAN, _DIM, _RESET = "\033[1m", "\033[31m", "\033[36m", "\033[2m", "\033[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _note_place(note: Related) -> str:
    return f"cell {note.cell}, line {note.line}" if note.cell is not None else f"line {note.line}"


def format_text(findings: Sequence[Finding], sources: Sources, color: bool) -> str:
    blocks: List[str] = []
    for finding in findings:
        where = _paint(f"{finding.location}:", _BOLD, color)
        code = _paint(finding.code, _BOLD + _RED, color)
        lines = [f"{where} {code} {finding.message}"]
        source = lines_of(sources, finding)
        if 0 < finding.line <= len(source):
            text = source[finding.line - 1].rstrip("\n").expandtabs(1)
            gutter = " " * len(str(finding.line))
            end = finding.end_column if finding.end_line == finding.line else len(text) + 1
            width = max(1, end - finding.column)
            lines.append(_paint(f"{gutter} |", _CYAN, color))
            lines.append(_paint(f"{finding.line} |", _CYAN, color) + f" {text}")
            caret = " " * (finding.column - 1) + "^" * width
            lines.append(_paint(f"{gutter} |", _CYAN, color) + " " + _paint(caret, _RED, color))
        for note in finding.related:
            lines.append(_paint(f"  = note: {_note_place(note)}: {note.message}", _DIM, color))
        if finding.fix_title:
            lines.append(_paint(f"  = help: {finding.fix_title}", _CYAN, color))
        blocks.append("\n".join(lines))
    body = "\n\n".join(blocks)
    if findings:
        files = len({f.path for f in findings})
        noun = "finding" if len(findings) == 1 else "findings"
        summary = f"Found {len(findings)} {noun} in {files} file{'s' if files != 1 else ''}."
        return f"{body}\n\n{summary}\n"
    return "All checks passed!\n"


def format_statistics(findings: Sequence[Finding]) -> str:
    counts = Counter((f.code, f.name) for f in findings)
    rows = [f"{count:>5}  {code}  {name}" for (code, name), count in sorted(counts.items())]
    return "\n".join(rows) + ("\n" if rows else "")
