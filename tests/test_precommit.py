"""The pre-commit hook, run by the real `pre-commit` tool against this repository.

`pre-commit try-repo` clones the repository it is given. A clone of the working
copy would miss files that are not committed yet (try-repo's shadow commit only
takes tracked and staged changes), so the test first commits a snapshot of the
working tree — every tracked or untracked file that git does not ignore — into a
scratch repository and points try-repo there. pre-commit then builds the hook's
own virtualenv from that snapshot, installing losslint and its dependencies from
the package index, exactly as a user's pre-commit would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

UNSTABLE = "import numpy as np\n\n\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)\n"
STABLE = "import numpy as np\n\n\ndef softmax(z):\n    e = np.exp(z - z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)\n"

pytestmark = pytest.mark.slow


def _git(*args: str, cwd: Path) -> str:
    environment = dict(
        os.environ,
        GIT_AUTHOR_NAME="losslint tests",
        GIT_AUTHOR_EMAIL="tests@losslint.invalid",
        GIT_COMMITTER_NAME="losslint tests",
        GIT_COMMITTER_EMAIL="tests@losslint.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    environment.pop("GIT_DIR", None)
    environment.pop("GIT_INDEX_FILE", None)
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def _snapshot_of_working_tree(destination: Path) -> Path:
    """A one-commit git repository holding this repository's files as they are on disk now."""
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    destination.mkdir()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    _git("init", "-q", cwd=destination)
    _git("add", "-A", cwd=destination)
    _git("commit", "-q", "--no-gpg-sign", "-m", "snapshot", cwd=destination)
    return destination


@pytest.fixture(scope="module")
def hook_run(tmp_path_factory):
    """Run the hook with `pre-commit try-repo` in a scratch project; returns a runner taking file names."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("the `pre-commit` package is missing: pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp("precommit")
    snapshot = _snapshot_of_working_tree(base / "losslint-snapshot")
    project = base / "project"
    project.mkdir()
    (project / "bad.py").write_text(UNSTABLE)
    (project / "good.py").write_text(STABLE)
    (project / "generated").mkdir()
    (project / "generated" / "model_pb.py").write_text(UNSTABLE)
    (project / "pyproject.toml").write_text('[tool.losslint]\nextend-exclude = ["generated"]\n')
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    environment = dict(os.environ, PRE_COMMIT_HOME=str(base / "cache"), PRE_COMMIT_COLOR="never")
    for variable in ("GIT_DIR", "GIT_INDEX_FILE", "VIRTUAL_ENV"):
        environment.pop(variable, None)

    def run(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(snapshot), "losslint", "--verbose", "--files", *files],
            cwd=project,
            capture_output=True,
            text=True,
            env=environment,
            timeout=900,
        )

    return run


def test_hook_fails_on_a_file_with_a_pitfall_and_prints_the_finding(hook_run):
    done = hook_run("bad.py")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "bad.py:6:12: LL004 softmax without max-subtraction" in output
    assert "Failed" in output


def test_hook_passes_on_a_correct_file(hook_run):
    done = hook_run("good.py")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Passed" in output
    assert "LL004" not in output


def test_hook_honours_the_config_excludes_for_files_pre_commit_names(hook_run):
    # pre-commit passes generated/model_pb.py explicitly; [tool.losslint] extend-exclude still wins.
    done = hook_run("generated/model_pb.py")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "LL004" not in output


def test_hook_definition_matches_the_documented_one():
    yaml = pytest.importorskip("yaml")  # comes with pre-commit
    hook, fixing = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert fixing["id"] == "losslint-fix"
    assert fixing["entry"].split() == ["losslint", "check", "--force-exclude", "--fix"]
    assert fixing["types_or"] == ["python", "jupyter"] and fixing["language"] == "python"
    assert hook["id"] == "losslint"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "jupyter"]
    assert hook["entry"].split()[:2] == ["losslint", "check"]
    assert "--force-exclude" in hook["entry"].split()
