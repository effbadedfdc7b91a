"""[tool.losslint] in pyproject.toml: discovery, every key, errors, and the command line on top."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losslint.cli import app
from losslint.config import KEYS, ConfigError, discover_config, find_config, load_config
from losslint.registry import all_rules
from losslint.settings import Overrides, build_settings

runner = CliRunner()

# LL004 on line 4.
UNSTABLE = "import numpy as np\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)\n"
# LL002 on line 5 (and nothing else): class indices minus softmax probabilities.
INDICES_MINUS_PROBS = (
    "import numpy as np\nfrom scipy.special import softmax\n"
    "Y = np.array([[0, 1, 2, 0, 1]])\nA = softmax(np.random.randn(3, 5), axis=0)\ndZ = A - Y\n"
)
# Only a finding when the project says what mylib.nn.normalize_scores is: LL002 on line 6.
OWN_SOFTMAX = (
    "import numpy as np\nfrom mylib.nn import normalize_scores\n\n"
    "Y = np.array([[0, 1, 2, 0, 1]])\nA = normalize_scores(np.random.randn(3, 5))\ndZ = A - Y\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pyproject(root: Path, table: str) -> Path:
    return write(root / "pyproject.toml", "[project]\nname = 'demo'\n\n[tool.losslint]\n" + table)


def found(*args: str):
    """(exit code, [(file name, line, code)]) of `losslint check --format json ARGS`."""
    result = runner.invoke(app, ["check", "--format", "json", *args])
    if result.exit_code == 2:
        return 2, result.output
    records = json.loads(result.stdout)
    return result.exit_code, sorted((os.path.basename(r["filename"]), r["line"], r["code"]) for r in records)


# ----- discovery


def test_the_nearest_pyproject_with_a_losslint_table_wins(tmp_path):
    outer = pyproject(tmp_path, 'ignore = ["LL004"]\n')
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'inner'\n")  # no [tool.losslint]: passed over
    inner_dir = tmp_path / "pkg" / "src"
    write(inner_dir / "m.py", UNSTABLE)
    assert find_config(inner_dir) == outer
    assert discover_config([str(inner_dir / "m.py")]).ignore == ["LL004"]
    nearer = pyproject(tmp_path / "pkg", 'select = ["LL002"]\n')
    assert find_config(inner_dir) == nearer
    config = discover_config([str(inner_dir)])
    assert config.select == ["LL002"] and config.ignore == [] and config.root == tmp_path / "pkg"


def test_without_any_config_the_defaults_apply(tmp_path):
    write(tmp_path / "m.py", UNSTABLE)
    assert discover_config([str(tmp_path)]).path is None
    assert found(str(tmp_path)) == (1, [("m.py", 4, "LL004")])


# ----- each key


def test_select_replaces_the_default_set(tmp_path):
    write(tmp_path / "a.py", UNSTABLE)
    write(tmp_path / "b.py", INDICES_MINUS_PROBS)
    assert found(str(tmp_path)) == (1, [("a.py", 4, "LL004"), ("b.py", 5, "LL002")])
    pyproject(tmp_path, 'select = ["LL002"]\n')
    assert found(str(tmp_path)) == (1, [("b.py", 5, "LL002")])


def test_extend_select_adds_to_the_selection(tmp_path):
    write(tmp_path / "a.py", UNSTABLE)
    write(tmp_path / "b.py", INDICES_MINUS_PROBS)
    pyproject(tmp_path, 'select = ["LL004"]\nextend-select = ["LL002"]\n')
    assert found(str(tmp_path)) == (1, [("a.py", 4, "LL004"), ("b.py", 5, "LL002")])


def test_extend_select_turns_on_a_rule_that_is_off_by_default(tmp_path):
    off = [code for code, rule in all_rules().items() if not rule.default_enabled]
    if not off:
        pytest.skip("every rule is on by default")
    pyproject(tmp_path, f'extend-select = ["{off[0]}"]\n')
    codes = {rule.code for rule in build_settings(discover_config([str(tmp_path)])).rules}
    assert off[0] in codes
    assert {code for code, rule in all_rules().items() if rule.default_enabled} <= codes


def test_ignore_removes_codes(tmp_path):
    write(tmp_path / "a.py", UNSTABLE)
    write(tmp_path / "b.py", INDICES_MINUS_PROBS)
    pyproject(tmp_path, 'ignore = ["LL004"]\n')
    assert found(str(tmp_path)) == (1, [("b.py", 5, "LL002")])


def test_exclude_replaces_the_default_excludes(tmp_path):
    write(tmp_path / "legacy" / "old.py", UNSTABLE)
    write(tmp_path / "build" / "gen.py", UNSTABLE)
    write(tmp_path / "src" / "m.py", UNSTABLE)
    assert found(str(tmp_path))[1] == [("m.py", 4, "LL004"), ("old.py", 4, "LL004")]
    pyproject(tmp_path, 'exclude = ["legacy"]\n')
    # `build` was a default exclude; `exclude` replaces the defaults, as in ruff.
    assert found(str(tmp_path))[1] == [("gen.py", 4, "LL004"), ("m.py", 4, "LL004")]


def test_extend_exclude_adds_names_and_anchored_globs(tmp_path):
    write(tmp_path / "generated" / "g.py", UNSTABLE)
    write(tmp_path / "data" / "d.py", UNSTABLE)
    write(tmp_path / "src" / "data" / "kept.py", UNSTABLE)  # `data/*.py` is anchored at the config's folder
    write(tmp_path / "build" / "b.py", UNSTABLE)
    write(tmp_path / "src" / "m.py", UNSTABLE)
    pyproject(tmp_path, 'extend-exclude = ["generated", "data/*.py"]\n')
    assert found(str(tmp_path))[1] == [("kept.py", 4, "LL004"), ("m.py", 4, "LL004")]


def test_per_file_ignores_by_glob(tmp_path):
    write(tmp_path / "tests" / "test_m.py", UNSTABLE + "\n" + INDICES_MINUS_PROBS.replace("import numpy as np\n", "", 1))
    write(tmp_path / "scratch.py", UNSTABLE)
    write(tmp_path / "src" / "m.py", UNSTABLE)
    pyproject(tmp_path, '[tool.losslint.per-file-ignores]\n"tests/*.py" = ["LL004"]\n"scratch.py" = ["ALL"]\n')
    code, findings = found(str(tmp_path))
    assert ("m.py", 4, "LL004") in findings
    assert [f for f in findings if f[0] == "scratch.py"] == []
    assert [f[2] for f in findings if f[0] == "test_m.py"] == ["LL002"]


def test_apis_makes_a_users_own_softmax_count(tmp_path):
    write(tmp_path / "train.py", OWN_SOFTMAX)
    assert found(str(tmp_path)) == (0, [])
    pyproject(tmp_path, '[tool.losslint.apis]\nsoftmax = ["mylib.nn.normalize_scores"]\n')
    code, findings = found(str(tmp_path))
    assert (code, findings) == (1, [("train.py", 6, "LL002")])
    result = runner.invoke(app, ["check", "--format", "concise", str(tmp_path)])
    assert "`A` is a softmax output" in result.output


def test_apis_categorical_loss_takes_probabilities_then_labels(tmp_path):
    source = (
        "import numpy as np\nfrom mylib.losses import multiclass_xent\n\n"
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n"
        "A = sigmoid(np.random.randn(3, 5))\nY = np.eye(3)[[0, 1, 2, 0, 1]].T\ncost = multiclass_xent(A, Y)\n"
    )
    write(tmp_path / "train.py", source)
    assert found(str(tmp_path)) == (0, [])
    pyproject(tmp_path, '[tool.losslint.apis]\ncategorical_loss = ["mylib.losses.multiclass_xent"]\n')
    assert found(str(tmp_path)) == (1, [("train.py", 9, "LL003")])


def test_apis_knowledge_reaches_the_prefilter(tmp_path):
    # A file whose only softmax is the user's own (no `softmax`, `sigmoid` or `exp` in it) is still parsed.
    config = load_config(pyproject(tmp_path, '[tool.losslint.apis]\nsoftmax = ["mylib.nn.normalize_scores"]\n'))
    knowledge = build_settings(config).knowledge
    assert knowledge.function_role("mylib.nn.normalize_scores").value == "softmax"
    assert "exp(" not in OWN_SOFTMAX and "softmax" not in OWN_SOFTMAX


# ----- errors


def test_unknown_key_is_an_error_naming_it_and_the_valid_keys(tmp_path):
    write(tmp_path / "m.py", UNSTABLE)
    pyproject(tmp_path, 'selcet = ["LL004"]\n')
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown key 'selcet'" in result.output
    for key in KEYS:
        assert key in result.output


def test_unknown_code_is_an_error_naming_it_and_the_valid_codes(tmp_path):
    pyproject(tmp_path, 'ignore = ["LL042"]\n')
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "LL042" in result.output and "LL001" in result.output and "LL004" in result.output
    pyproject(tmp_path, '[tool.losslint.per-file-ignores]\n"tests/*" = ["XX1"]\n')
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "XX1" in result.output and "per-file-ignores" in result.output


def test_unknown_apis_role_and_bad_names_are_errors(tmp_path):
    pyproject(tmp_path, '[tool.losslint.apis]\nsoftmaxx = ["mylib.softmax"]\n')
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "softmaxx" in result.output and "categorical_loss" in result.output and "one_hot" in result.output
    pyproject(tmp_path, '[tool.losslint.apis]\nsoftmax = ["my softmax"]\n')
    assert runner.invoke(app, ["check", str(tmp_path)]).exit_code == 2


@pytest.mark.parametrize(
    "table,message",
    [
        ('select = "LL004"\n', "list of strings"),
        ("per-file-ignores = 3\n", "per-file-ignores"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_malformed_values_are_errors(tmp_path, table, message):
    pyproject(tmp_path, table)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


def test_an_explicit_config_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        discover_config([str(tmp_path)], str(tmp_path / "nope.toml"))


# ----- the command line on top


def test_cli_select_overrides_the_config_ignore(tmp_path):
    write(tmp_path / "a.py", UNSTABLE)
    pyproject(tmp_path, 'ignore = ["LL004"]\n')
    assert found(str(tmp_path)) == (0, [])
    assert found("--select", "LL004", str(tmp_path)) == (1, [("a.py", 4, "LL004")])
    assert found("--extend-select", "LL004", str(tmp_path)) == (1, [("a.py", 4, "LL004")])


def test_cli_ignore_and_select_override_the_config_select(tmp_path):
    write(tmp_path / "a.py", UNSTABLE)
    write(tmp_path / "b.py", INDICES_MINUS_PROBS)
    pyproject(tmp_path, 'select = ["LL002", "LL004"]\n')
    assert found("--ignore", "LL002", str(tmp_path)) == (1, [("a.py", 4, "LL004")])
    assert found("--select", "LL002", str(tmp_path)) == (1, [("b.py", 5, "LL002")])


def test_cli_exclude_overrides_the_config_exclude(tmp_path, monkeypatch):
    write(tmp_path / "legacy" / "old.py", UNSTABLE)
    write(tmp_path / "src" / "m.py", UNSTABLE)
    pyproject(tmp_path, 'exclude = ["legacy"]\n')
    monkeypatch.chdir(tmp_path)
    assert found(".")[1] == [("m.py", 4, "LL004")]
    assert found("--exclude", "src", ".")[1] == [("old.py", 4, "LL004")]
    assert found("--extend-exclude", "src", ".")[1] == []


def test_config_flag_reads_a_named_file_with_top_level_keys(tmp_path):
    write(tmp_path / "a.py", UNSTABLE)
    pyproject(tmp_path, 'ignore = ["LL004"]\n')
    other = write(tmp_path / "ci" / "losslint.toml", 'select = ["LL004"]\n')
    assert found(str(tmp_path)) == (0, [])
    assert found("--config", str(other), str(tmp_path)) == (1, [("a.py", 4, "LL004")])


def test_force_exclude_applies_excludes_to_files_named_explicitly(tmp_path):
    generated = write(tmp_path / "generated" / "model_pb.py", UNSTABLE)
    pyproject(tmp_path, 'extend-exclude = ["generated"]\n')
    assert found(str(generated)) == (1, [("model_pb.py", 4, "LL004")])  # named explicitly: linted
    assert found("--force-exclude", str(generated)) == (0, [])
    # A default exclude counts too, and a folder named above the config's root does not.
    build = write(tmp_path / "build" / "gen.py", UNSTABLE)
    assert found("--force-exclude", str(build)) == (0, [])


def test_overrides_without_a_file_use_the_current_folder_for_patterns(tmp_path):
    settings = build_settings(load_config(pyproject(tmp_path, "")), Overrides(extend_exclude=["skip_me"]), cwd=tmp_path)
    assert settings.exclude.matches(tmp_path / "anything" / "skip_me")
    assert not settings.exclude.matches(tmp_path / "keep_me")
