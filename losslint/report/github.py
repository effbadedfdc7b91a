"""``--format github``: GitHub Actions workflow commands, which GitHub shows as annotations on the diff."""

from __future__ import annotations

from typing import List, Sequence

from losslint.report.sources import Sources
from losslint.rule import Finding


def escape_data(text: str) -> str:
    """The message part of a workflow command: ``%``, CR and LF are percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A ``key=value`` property: as the message, and also ``:`` and ``,``, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(finding: Finding) -> str:
    properties = [("file", finding.path)]
    message = finding.message
    if finding.cell is None:
        properties += [
            ("line", str(finding.line)),
            ("col", str(finding.column)),
            ("endLine", str(finding.end_line)),
            ("endColumn", str(finding.end_column)),
        ]
    else:
        # GitHub counts lines in the notebook's JSON, not in its cells: annotate the file and say where.
        message = f"cell {finding.cell}, line {finding.line}, column {finding.column}: {message}"
    properties.append(("title", finding.code))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::error {rendered}::{escape_data(message)}"


def format_github(findings: Sequence[Finding], sources: Sources, color: bool) -> str:
    lines: List[str] = [workflow_command(finding) for finding in findings]
    return "".join(line + "\n" for line in lines)
