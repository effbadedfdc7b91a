"""``--format sarif``: SARIF 2.1.0, the format GitHub code scanning uploads.

Locations are relative to the repository root (``%SRCROOT%``), so the same
report means the same thing on every machine. ``partialFingerprints`` hash what
the finding is about (its code, its file, the text of its line and which
occurrence of that text it is), not where the line sits, so a finding keeps its
identity when unrelated lines above it are added or removed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Type
from urllib.parse import quote

from losslint import __version__
from losslint.globs import absolute
from losslint.registry import all_rules
from losslint.report.sources import Sources, lines_of
from losslint.rule import Finding, Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "losslint/v1"
LEVEL = "error"  # every finding is a wrong result, not a style question


def repository_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder or a worktree's file), else ``start``."""
    start = absolute(start)
    for folder in [start, *start.parents]:
        if (folder / ".git").exists():
            return folder
    return start


def format_sarif(findings: Sequence[Finding], sources: Sources, color: bool) -> str:
    return json.dumps(sarif_log(findings, sources, repository_root(Path.cwd())), indent=2, ensure_ascii=False) + "\n"


def sarif_log(findings: Sequence[Finding], sources: Sources, root: Path) -> Dict[str, Any]:
    known = all_rules()
    codes = sorted({finding.code for finding in findings})
    index = {code: position for position, code in enumerate(codes)}
    occurrences: Counter = Counter()
    results = []
    for finding in findings:
        uri, base = _artifact_uri(finding.path, root)
        text = _normalized_line(lines_of(sources, finding), finding.line)
        occurrence_key = (finding.code, uri, text)
        occurrences[occurrence_key] += 1
        results.append(_result(finding, index[finding.code], uri, base, _fingerprint(occurrence_key, occurrences[occurrence_key])))
    run: Dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "losslint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(known[code]) for code in codes],
            }
        },
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",  # LibCST counts columns in code points
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _rule_descriptor(rule: Type[Rule]) -> Dict[str, Any]:
    documentation = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": _section(documentation, "What it does") or rule.summary or rule.name},
        "help": {"text": rule.fix_title or rule.summary or rule.name, "markdown": documentation or rule.summary},
        "defaultConfiguration": {"level": LEVEL, "enabled": rule.default_enabled},
    }


def _section(documentation: str, title: str) -> str:
    """The text under ``## title`` in a rule's documentation, joined into one paragraph."""
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", documentation, re.S | re.M)
    return " ".join(match.group(1).split()) if match else ""


def _result(finding: Finding, rule_index: int, uri: str, base: Optional[str], fingerprint: str) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVEL,
        "message": {"text": finding.message},
        "locations": [_location(uri, base, finding.cell, finding.line, finding.column, finding.end_line, finding.end_column)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.related:
        result["relatedLocations"] = [
            dict(_location(uri, base, note.cell, note.line, note.column), id=number, message={"text": note.message})
            for number, note in enumerate(finding.related, start=1)
        ]
    return result


def _location(
    uri: str,
    base: Optional[str],
    cell: Optional[int],
    line: int,
    column: int,
    end_line: Optional[int] = None,
    end_column: Optional[int] = None,
) -> Dict[str, Any]:
    region: Dict[str, Any] = {"startLine": max(1, line), "startColumn": max(1, column)}
    if end_line is not None and end_column is not None and (end_line, end_column) > (line, column):
        region.update(endLine=end_line, endColumn=end_column)
    artifact: Dict[str, Any] = {"uri": uri}
    if base is not None:
        artifact["uriBaseId"] = base
    location: Dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact, "region": region}}
    if cell is not None:
        # In a notebook the region counts lines within this cell (1-based among all cells).
        location["properties"] = {"cell": cell}
    return location


def _artifact_uri(path: str, root: Path) -> Tuple[str, Optional[str]]:
    """A URI relative to the repository root when the file is inside it, else an absolute file URI."""
    full = absolute(path)
    try:
        relative = full.relative_to(root)
    except ValueError:
        return full.as_uri(), None
    return quote(relative.as_posix()), SOURCE_ROOT


def _normalized_line(lines: Sequence[str], line: int) -> str:
    return " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""


def _fingerprint(key: Tuple[str, str, str], occurrence: int) -> str:
    code, uri, text = key
    payload = "\0".join((code, uri, text, str(occurrence)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
