"""One line per finding, for editors and grep."""

from __future__ import annotations

from typing import Sequence

from losslint.report.sources import Sources
from losslint.rule import Finding


def format_concise(findings: Sequence[Finding], sources: Sources, color: bool) -> str:
    """``path:line:col: CODE message``; in a notebook ``path:cell N:line:col: CODE message``."""
    return "".join(f"{f.location}: {f.code} {f.message}\n" for f in findings)
