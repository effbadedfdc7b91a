"""The source lines formatters quote: a file's lines, or a notebook cell's, keyed by (path, cell)."""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

from losslint.engine import NOTEBOOK_SUFFIX, UndecodableSource, decode
from losslint.notebook import read_notebook, split_lines
from losslint.rule import Finding

SourceKey = Tuple[str, Optional[int]]  # (path, cell); cell is None for a .py file
Sources = Mapping[Union[SourceKey, str], Sequence[str]]


def lines_of(sources: Sources, finding: Finding) -> Sequence[str]:
    """The lines ``finding.line`` counts in: its cell's in a notebook, else its file's."""
    found = sources.get((finding.path, finding.cell))
    if found is None and finding.cell is None:
        found = sources.get(finding.path)  # the older form: keyed by path alone
    return found or ()


def read_sources(findings: Sequence[Finding]) -> Dict[SourceKey, Sequence[str]]:
    """The lines of every file (or notebook cell) that has a finding; unreadable ones are empty."""
    sources: Dict[SourceKey, Sequence[str]] = {}
    done = set()
    for finding in findings:
        if finding.path in done:
            continue
        done.add(finding.path)
        try:
            with open(finding.path, "rb") as handle:
                data = handle.read()
            if finding.path.endswith(NOTEBOOK_SUFFIX):
                for cell in read_notebook(data.decode("utf-8-sig")).cells:
                    sources[(finding.path, cell.number)] = cell.lines
            else:
                sources[(finding.path, None)] = split_lines(decode(data))
        except (OSError, ValueError, UndecodableSource):  # unreadable, undecodable or malformed: already a finding of its own
            sources[(finding.path, None)] = []
    return sources
