"""The screen decides on Python's ``ast`` whether LibCST is needed; it never changes what is found."""

from __future__ import annotations

import ast
import collections
import textwrap

import libcst
import pytest

from losslint import engine
from losslint.engine import decode, lint_source
from losslint.facts import analyze
from losslint.imports import ImportTable
from losslint.patterns import code
from losslint.reduce import reduce_tree
from losslint.registry import all_rules, select
from losslint.rule import Rule
from losslint.screen import facts as screen_facts
from losslint.screen import may_find
from losslint.screen.evidence import Evidence
from losslint.screen.syntax import SourceText

from tests.test_reduce import FIXTURES, _installed_sample

_COLLECTIONS = ("loss_uses", "compiles", "categorical_logs", "user_loss_calls", "fits", "cross_entropy_logs", "derivatives_twice")

ATTENTION = textwrap.dedent(
    """
    import math
    import torch
    from torch import nn
    import torch.nn.functional as F

    class Attention(nn.Module):
        def __init__(self, width, heads):
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(width, 3 * width)
            self.out = nn.Linear(width, width)

        def forward(self, x, mask=None):
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                scores = scores.masked_fill(mask == 0, float("-inf"))
            weights = F.softmax(scores, dim=-1)
            return self.out(weights @ v)

    class Classifier(nn.Module):
        def __init__(self, width, classes):
            super().__init__()
            self.attention = Attention(width, 4)
            self.head = nn.Linear(width, classes)
            self.loss = nn.CrossEntropyLoss()

        def forward(self, x, labels=None):
            logits = self.head(self.attention(x).mean(dim=1))
            loss = self.loss(logits, labels) if labels is not None else None
            return loss, logits
    """
)


def _known(facts, text):
    kinds = collections.Counter(
        (fact.kind, text(node), fact.how, fact.base, fact.axis, fact.shifted, fact.guarded, fact.framework)
        for node, fact in facts.values.items()
    )
    sizes = {name: len(getattr(facts, name)) for name in _COLLECTIONS}
    return kinds, sizes


def _example_sources():
    return [
        pytest.param(textwrap.dedent(source), id=f"{rule.code}-{index}")
        for rule in all_rules().values()
        for index, source in enumerate(tuple(rule.VALID) + tuple(rule.INVALID))
    ]


def _file_sources():
    return [pytest.param(decode(path.read_bytes()), id=path.name) for path in FIXTURES + _installed_sample(25)]


@pytest.mark.parametrize("source", _example_sources() + _file_sources())
def test_the_ast_analysis_knows_what_the_libcst_analysis_knows(source):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        pytest.skip("not valid Python: a fixture for LL900")
    module = libcst.parse_module(source)
    expected = _known(analyze(module, ImportTable.from_module(module)), code)
    assert _known(screen_facts.analyze(tree, source), SourceText(source).code) == expected
    _, index = reduce_tree(source, engine._trigger(), tree)  # the index lets the analysis skip bodies
    assert _known(screen_facts.analyze(tree, source, index=index), SourceText(source).code) == expected


@pytest.mark.parametrize("path", FIXTURES + _installed_sample(25), ids=lambda p: p.name)
def test_screening_never_changes_the_findings(path):
    source = decode(path.read_bytes())

    def findings(screen):
        result = lint_source(source, "x.py", select(["ALL"]), screen=screen)
        return [(f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.fix) for f in result.findings]

    assert findings(screen=True) == findings(screen=False)


@pytest.fixture
def parses(monkeypatch):
    calls = []
    real = libcst.parse_module
    monkeypatch.setattr(engine.cst, "parse_module", lambda source: calls.append(1) or real(source))
    return calls


def test_softmax_code_without_evidence_never_reaches_libcst(parses):
    assert lint_source(ATTENTION, "attention.py", select(["ALL"])).findings == []
    assert parses == []


def test_the_same_code_with_a_mistake_is_parsed_and_found(parses):
    buggy = ATTENTION.replace("self.loss(logits, labels)", "self.loss(F.softmax(logits, dim=-1), labels)")
    result = lint_source(buggy, "attention.py", select(["ALL"]))
    assert [f.code for f in result.findings] == ["LL005"]
    assert parses == [1]


def test_every_rule_with_examples_has_a_screen_that_passes_its_invalid_examples():
    for rule in all_rules().values():
        if not rule.INVALID:
            continue
        assert rule.screen is not Rule.screen, f"{rule.code} has no screen: every file would go through LibCST"
        for source in rule.INVALID:
            source = textwrap.dedent(source)
            assert rule.screen(Evidence(ast.parse(source), source)), (rule.code, source)


def test_a_rule_without_a_screen_always_gets_the_full_analysis():
    class Unscreened(Rule):
        code = "LL999"

        def visit_Call(self, node) -> None:
            pass

    assert may_find(ast.parse(ATTENTION), ATTENTION, [Unscreened])
    walking = [rule for rule in select(["ALL"]) if rule.code not in ("LL900", "LL901")]  # the engine reports those
    assert not may_find(ast.parse(ATTENTION), ATTENTION, walking)


def test_a_crash_in_a_screen_is_reported_and_the_file_still_linted(monkeypatch):
    source = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(z, dim=1), y)\n"
    rule = all_rules()["LL005"]

    def broken(cls, evidence):
        raise ValueError("boom")

    monkeypatch.setattr(rule, "screen", classmethod(broken))
    result = lint_source(source, "m.py", [rule])
    assert [f.code for f in result.findings] == ["LL005"]
    assert len(result.errors) == 1 and "the screen crashed: ValueError: boom" in result.errors[0]


def test_source_text_reads_byte_columns_of_non_ascii_lines():
    source = "é = 1; probe = ( a  -  b )\n"
    tree = ast.parse(source)
    difference = next(n for n in ast.walk(tree) if isinstance(n, ast.BinOp))
    assert SourceText(source).code(difference) == "a-b"
