"""Helpers for testing rules against sources that mark their expected findings.

A line that must produce a finding ends with a comment naming the code:
``dZ = A - Y  # LL002``. Every other line must produce none.
"""

from __future__ import annotations

import re
import textwrap
from typing import Optional, Sequence, Set, Tuple, Type

from losslint.engine import FileResult, lint_source
from losslint.rule import Rule

_CODE = re.compile(r"\bLL\d{3}\b")


def expected_findings(source: str) -> Set[Tuple[int, str]]:
    """``{(line, code)}`` from the expectation comments of ``source``."""
    expected = set()
    for number, line in enumerate(source.splitlines(), start=1):
        if "#" in line:
            comment = line[line.index("#") :]
            expected.update((number, code) for code in _CODE.findall(comment))
    return expected


def actual_findings(result: FileResult) -> Set[Tuple[int, str]]:
    return {(finding.line, finding.code) for finding in result.findings}


def lint_example(source: str, rules: Optional[Sequence[Type[Rule]]] = None) -> FileResult:
    return lint_source(textwrap.dedent(source), "<example>", rules)
