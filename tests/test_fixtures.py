"""Golden test: each fixture's findings are exactly the lines its comments mark.

In a notebook the expectation comments sit in the code cells' lines, and a
finding is compared as (cell, line within the cell, code).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from losslint.engine import lint_file
from losslint.notebook import read_notebook
from losslint.registry import select
from losslint.testing import actual_findings, expected_findings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(FIXTURES.glob("*.py"))
NOTEBOOKS = sorted(FIXTURES.glob("*.ipynb"))


def expected_notebook_findings(path: Path):
    """``{(cell, line, code)}`` from the expectation comments in a notebook's code cells."""
    expected = set()
    for cell in read_notebook(path.read_text(encoding="utf-8", errors="replace")).code_cells:
        expected.update((cell.number, line, code) for line, code in expected_findings(cell.source))
    return expected


def test_fixtures_exist():
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fixture_findings_match_expectation_comments(path):
    source = path.read_text(encoding="utf-8", errors="replace")
    result = lint_file(path, str(path), select(["ALL"]))
    assert result.errors == []
    expected = expected_findings(source)
    actual = actual_findings(result)
    assert sorted(actual - expected) == [], "findings on lines not marked"
    assert sorted(expected - actual) == [], "marked lines without a finding"


def _files_marking(code):
    return {path.name for path in FILES if any(c == code for _, c in expected_findings(path.read_text(encoding="utf-8", errors="replace")))}


NUMPY_FILES = ("numpy", "cs231n", "sigmoid", "production")
FRAMEWORK_FILES = ("torch", "keras", "jax")


def test_notebook_fixtures_exist():
    assert "course_assignment.ipynb" in [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_fixture_findings_match_expectation_comments(path):
    result = lint_file(path, str(path), select(["ALL"]))
    assert result.errors == []
    expected = expected_notebook_findings(path)
    actual = {(finding.cell, finding.line, finding.code) for finding in result.findings}
    assert expected, "a notebook fixture marks at least one finding"
    assert sorted(actual - expected) == [], "findings on cell lines not marked"
    assert sorted(expected - actual) == [], "marked cell lines without a finding"


def test_course_assignment_notebook_findings_sit_in_the_helper_and_the_later_training_cells():
    findings = lint_file(FIXTURES / "course_assignment.ipynb", "course_assignment.ipynb", select(["ALL"])).findings
    by_code = {finding.code: (finding.cell, finding.line, finding.column) for finding in findings}
    # The softmax helper is cell 5; the gradient check that uses it through forward_propagation is cell 16.
    assert by_code["LL004"] == (5, 14, 9)
    assert by_code["LL002"] == (16, 3, 12)
    assert by_code["LL001"] == (16, 4, 7)
    # The evidence crosses cells: the labels came from the dataset cell, 8 cells earlier.
    ll002 = next(f for f in findings if f.code == "LL002")
    assert "line 3 of cell 8" in ll002.message
    assert any(note.cell == 8 and note.line == 3 for note in ll002.related)


def test_fixtures_cover_every_seed_rule_in_numpy_and_a_framework():
    for code in ("LL001", "LL002", "LL003", "LL004"):
        files = _files_marking(code)
        assert any(name.startswith(NUMPY_FILES) for name in files), code
        assert any(name.startswith(FRAMEWORK_FILES) for name in files), code


def test_every_analysing_rule_fires_somewhere_in_the_fixtures():
    from losslint.registry import all_rules

    for code, rule in all_rules().items():
        if any(name.startswith("visit_") for name in dir(rule)):
            assert _files_marking(code), f"{code} has no fixture line"
