"""One line per finding, ``path:line:col: CODE message``, for editors and grep."""

from __future__ import annotations

from typing import Dict, Sequence

from losslint.rule import Finding


def format_concise(findings: Sequence[Finding], sources: Dict[str, Sequence[str]], color: bool) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n" for f in findings)
