"""``--format json``: a JSON array with one object per finding, in exactly the documented fields."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from losslint.report.sources import Sources
from losslint.rule import Finding

# The documented fields, in this order; tests hold the output to exactly these.
FIELDS = ("code", "name", "message", "filename", "line", "column", "end_line", "end_column", "cell", "related", "fix")
RELATED_FIELDS = ("filename", "line", "column", "message", "cell")


def finding_to_json(finding: Finding) -> Dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "filename": finding.path,  # as given on the command line: relative stays relative
        "line": finding.line,  # 1-based; within the cell in a notebook
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "cell": finding.cell,  # 1-based among all cells of a notebook; null for a .py file
        "related": [
            {"filename": finding.path, "line": note.line, "column": note.column, "message": note.message, "cell": note.cell}
            for note in finding.related
        ],
        "fix": fix_to_json(finding),
    }


def fix_to_json(finding: Finding) -> Optional[Dict[str, Any]]:
    """The replacement, or null: what `--fix` (or `--fix --unsafe-fixes`) would write, and where."""
    fix = finding.fix
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": "safe" if fix.safe else "unsafe",
        "edits": [
            {"content": e.text, "line": e.span[0], "column": e.span[1], "end_line": e.span[2], "end_column": e.span[3]}
            for e in fix.edits
        ],
    }


def format_json(findings: Sequence[Finding], sources: Sources, color: bool) -> str:
    records: List[Dict[str, Any]] = [finding_to_json(finding) for finding in findings]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
