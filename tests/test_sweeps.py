"""Every .py file of the standard library and the installed packages: no exception escapes, no file is lost.

And generated programs (hypothesmith): the engine never raises, whatever the syntax.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from losslint.engine import lint_source
from losslint.registry import select


@pytest.mark.slow
def test_stdlib_and_site_packages_sweep(tmp_path):
    roots = sorted({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]})
    files = [p for root in roots for p in Path(root).rglob("*.py") if "__pycache__" not in p.parts]
    assert len(files) > 2000
    done = subprocess.run(
        [sys.executable, "-m", "losslint", "check", "--select", "ALL", "--no-cache", "--format", "json", *roots],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=3000,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "crashed" not in done.stderr and "gave up" not in done.stderr
    import json

    findings = json.loads(done.stdout)
    assert all(f["code"].startswith("LL") for f in findings)
    assert os.listdir(tmp_path) == []  # `--no-cache`: nothing written anywhere


hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")


# hypothesmith compiles what it generates, and CPython warns about code such as `1()` while it does.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@hypothesis.settings(max_examples=60, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(hypothesmith.from_grammar())
def test_generated_programs_never_crash_the_engine(source):
    # A trigger token makes sure the program reaches the parser and the analysis.
    result = lint_source("import numpy as np\nnp.exp(0)\n" + source, "generated.py", select(["ALL"]))
    assert result.errors == []
    assert all(f.code.startswith("LL") for f in result.findings)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@hypothesis.settings(max_examples=40, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(hypothesmith.from_node())
def test_generated_syntax_trees_never_crash_the_engine(source):
    result = lint_source("import numpy as np\nnp.exp(0)\n" + source, "generated.py", select(["ALL"]))
    assert result.errors == []
