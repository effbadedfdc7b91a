"""Inline suppression comments: ``# losslint: ignore[LL004]`` and flake8's ``# noqa: LL004``."""

from __future__ import annotations

import re
from typing import Optional, Sequence, Set

from losslint.rule import Finding

_DIRECTIVE = re.compile(
    r"#\s*(?:losslint:\s*ignore(?:\[(?P<bracketed>[^\]]*)\])?|noqa(?::\s*(?P<listed>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?)",
    re.IGNORECASE,
)


def codes_on(line: str) -> Optional[Set[str]]:
    """The codes a line suppresses: an empty set means all of them, None means none."""
    if "#" not in line:
        return None
    result: Optional[Set[str]] = None
    for match in _DIRECTIVE.finditer(line):
        listed = match.group("bracketed") or match.group("listed")
        if listed is None:
            return set()
        codes = {code.strip().upper() for code in re.split(r"[\s,]+", listed) if code.strip()}
        result = (result or set()) | codes
    return result


def suppressed(finding: Finding, lines: Sequence[str]) -> bool:
    """Whether a directive on any line the finding spans silences it."""
    last = min(finding.end_line, len(lines))
    for number in range(finding.line, max(finding.line, last) + 1):
        if number - 1 >= len(lines):
            break
        codes = codes_on(lines[number - 1])
        if codes is not None and (not codes or finding.code in codes):
            return True
    return False
