"""Formatters: a report's findings as text for people or as lines for tools."""

from __future__ import annotations

from typing import Callable, Dict, Sequence

from losslint.report.concise import format_concise
from losslint.report.github import format_github
from losslint.report.json_format import format_json
from losslint.report.sarif import format_sarif
from losslint.report.sources import Sources, read_sources
from losslint.report.text import format_statistics, format_text
from losslint.rule import Finding

# (findings, the source lines of the files they are in, whether to colour) -> the text to print.
Formatter = Callable[[Sequence[Finding], Sources, bool], str]

FORMATS: Dict[str, Formatter] = {
    "text": format_text,
    "concise": format_concise,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
}

# The formats that quote or hash source lines; the others never read the files again.
NEEDS_SOURCES = frozenset({"text", "sarif"})

__all__ = ["FORMATS", "NEEDS_SOURCES", "format_statistics", "read_sources"]
