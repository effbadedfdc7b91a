"""Formatters: a report's findings as text for people or as lines for tools."""

from __future__ import annotations

from typing import Callable, Dict, Sequence

from losslint.report.concise import format_concise
from losslint.report.text import format_statistics, format_text
from losslint.rule import Finding

Formatter = Callable[[Sequence[Finding], Dict[str, Sequence[str]], bool], str]

FORMATS: Dict[str, Formatter] = {
    "text": format_text,
    "concise": format_concise,
}

__all__ = ["FORMATS", "format_statistics"]
