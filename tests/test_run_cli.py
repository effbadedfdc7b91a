"""`losslint run` end to end: real programs in subprocesses, the pytest option, and `runtime.instrument()`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from losslint.engine import lint_paths
from losslint.registry import select

RUN_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "run"


def losslint_run(*args, cwd, env=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("LOSSLINT_RUNTIME", "PYTHONDONTWRITEBYTECODE")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "losslint", "run", *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=300
    )


def python(*args, cwd):
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=300)


def line_of(path: Path, text: str) -> int:
    [number] = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return number


def copy_fixture(name, tmp_path) -> Path:
    # Outside the repository, so the project root is the fixture's own folder.
    target = tmp_path / name
    shutil.copytree(RUN_FIXTURES / name, target)
    return target


def test_losslint_check_cannot_see_the_run_fixtures_mistakes():
    report = lint_paths([str(RUN_FIXTURES)], select(["ALL"]))
    assert [f"{f.path}:{f.line} {f.code}" for f in report.findings] == []


def test_class_indices_from_another_module_fail_at_the_gradient_line_with_ll002(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    result = losslint_run("train.py", cwd=folder)
    assert result.returncode == 1
    line = line_of(folder / "train.py", "dZ2 = A2 - Y")
    assert f"LossCheckError: train.py:{line}: LL002 " in result.stderr
    assert "Y looks like class indices of shape (1, 300) while A2 is (3, 300)" in result.stderr
    assert "dZ = A2 - Y_one_hot" in result.stderr
    # The traceback ends at the user's line, not inside losslint.
    assert f'File "{folder / "train.py"}", line {line}' in result.stderr
    assert "losslint/instrument" not in result.stderr
    assert result.stdout == ""  # it stopped before the first progress line


def test_the_corrected_twin_runs_to_completion_with_python_s_exact_output(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    plain = python("train_fixed.py", cwd=folder)
    checked = losslint_run("train_fixed.py", cwd=folder)
    assert (checked.returncode, plain.returncode) == (0, 0)
    assert checked.stdout == plain.stdout and "accuracy 0.99" in plain.stdout
    assert checked.stderr == ""


def test_losslint_runtime_0_makes_every_check_a_pass_through(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    checked = losslint_run("train.py", cwd=folder, env={"LOSSLINT_RUNTIME": "0"})
    assert checked.returncode == 0
    assert checked.stdout == python("train.py", cwd=folder).stdout


def test_the_seed_bce_gradient_on_a_softmax_from_another_module_is_ll001(tmp_path):
    folder = copy_fixture("bce_gradient_on_softmax", tmp_path)
    result = losslint_run("train.py", cwd=folder)
    line = line_of(folder / "train.py", "dAL = -(np.divide(Y, AL)")
    assert result.returncode == 1
    assert f"LossCheckError: train.py:{line}: LL001 " in result.stderr
    assert "every slice along axis 0 sums to 1: a softmax over 3 classes" in result.stderr


def test_a_pytorch_double_softmax_across_modules_is_ll005(tmp_path):
    pytest.importorskip("torch")
    folder = copy_fixture("torch_double_softmax", tmp_path)
    result = losslint_run("train.py", cwd=folder)
    line = line_of(folder / "train.py", "F.cross_entropy(net(x), y)")
    assert result.returncode == 1
    assert f"LossCheckError: train.py:{line}: LL005 " in result.stderr
    assert "net(x) has shape (64, 4)" in result.stderr


def test_warn_collects_every_failing_site_once_and_lets_the_program_finish(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    result = losslint_run("--warn", "train.py", cwd=folder)
    assert result.returncode == 0
    assert result.stdout == python("train.py", cwd=folder).stdout
    line = line_of(folder / "train.py", "dZ2 = A2 - Y")
    assert "losslint run: 1 site failed (1 site reached, 301 checks)" in result.stderr
    assert f"train.py:{line}: LL002 " in result.stderr and "[failed 301 of 301 times]" in result.stderr


def test_json_summary_to_a_file(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    summary = tmp_path / "summary.json"
    result = losslint_run("--warn", "--format", "json", "--output", str(summary), "train.py", cwd=folder)
    assert result.returncode == 0 and result.stderr == ""
    document = json.loads(summary.read_text())
    [failure] = document["failures"]
    assert (failure["path"], failure["code"], failure["count"]) == ("train.py", "LL002", 301)
    assert failure["line"] == line_of(folder / "train.py", "dZ2 = A2 - Y")
    assert document["program"]["exit_code"] == 0
    assert {entry["path"] for entry in document["instrumented"]} == {"train.py", "blobs.py"}


def test_list_sites_prints_the_sites_and_runs_nothing(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    result = losslint_run("--list-sites", "train_fixed.py", cwd=folder)
    assert result.returncode == 0
    assert "step 0" not in result.stdout
    lines = result.stdout.splitlines()
    gradient = line_of(folder / "train_fixed.py", "dZ2 = A2 - Y")
    assert f"train_fixed.py:{gradient}:11: LL002 gradient `A2 - Y` (probabilities A2, labels Y)" in lines
    assert lines[-1] == "3 sites in 2 files (3 files read)"


def test_list_sites_for_a_module_lists_the_project_around_the_current_folder(tmp_path):
    folder = copy_fixture("bce_gradient_on_softmax", tmp_path)
    result = losslint_run("-m", "--list-sites", cwd=folder)
    line = line_of(folder / "train.py", "dAL = -(np.divide(Y, AL)")
    assert result.returncode == 0 and result.stdout.splitlines() == [
        f"train.py:{line}:11: LL001 BCE derivative `-(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))` (labels Y, probabilities AL)",
        "1 site in 1 file (2 files read)",
    ]


def test_argv_name_exit_code_and_errors_are_python_s(tmp_path):
    (tmp_path / "prog.py").write_text(
        "import sys\nprint(__name__, sys.argv)\nif '--boom' in sys.argv:\n    raise ValueError('boom')\nsys.exit(3)\n"
    )
    result = losslint_run("prog.py", "-x", "--warn", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "__main__ ['prog.py', '-x', '--warn']\n")
    boom = losslint_run("prog.py", "--boom", cwd=tmp_path)
    assert boom.returncode == 1 and boom.stderr.rstrip().endswith("ValueError: boom")
    assert 'File "' + str(tmp_path / "prog.py") + '", line 4, in <module>' in boom.stderr


def test_run_a_module_with_dash_m(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    result = losslint_run("-m", "train", cwd=folder)
    assert result.returncode == 1
    assert f"train.py:{line_of(folder / 'train.py', 'dZ2 = A2 - Y')}: LL002 " in result.stderr
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "__init__.py").write_text("")
    (tmp_path / "tool" / "__main__.py").write_text("import sys\nprint(__name__, sys.argv[1:])\n")
    result = losslint_run("-m", "tool", "--flag", "--warn", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "__main__ ['--flag', '--warn']\n")


def test_a_missing_script_is_a_clear_error(tmp_path):
    result = losslint_run("nowhere.py", cwd=tmp_path)
    assert result.returncode == 2 and "can't open file 'nowhere.py'" in result.stderr


def test_instrumented_modules_leave_no_bytecode_behind(tmp_path):
    folder = copy_fixture("indices_from_loader", tmp_path)
    losslint_run("train_fixed.py", cwd=folder)
    assert not (folder / "__pycache__").exists()
    python("train_fixed.py", cwd=folder)
    assert (folder / "__pycache__").exists()  # a plain run caches the plain module; ours must not read it
    result = losslint_run("train.py", cwd=folder)
    assert "LL002" in result.stderr


def test_a_module_the_transform_cannot_handle_is_imported_unchanged_with_a_warning(tmp_path, monkeypatch):
    from losslint.instrument import hook, transform
    from losslint.instrument.probe import Probe

    def refuse(*args, **kwargs):
        raise ValueError("cannot handle this one\nsecond line")

    monkeypatch.setattr(transform, "instrument_source", refuse)
    instrumenter = hook.Instrumenter(Probe(), [tmp_path], display_base=tmp_path)
    code = instrumenter.compile(b"x = 40 + 2\n", str(tmp_path / "odd.py"))
    namespace = {}
    exec(code, namespace)
    assert namespace["x"] == 42
    assert instrumenter.warnings == ["losslint: warning: odd.py: not instrumented (cannot handle this one); running it unchanged"]


def test_instrumented_code_is_cached_keyed_on_the_bytes(tmp_path, monkeypatch):
    from losslint.instrument import hook, transform
    from losslint.instrument.probe import Probe

    source = (RUN_FIXTURES / "indices_from_loader" / "train.py").read_bytes()
    path = str(tmp_path / "train.py")
    first = hook.Instrumenter(Probe(), [tmp_path], display_base=tmp_path, cache_dir=tmp_path / "cache")
    code = first.compile(source, path)
    parsed = []

    def count_and_refuse(*args, **kwargs):
        parsed.append(args[1])
        raise RuntimeError("parsed again")

    monkeypatch.setattr(transform, "instrument_source", count_and_refuse)
    probe = Probe()
    again = hook.Instrumenter(probe, [tmp_path], display_base=tmp_path, cache_dir=tmp_path / "cache")
    assert again.compile(source, path).co_code == code.co_code
    assert [record.info.text for record in probe.records.values()] == ["A2 - Y"]
    assert again.warnings == [] and parsed == []
    changed = again.compile(source + b"\n", path)  # other bytes: a miss, so the transform runs (and here fails)
    assert parsed == ["train.py"] and changed.co_filename == path


def test_a_warm_run_starts_without_libcst_and_no_cache_writes_nothing(tmp_path):
    (tmp_path / "prog.py").write_text("import sys\nprint('libcst' in sys.modules)\n")
    assert losslint_run("--no-cache", "prog.py", cwd=tmp_path).stdout == "True\n"
    assert not (tmp_path / ".losslint_cache").exists()
    assert losslint_run("prog.py", cwd=tmp_path).stdout == "True\n"
    assert (tmp_path / ".losslint_cache" / ".gitignore").is_file()
    assert losslint_run("prog.py", cwd=tmp_path).stdout == "False\n"


def test_installed_packages_are_left_alone_unless_included(tmp_path):
    from losslint.instrument.hook import Instrumenter
    from losslint.instrument.probe import Probe

    installed = tmp_path / "venv" / "lib" / "site-packages" / "pkg" / "mod.py"
    own = tmp_path / "src" / "mod.py"
    instrumenter = Instrumenter(Probe(), [tmp_path])
    assert instrumenter.wants(own) and not instrumenter.wants(installed)
    assert not instrumenter.wants(Path(json.__file__))
    assert Instrumenter(Probe(), [tmp_path], include=[installed.parent]).wants(installed)


PYTEST_PROJECT = {
    "pyproject.toml": "[project]\nname = 'demo'\n",
    "demo/__init__.py": "",
    "demo/grad.py": """
        import numpy as np

        def softmax(Z):
            e = np.exp(Z - Z.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)

        def output_gradient(Z, Y):
            A = softmax(Z)
            return A - Y
        """,
    "tests/test_grad.py": """
        import numpy as np
        from demo.grad import output_gradient

        def test_gradient_shape():
            Y = np.array([[0, 1, 2, 1]])
            assert output_gradient(np.zeros((3, 4)), Y).shape == (3, 4)
        """,
}


def write_project(root: Path, files) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def run_pytest(root, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=root, capture_output=True, text=True, timeout=300,
    )


def test_pytest_option_instruments_the_project_modules(tmp_path):
    write_project(tmp_path, PYTEST_PROJECT)
    assert run_pytest(tmp_path).returncode == 0  # the broadcast passes the test's own assertion
    checked = run_pytest(tmp_path, "--losslint-runtime")
    assert checked.returncode == 1
    assert "LossCheckError: demo/grad.py:9: LL002 " in checked.stdout
    assert "losslint run: 1 site failed (1 site reached, 1 check)" in checked.stdout
    warned = run_pytest(tmp_path, "--losslint-runtime", "--losslint-runtime-warn")
    assert warned.returncode == 0 and "[failed 1 of 1 times]" in warned.stdout


def test_instrument_api_checks_modules_imported_after_it(tmp_path, monkeypatch):
    from losslint import runtime
    from losslint.instrument import probe as probe_module

    write_project(tmp_path, {"later_module.py": PYTEST_PROJECT["demo/grad.py"]})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(probe_module, "_active", None)
    instrumentation = runtime.instrument(paths=[tmp_path])
    try:
        import later_module
    finally:
        instrumentation.uninstall()
        sys.modules.pop("later_module", None)
    import numpy as np

    with pytest.raises(runtime.LossCheckError, match=r"^later_module.py:9: LL002 "):
        later_module.output_gradient(np.zeros((3, 4)), np.array([[0, 1, 2, 1]]))
    assert later_module.output_gradient(np.zeros((3, 2)), np.eye(3)[:, :2]).shape == (3, 2)


def test_the_typer_app_forwards_run_to_the_same_parser(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from losslint.cli import app

    folder = copy_fixture("bce_gradient_on_softmax", tmp_path)
    monkeypatch.chdir(folder)
    listed = CliRunner().invoke(app, ["run", "--list-sites", "train.py"])
    assert listed.exit_code == 0 and "LL001 BCE derivative" in listed.output
    assert CliRunner().invoke(app, ["run"]).exit_code == 2
    assert "--list-sites" in CliRunner().invoke(app, ["run", "--help"]).output
