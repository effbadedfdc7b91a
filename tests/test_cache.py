"""The result cache: warm runs skip the parse, and nothing stale is ever served."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from losslint import apis, engine
from losslint.cache import ResultCache
from losslint.cli import app
from losslint.engine import lint_paths
from losslint.registry import select

UNSTABLE = "import numpy as np\ndef f(z):\n    e = np.exp(z)\n    return e / e.sum()\n"


@pytest.fixture
def parses(monkeypatch):
    """One entry per file actually linted (read, screened and, where needed, parsed by LibCST)."""
    calls = []
    real = engine.lint_source
    monkeypatch.setattr(engine, "lint_source", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    return calls


def test_warm_run_serves_the_same_findings_without_parsing(tmp_path, parses):
    (tmp_path / "m.py").write_text(UNSTABLE)
    cache = ResultCache(tmp_path / "cache")
    cold = lint_paths([str(tmp_path / "m.py")], select(), cache=cache)
    warm = lint_paths([str(tmp_path / "m.py")], select(), cache=cache)
    assert warm.findings == cold.findings and [f.code for f in warm.findings] == ["LL004"]
    assert len(parses) == 1
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_changed_file_rule_set_or_api_table_is_linted_again(tmp_path, parses):
    path = tmp_path / "m.py"
    path.write_text(UNSTABLE)
    cache = ResultCache(tmp_path / "cache")
    lint_paths([str(path)], select(), cache=cache)
    path.write_text(UNSTABLE.replace("e.sum()", "e.sum(axis=0)"))
    assert [f.code for f in lint_paths([str(path)], select(), cache=cache).findings] == ["LL004"]
    assert len(parses) == 2
    assert lint_paths([str(path)], select(["LL001"]), cache=cache).findings == []
    extended = apis.BUILT_IN.extended(roles={"mylib.softmax": apis.Role.SOFTMAX})
    lint_paths([str(path)], select(), cache=ResultCache(tmp_path / "cache", extended))
    assert len(parses) == 4


def test_a_corrupt_entry_is_ignored(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(UNSTABLE)
    cache = ResultCache(tmp_path / "cache")
    lint_paths([str(path)], select(), cache=cache)
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file() and entry.name != ".gitignore":
            entry.write_bytes(b"not a pickle")
    assert [f.code for f in lint_paths([str(path)], select(), cache=cache).findings] == ["LL004"]


def test_cli_no_cache_writes_nothing_and_clean_removes_the_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(UNSTABLE)
    runner = CliRunner()
    assert runner.invoke(app, ["check", "--no-cache", "m.py"]).exit_code == 1
    assert not (tmp_path / ".losslint_cache").exists()
    assert runner.invoke(app, ["check", "m.py"]).exit_code == 1
    assert (tmp_path / ".losslint_cache" / ".gitignore").exists()
    result = runner.invoke(app, ["clean"])
    assert result.exit_code == 0 and "Removed" in result.output
    assert not (tmp_path / ".losslint_cache").exists()


def test_clean_refuses_a_folder_losslint_did_not_make(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".losslint_cache").mkdir()
    (tmp_path / ".losslint_cache" / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["clean"])
    assert result.exit_code == 2
    assert (tmp_path / ".losslint_cache" / "precious.txt").exists()


def test_cache_dir_from_the_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.losslint]\ncache-dir = "build/lint-cache"\n')
    (tmp_path / "m.py").write_text(UNSTABLE)
    assert CliRunner().invoke(app, ["check", "m.py"]).exit_code == 1
    assert (tmp_path / "build" / "lint-cache" / ".gitignore").exists()
    assert not (tmp_path / ".losslint_cache").exists()


def test_two_runs_at_once_share_the_cache_safely(tmp_path):
    for index in range(30):
        (tmp_path / f"m{index}.py").write_text(UNSTABLE)
    command = [sys.executable, "-m", "losslint", "check", "--format", "concise", "--jobs", "1", "."]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    assert outputs[0] == outputs[1] and outputs[0].count("LL004") == 30
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert again.stdout == outputs[0]


def test_a_warm_parallel_run_answers_from_the_cache_without_starting_workers(tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    for index in range(40):
        (source / f"m{index:02d}.py").write_text("x = 1\n" if index % 2 else UNSTABLE)
    cache = ResultCache(tmp_path / "cache")
    cold = lint_paths([str(source)], select(), jobs=2, cache=cache)

    def no_workers(*args, **kwargs):
        raise AssertionError("an unchanged tree needs no worker processes")

    monkeypatch.setattr(engine, "_lint_in_processes", no_workers)
    (source / "m00.py").write_text("\n" + UNSTABLE)  # the finding moves down a line
    seen = []
    warm = lint_paths([str(source)], select(), jobs=2, cache=cache, progress=lambda done, total, path: seen.append((done, total)))
    assert [r.path for r in warm.results] == [r.path for r in cold.results]
    assert len(warm.findings) == len(cold.findings) == 20
    assert [f.line for f in warm.findings if f.path.endswith("m00.py")] == [5]
    assert seen == [(number, 40) for number in range(1, 41)]  # the one changed file is counted too
