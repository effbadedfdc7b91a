"""losslint.rules is the top-level rules/ folder, rules are discovered, and a built wheel works outside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import losslint.rules
from losslint.registry import all_rules

REPO = Path(__file__).resolve().parent.parent


def test_rules_package_resolves_to_the_rules_folder():
    assert Path(losslint.rules.__path__[0]).resolve() == (REPO / "rules").resolve()


def test_every_rule_file_is_discovered():
    files = sorted(p.stem for p in (REPO / "rules").glob("ll[0-9][0-9][0-9]_*.py"))
    modules = sorted(rule.__module__.rsplit(".", 1)[1] for rule in all_rules().values())
    assert files == modules
    assert {"LL001", "LL002", "LL003", "LL004", "LL900", "LL901"} <= set(all_rules())


@pytest.mark.slow
def test_built_wheel_imports_every_rule_from_outside_the_repo(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("losslint-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr
    # Dependencies come from this interpreter's site-packages; the repo itself is not on the path.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    script = (
        "import losslint, losslint.rules, pathlib\n"
        "from losslint.registry import all_rules\n"
        "print(pathlib.Path(losslint.rules.__path__[0]).parent.name)\n"
        "print(' '.join(all_rules()))\n"
        "print(pathlib.Path(losslint.__file__).resolve())\n"
    )
    environment = dict(os.environ, PYTHONPATH=sysconfig.get_paths()["purelib"] + os.pathsep + sysconfig.get_paths()["platlib"])
    done = subprocess.run([str(python), "-c", script], cwd=outside, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    parent, codes, location = done.stdout.splitlines()
    assert parent == "losslint"
    assert codes.split() == list(all_rules())
    assert str(REPO) not in location
