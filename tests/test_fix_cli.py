"""--fix, --diff and --unsafe-fixes through the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from losslint.cli import app

runner = CliRunner()
SOURCE = (
    "import torch\n"
    "import torch.nn.functional as F\n"
    "def logp(logits):\n"
    "    return torch.log(F.softmax(logits, dim=1))\n"
    "def loss(logits, y):\n"
    "    probs = torch.sigmoid(logits)\n"
    "    return F.binary_cross_entropy_with_logits(probs, y)\n"
)


def test_diff_prints_and_changes_nothing(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    result = runner.invoke(app, ["check", "--diff", str(path)])
    assert result.exit_code == 1
    assert "+    return F.log_softmax(logits, dim=1)" in result.output
    assert "binary_cross_entropy_with_logits(logits" not in result.output  # unsafe: not without the flag
    assert path.read_text() == SOURCE


def test_fix_applies_safe_fixes_and_reports_what_remains(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    result = runner.invoke(app, ["check", "--fix", "--format", "concise", str(path)])
    assert result.exit_code == 1
    assert "F.log_softmax(logits, dim=1)" in path.read_text()
    assert "LL007" not in result.output and "LL006" in result.output
    result = runner.invoke(app, ["check", "--fix", "--unsafe-fixes", "--format", "concise", str(path)])
    assert result.exit_code == 0
    assert "binary_cross_entropy_with_logits(logits, y)" in path.read_text()


def test_clean_diff_exits_zero(tmp_path):
    path = tmp_path / "ok.py"
    path.write_text("import torch.nn.functional as F\ndef logp(x):\n    return F.log_softmax(x, dim=1)\n")
    assert runner.invoke(app, ["check", "--diff", str(path)]).exit_code == 0


def test_json_carries_the_fix(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    records = json.loads(runner.invoke(app, ["check", "--format", "json", str(path)]).output)
    by_code = {r["code"]: r for r in records}
    assert by_code["LL007"]["fix"]["applicability"] == "safe"
    assert by_code["LL007"]["fix"]["edits"][0]["content"] == "F.log_softmax(logits, dim=1)"
    assert by_code["LL007"]["fix"]["edits"][0]["line"] == 4
    assert by_code["LL006"]["fix"]["applicability"] == "unsafe"


def test_rules_and_explain_say_which_fixes_exist():
    listing = runner.invoke(app, ["rules"]).output
    assert [line.split()[3] for line in listing.splitlines() if line.startswith(("LL004", "LL005", "LL001"))] == [
        "-",
        "safe",
        "mixed",
    ]
    assert "## Fix\nsafe:" in runner.invoke(app, ["explain", "LL007"]).output
