"""Discovery, decoding, bad input, suppressions and ordering."""

from __future__ import annotations

import os
from pathlib import Path

import libcst
import pytest

from losslint import engine
from losslint.engine import decode, discover, lint_file, lint_paths, lint_source
from losslint.registry import select

UNSTABLE = "import numpy as np\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_discovery_recurses_and_skips_tool_and_hidden_directories(tmp_path):
    write(tmp_path / "pkg" / "model.py", UNSTABLE)
    write(tmp_path / "pkg" / "notes.txt", UNSTABLE)
    for skipped in (".git", ".hidden", "__pycache__", "build", "dist", "venv", "node_modules"):
        write(tmp_path / skipped / "x.py", UNSTABLE)
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "myenv" / "lib" / "x.py", UNSTABLE)
    files, missing = discover([str(tmp_path)])
    names = [os.path.relpath(f, tmp_path) for f, _ in files]
    assert names == [os.path.join("pkg", "model.py")]
    assert missing == []


def test_a_file_named_explicitly_is_always_linted(tmp_path):
    hidden = write(tmp_path / "build" / "gen.py", UNSTABLE)
    files, _ = discover([str(hidden)])
    assert [f for f, _ in files] == [hidden]
    report = lint_paths([str(hidden)], select())
    assert [f.code for f in report.findings] == ["LL004"]


def test_missing_paths_are_reported_and_the_rest_still_linted(tmp_path):
    good = write(tmp_path / "a.py", UNSTABLE)
    report = lint_paths([str(tmp_path / "nope.py"), str(good)], select())
    assert report.errors == [f"{tmp_path / 'nope.py'}: no such file or directory"]
    assert [f.code for f in report.findings] == ["LL004"]


def test_display_paths_stay_relative_when_given_relative(tmp_path, monkeypatch):
    write(tmp_path / "src" / "m.py", UNSTABLE)
    monkeypatch.chdir(tmp_path)
    report = lint_paths(["src"], select())
    assert [f.path for f in report.findings] == [os.path.join("src", "m.py")]


def test_decoding_follows_coding_cookie_and_bom():
    latin = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1")
    assert "café" in decode(latin)
    assert decode(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    with pytest.raises(engine.UndecodableSource):
        decode(b"x = '\xff\xfe'\n")


def test_latin1_file_with_cookie_is_linted_with_right_positions(tmp_path):
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + UNSTABLE
    path = write(tmp_path / "latin.py", source, encoding="latin-1")
    result = lint_file(path, "latin.py", select())
    assert [(f.code, f.line) for f in result.findings] == [("LL004", 6)]


def test_undecodable_file_is_ll901_and_the_run_goes_on(tmp_path):
    write(tmp_path / "a_bad.py", "x = 1\n").write_bytes(b"s = '\xff\xfe softmax'\n")
    write(tmp_path / "b_good.py", UNSTABLE)
    report = lint_paths([str(tmp_path)], select())
    codes = [(os.path.basename(f.path), f.code) for f in report.findings]
    assert codes == [("a_bad.py", "LL901"), ("b_good.py", "LL004")]
    assert "decode" in report.findings[0].message


def test_syntax_error_is_ll900_with_parser_position():
    result = lint_source("import numpy as np\ndef softmax(z)\n    return np.exp(z)\n", "bad.py", select())
    assert [(f.code, f.line) for f in result.findings] == [("LL900", 2)]
    assert result.findings[0].column >= 1
    assert "not valid Python" in result.findings[0].message


def test_file_without_trigger_tokens_is_never_parsed(monkeypatch):
    calls = []
    real = libcst.parse_module
    monkeypatch.setattr(engine.cst, "parse_module", lambda source: calls.append(source) or real(source))
    lint_source("def add(a, b):\n    return a + b\n", "plain.py", select())
    assert calls == []
    lint_source(UNSTABLE, "unstable.py", select())
    assert len(calls) == 1


def test_findings_are_sorted_by_path_line_column(tmp_path):
    write(tmp_path / "b.py", UNSTABLE + UNSTABLE.replace("softmax", "softmax2"))
    write(tmp_path / "a.py", UNSTABLE)
    report = lint_paths([str(tmp_path)], select())
    keys = [(os.path.basename(f.path), f.line) for f in report.findings]
    assert keys == [("a.py", 4), ("b.py", 4), ("b.py", 8)]


@pytest.mark.parametrize(
    "comment,silenced",
    [
        ("# losslint: ignore[LL004]", True),
        ("# losslint: ignore[LL001, LL004]", True),
        ("# losslint: ignore", True),
        ("# noqa: LL004", True),
        ("# noqa", True),
        ("# losslint: ignore[LL002]", False),
        ("# noqa: E501", False),
    ],
)
def test_inline_suppression(comment, silenced):
    source = UNSTABLE.rstrip("\n") + "  " + comment + "\n"
    result = lint_source(source, "s.py", select())
    assert (result.findings == []) is silenced


def test_a_crashing_rule_is_reported_and_does_not_stop_the_others(tmp_path, monkeypatch):
    from losslint.registry import all_rules

    rule = all_rules()["LL002"]

    def explode(self, node):
        raise RuntimeError("boom")

    monkeypatch.setattr(rule, "visit_BinaryOperation", explode)
    write(tmp_path / "a.py", UNSTABLE)
    write(tmp_path / "b.py", UNSTABLE)
    report = lint_paths([str(tmp_path)], select())
    assert [f.code for f in report.findings] == ["LL004", "LL004"]
    assert len(report.internal_errors) == 2
    assert all("LL002" in e and "RuntimeError: boom" in e for e in report.internal_errors)


def test_select_and_ignore_choose_the_rules():
    assert [r.code for r in select(["LL004"])] == ["LL004"]
    assert [r.code for r in select(["LL00"], ["LL003"])] == ["LL001", "LL002", "LL004", "LL005", "LL006", "LL007", "LL008", "LL009"]
    assert "LL008" not in [r.code for r in select()]  # off by default
    assert [r.code for r in select(["LL0"], ["LL00"])] == ["LL010", "LL011", "LL012"]
    with pytest.raises(ValueError, match="LL999"):
        select(["LL999"])


# ----- path patterns (exclude, per-file-ignores)


@pytest.mark.parametrize(
    "pattern,path,matched",
    [
        ("build", "build", True),
        ("build", "src/build", True),
        ("*_pb2.py", "pkg/model_pb2.py", True),
        ("data/*.py", "data/x.py", True),
        ("data/*.py", "data/sub/x.py", False),  # `*` stops at a folder
        ("data/*.py", "src/data/x.py", False),  # anchored at the base
        ("data/**/*.py", "data/sub/deep/x.py", True),
        ("**/test_*.py", "a/b/test_m.py", True),
        ("**/test_*.py", "test_m.py", True),
        ("notebooks/", "notebooks", True),
        ("exp[0-9].py", "exp7.py", True),
        ("exp[!0-9].py", "exp7.py", False),
    ],
)
def test_path_patterns(tmp_path, pattern, path, matched):
    from losslint.globs import PathPattern

    assert PathPattern(pattern, tmp_path).matches(tmp_path / path) is matched


def test_a_name_pattern_matches_folders_below_its_base_only(tmp_path):
    from losslint.globs import PathPattern

    base = tmp_path / "build" / "project"
    pattern = PathPattern("build", base)
    assert pattern.matches_path_or_parent(base / "build" / "x.py")
    assert not pattern.matches_path_or_parent(base / "src" / "x.py")  # the `build` above the base does not count


def test_discover_with_excludes_and_force_exclude(tmp_path):
    from losslint.globs import PathPatterns

    write(tmp_path / "keep" / "a.py", UNSTABLE)
    write(tmp_path / "skip" / "b.py", UNSTABLE)
    exclude = PathPatterns.of(["skip"], tmp_path)
    files, _ = discover([str(tmp_path)], exclude)
    assert [os.path.relpath(f, tmp_path) for f, _ in files] == [os.path.join("keep", "a.py")]
    explicit = str(tmp_path / "skip" / "b.py")
    assert len(discover([explicit], exclude)[0]) == 1
    assert discover([explicit], exclude, force_exclude=True) == ([], [])


@pytest.mark.parametrize(
    "text",
    [
        "y = np.exp(x)",
        "from math import exp",
        "exp",
        "expected = exp2(x) + my_exp(x) + exp_(x) + ézexp",
        "x = (exp)",
        "é exp",
        "nn.Softmax2d()",
        "F.softmax",
        "torch.Sigmoid",
        "scipy.special.expit",
        "nothing to see",
        "self.expand(x); expit_like = 1",
    ],
)
def test_the_fast_trigger_test_answers_as_the_trigger_pattern(text):
    assert engine._trigger_test()(text) == bool(engine._trigger().search(text))


def test_the_fast_trigger_test_answers_as_the_trigger_pattern_on_real_files():
    from tests.test_reduce import FIXTURES, _installed_sample

    for path in FIXTURES + _installed_sample(40):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert engine._trigger_test()(text) == bool(engine._trigger().search(text)), path


def test_a_file_reached_twice_through_links_is_linted_once(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "m.py").write_text("x = 1\n")
    (tmp_path / "alias.py").symlink_to(real / "m.py")
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    given = [str(tmp_path / "alias.py"), str(real), str(tmp_path / "linked" / "m.py"), str(real / "m.py")]
    files, missing = discover(given)
    assert missing == [] and [display for _, display in files] == [given[0]]
