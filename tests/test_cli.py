"""The command line, through typer's CliRunner and as a real process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from losslint import __version__
from losslint.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UNSTABLE = "import numpy as np\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)\n"
STABLE = "import numpy as np\ndef softmax(z):\n    e = np.exp(z - z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)\n"


def project(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_clean_code_exits_zero(tmp_path):
    project(tmp_path, ok=STABLE)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert "All checks passed" in result.output


def test_findings_exit_one_and_text_shows_source_caret_and_help(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(UNSTABLE)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert f"{path}:4:12: LL004 softmax without max-subtraction" in out
    assert "4 |     return e / e.sum(axis=0, keepdims=True)" in out
    assert re.search(r"\|\s+\^{10,}", out)
    assert "help: Subtract the max" in out
    assert "Found 1 finding in 1 file." in out
    assert "\033[" not in out  # no colour when not a terminal


def test_concise_prints_exactly_one_line_per_finding(tmp_path):
    result = runner.invoke(app, ["check", "--format", "concise", str(FIXTURES)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) >= 15
    assert all(re.match(r"^\S+(\.py|\.ipynb:cell \d+):\d+:\d+: LL\d{3} \S", line) for line in lines), lines
    assert any(".ipynb:cell " in line for line in lines)


def test_exit_zero_and_statistics(tmp_path):
    project(tmp_path, a=UNSTABLE)
    (tmp_path / "a.py").write_text(UNSTABLE)
    (tmp_path / "b.py").write_text(UNSTABLE)
    result = runner.invoke(app, ["check", "--exit-zero", "--statistics", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output.split() == ["2", "LL004", "softmax-without-max-subtraction"]


def test_select_and_ignore(tmp_path):
    (tmp_path / "a.py").write_text(UNSTABLE)
    assert runner.invoke(app, ["check", "--ignore", "LL004", str(tmp_path)]).exit_code == 0
    assert runner.invoke(app, ["check", "--select", "LL001,LL002", str(tmp_path)]).exit_code == 0
    assert runner.invoke(app, ["check", "--select", "LL", str(tmp_path)]).exit_code == 1


def test_unknown_code_is_a_usage_error_naming_it(tmp_path):
    result = runner.invoke(app, ["check", "--select", "LL042", str(tmp_path)])
    assert result.exit_code == 2
    assert "LL042" in result.output and "LL001" in result.output


def test_unknown_format_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["check", "--format", "xml", str(tmp_path)])
    assert result.exit_code == 2
    assert "xml" in result.output


def test_missing_path_exits_two_with_message(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.output


def test_rules_lists_every_rule():
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    for code, name in (("LL001", "bce-gradient-on-softmax"), ("LL004", "softmax-without-max-subtraction")):
        assert re.search(rf"^{code}\s+{name}\s+on\s+\S", result.output, re.M)


def test_explain_prints_documentation():
    result = runner.invoke(app, ["explain", "LL002"])
    assert result.exit_code == 0
    assert "## Why is this bad?" in result.output and "Y_one_hot" in result.output
    assert runner.invoke(app, ["explain", "class-indices-minus-probabilities"]).exit_code == 0
    assert runner.invoke(app, ["explain", "LL777"]).exit_code == 2


def test_version():
    assert runner.invoke(app, ["--version"]).output.strip() == f"losslint {__version__}"
    assert runner.invoke(app, ["version"]).output.strip() == f"losslint {__version__}"


def test_python_dash_m_runs_the_same_cli(tmp_path):
    (tmp_path / "a.py").write_text(UNSTABLE)
    done = subprocess.run(
        [sys.executable, "-m", "losslint", "check", "--format", "concise", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stdout.count("LL004") == 1


def test_progress_bar_draws_on_a_terminal_for_many_files_and_erases_itself():
    import io

    from losslint.progress import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = ProgressBar.for_stream(screen, quiet=False)
    for done in range(1, 31):
        bar(done, 30, f"f{done}.py")
    assert "\r[" in screen.getvalue() and "30/30 files" in screen.getvalue()
    bar.finish()
    assert screen.getvalue().endswith("\r")
    # Off with --quiet, off when not a terminal, and off for a handful of files.
    for stream, quiet, total in ((Terminal(), True, 30), (io.StringIO(), False, 30), (Terminal(), False, 3)):
        quiet_bar = ProgressBar.for_stream(stream, quiet=quiet)
        for done in range(1, total + 1):
            quiet_bar(done, total, "f.py")
        quiet_bar.finish()
        assert stream.getvalue() == ""


def test_cli_reports_progress_per_file_to_the_bar(tmp_path, monkeypatch):
    from losslint import progress

    calls = []
    monkeypatch.setattr(progress.ProgressBar, "__call__", lambda self, done, total, current: calls.append((done, total)))
    for index in range(3):
        (tmp_path / f"m{index}.py").write_text(STABLE)
    assert runner.invoke(app, ["check", str(tmp_path)]).exit_code == 0
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_quiet_prints_findings_and_nothing_else(tmp_path):
    (tmp_path / "ok.py").write_text(STABLE)
    assert runner.invoke(app, ["check", "--quiet", str(tmp_path)]).output == ""
    (tmp_path / "bad.py").write_text(UNSTABLE)
    result = runner.invoke(app, ["check", "-q", str(tmp_path)])
    assert result.exit_code == 1 and "LL004" in result.output
