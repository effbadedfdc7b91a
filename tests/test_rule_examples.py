"""Every rule's own VALID and INVALID examples, and the catalogue's invariants."""

from __future__ import annotations

import re

import pytest

from losslint.registry import all_rules
from losslint.testing import actual_findings, expected_findings, lint_example

RULES = all_rules()
WALKING_RULES = [rule for rule in RULES.values() if rule.VALID or rule.INVALID]
ALL = list(RULES.values())


def rules_for(rule):
    """An example runs with the default rules plus its own, as a user who turned that rule on would."""
    return [r for r in ALL if r.default_enabled or r is rule]


def _cases(attribute):
    return [
        pytest.param(rule, index, id=f"{rule.code}-{attribute.lower()}-{index}")
        for rule in WALKING_RULES
        for index in range(len(getattr(rule, attribute)))
    ]


@pytest.mark.parametrize("rule,index", _cases("VALID"))
def test_valid_example_produces_no_finding(rule, index):
    result = lint_example(rule.VALID[index], rules_for(rule))
    assert result.errors == []
    assert actual_findings(result) == set(), [f.message for f in result.findings]


@pytest.mark.parametrize("rule,index", _cases("INVALID"))
def test_invalid_example_fires_exactly_where_marked(rule, index):
    source = rule.INVALID[index]
    expected = expected_findings(source)
    assert expected and any(code == rule.code for _, code in expected), "an INVALID example marks its own rule"
    result = lint_example(source, rules_for(rule))
    assert result.errors == []
    assert actual_findings(result) == expected


def test_every_analysing_rule_has_both_kinds_of_example():
    for rule in RULES.values():
        if any(name.startswith("visit_") for name in dir(rule)):
            assert rule.VALID and rule.INVALID, rule.code


def test_codes_are_unique_and_well_formed():
    codes = [rule.code for rule in RULES.values()]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"LL\d{3}", code) for code in codes)
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)


@pytest.mark.parametrize("rule", ALL, ids=lambda r: r.code)
def test_documentation_has_every_section(rule):
    doc = rule.documentation()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References"):
        assert heading in doc, f"{rule.code} lacks {heading}"
    assert rule.summary and rule.fix_title


@pytest.mark.parametrize("rule", ALL, ids=lambda r: r.code)
def test_rule_file_is_named_after_code_and_name(rule):
    module = rule.__module__.rsplit(".", 1)[1]
    assert module == f"{rule.code.lower()}_{rule.name.replace('-', '_')}"
