"""Golden test: each fixture's findings are exactly the lines its comments mark."""

from __future__ import annotations

from pathlib import Path

import pytest

from losslint.engine import lint_file
from losslint.registry import select
from losslint.testing import actual_findings, expected_findings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(FIXTURES.glob("*.py"))


def test_fixtures_exist():
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fixture_findings_match_expectation_comments(path):
    source = path.read_text(encoding="utf-8")
    result = lint_file(path, str(path), select(["ALL"]))
    assert result.errors == []
    expected = expected_findings(source)
    actual = actual_findings(result)
    assert sorted(actual - expected) == [], "findings on lines not marked"
    assert sorted(expected - actual) == [], "marked lines without a finding"


def _files_marking(code):
    return {path.name for path in FILES if any(c == code for _, c in expected_findings(path.read_text(encoding="utf-8")))}


NUMPY_FILES = ("numpy", "cs231n", "sigmoid", "production")
FRAMEWORK_FILES = ("torch", "keras", "jax")


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
