"""Inputs that must never crash, hang or stop a run: each ends as linted, LL900 or LL901."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from losslint import engine
from losslint.engine import lint_paths, lint_source
from losslint.registry import select

STABLE = b"import numpy as np\ndef f(z):\n    e = np.exp(z)\n    return e / e.sum()\n"


def codes(report):
    return [(os.path.basename(f.path), f.code) for f in report.findings]


@pytest.mark.parametrize(
    "name,data,expected",
    [
        ("syntax.py", b"import numpy as np\ndef softmax(z)\n    return np.exp(z)\n", "LL900"),
        ("null.py", b"import numpy as np\nx = np.exp(1)\x00\n", "LL900"),
        ("utf8.py", b"import numpy as np\ns = '\xff'\nnp.exp(1)\n", "LL901"),
        ("cookie.py", b"# -*- coding: klingon -*-\nimport numpy as np\nnp.exp(1)\n", "LL901"),
        ("bom.py", b"\xef\xbb\xbf" + STABLE, "LL004"),
        ("crlf.py", STABLE.replace(b"\n", b"\r\n"), "LL004"),
        ("cr.py", STABLE.replace(b"\n", b"\r"), "LL004"),
        ("tabs.py", STABLE.replace(b"    ", b"\t"), "LL004"),
        ("empty.py", b"", None),
        ("parens1000.py", b"import numpy as np\nx = " + b"(" * 1000 + b"np.exp(1)" + b")" * 1000 + b"\n", "LL900"),
        ("parens100k.py", b"import numpy as np\nx = " + b"(" * 100000 + b"np.exp(1)" + b")" * 100000 + b"\n", "LL900"),
        ("ops100k.py", b"import numpy as np\nx = np.exp(1)" + b" + 1" * 100000 + b"\n", "LL900"),
        # pydoc_data/topics.py: one statement of thousands of implicitly joined strings.
        ("strings.py", b"import numpy as np\nnp.exp(0)\ntext = (" + b"'a'\n" * 5000 + b")\n", None),
        # sympy's tests: an integer literal too large for a float inside an arithmetic shape.
        ("huge.py", b"import numpy as np\nA = np.exp(z)\ny = -(" + b"9" * 400 + b" / A - (1 - y) / (1 - A))\n", None),
    ],
)
def test_named_inputs(tmp_path, name, data, expected):
    (tmp_path / name).write_bytes(data)
    report = lint_paths([str(tmp_path)], select())
    assert report.internal_errors == []
    assert codes(report) == ([(name, expected)] if expected else [])


def test_findings_keep_their_lines_with_any_line_ending(tmp_path):
    for name, data in (("lf.py", STABLE), ("crlf.py", STABLE.replace(b"\n", b"\r\n")), ("cr.py", STABLE.replace(b"\n", b"\r"))):
        (tmp_path / name).write_bytes(data)
    report = lint_paths([str(tmp_path)], select())
    assert sorted((os.path.basename(f.path), f.line, f.column) for f in report.findings) == [
        ("cr.py", 4, 12),
        ("crlf.py", 4, 12),
        ("lf.py", 4, 12),
    ]


def test_large_generated_file_is_reported_not_parsed(tmp_path, monkeypatch):
    big = tmp_path / "generated.py"
    with big.open("wb") as stream:
        stream.write(b"import numpy as np\nnp.exp(1)\n")
        stream.truncate(20 << 20)  # 20 MB, sparse: cheap to make, and no parser ever sees it
    report = lint_paths([str(big)], select())
    assert codes(report) == [("generated.py", "LL901")]
    assert "larger than" in report.findings[0].message


def test_directory_named_like_a_module_is_walked_not_read(tmp_path):
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_bytes(STABLE)
    report = lint_paths([str(tmp_path)], select())
    assert codes(report) == [("inner.py", "LL004")]


def test_symlink_loop_and_missing_paths_are_clear_errors(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "ok.py").write_bytes(STABLE)
    report = lint_paths([str(tmp_path / "loop"), str(tmp_path / "gone.py"), str(tmp_path / "ok.py")], select())
    assert len(report.errors) == 2 and all("no such file" in e for e in report.errors)
    assert codes(report) == [("ok.py", "LL004")]
    walked = lint_paths([str(tmp_path)], select())  # os.walk does not follow the link
    assert codes(walked) == [("ok.py", "LL004")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_named_like_a_module_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    done = subprocess.run(
        [sys.executable, "-m", "losslint", "check", "--format", "concise", str(tmp_path), str(tmp_path / "pipe.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "LL901 not a regular file" in done.stdout


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files without read permission")
def test_file_without_read_permission(tmp_path):
    path = tmp_path / "secret.py"
    path.write_bytes(STABLE)
    path.chmod(0)
    report = lint_paths([str(path)], select())
    assert codes(report) == [("secret.py", "LL901")]


def test_file_that_vanishes_between_discovery_and_reading(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_bytes(STABLE)
    (tmp_path / "b.py").write_bytes(STABLE)
    real_discover = engine.discover

    def discover_then_delete(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        (tmp_path / "a.py").unlink()
        return found

    monkeypatch.setattr(engine, "discover", discover_then_delete)
    report = lint_paths([str(tmp_path)], select())
    assert codes(report) == [("a.py", "LL901"), ("b.py", "LL004")]


def test_linting_never_writes_into_the_tree(tmp_path):
    (tmp_path / "m.py").write_bytes(STABLE)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    lint_paths([str(tmp_path)], select(["ALL"]))
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_parallel_run_gives_the_same_findings_in_the_same_order(tmp_path):
    for index in range(40):
        body = STABLE if index % 3 == 0 else b"import numpy as np\ndef f(z):\n    return np.exp(z - z.max())\n"
        (tmp_path / f"m{index:02d}.py").write_bytes(body)
    serial = lint_paths([str(tmp_path)], select(), jobs=1)
    parallel = lint_paths([str(tmp_path)], select(), jobs=2)
    assert [r.path for r in parallel.results] == [r.path for r in serial.results]
    assert parallel.findings == serial.findings and len(serial.findings) == 14


@pytest.mark.skipif(not hasattr(os, "killpg") or not Path("/proc/self/task").exists(), reason="needs POSIX signals and /proc")
def test_ctrl_c_stops_a_parallel_run_with_130_and_no_traceback_wall(tmp_path):
    import signal
    import time

    for index in range(1000):  # minutes of work: the signal always lands mid-run
        (tmp_path / f"m{index:04d}.py").write_bytes(STABLE * 60)
    process = subprocess.Popen(
        [sys.executable, "-m", "losslint", "check", "--jobs", "2", "--format", "concise", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # A test runner started in the background inherits SIGINT ignored, and so would the
        # child; a terminal's foreground job never has it ignored, so restore the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_children(process.pid)) < 2:
        time.sleep(0.05)  # wait for the worker processes: the signal must land mid-run
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal delivers Ctrl-C: to the whole process group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.decode().count("Traceback") == 0
    assert "interrupted" in stderr.decode()


@pytest.mark.skipif(not hasattr(os, "killpg") or not Path("/proc/self/task").exists(), reason="needs POSIX signals and /proc")
def test_sigterm_to_the_parent_ends_its_workers_and_exits_143(tmp_path):
    import signal
    import time

    for index in range(1000):  # minutes of work: the signal always lands mid-run
        (tmp_path / f"m{index:04d}.py").write_bytes(STABLE * 60)
    process = subprocess.Popen(
        [sys.executable, "-m", "losslint", "check", "--jobs", "2", "--no-cache", "--format", "concise", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_children(process.pid)) < 2:
        time.sleep(0.05)
    workers = [int(pid) for pid in _children(process.pid)]
    assert len(workers) >= 2
    time.sleep(0.5)
    started = time.monotonic()
    os.kill(process.pid, signal.SIGTERM)  # a process manager stops the command, not its process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    assert time.monotonic() - started < 10
    assert stderr.decode().count("Traceback") == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.05)
    assert not [pid for pid in workers if _running(pid)], "pool workers outlived the parent"


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _children(pid: int):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend((task / "children").read_text().split())
        except OSError:
            pass
    return found


def test_the_compilers_warnings_about_linted_code_are_neither_printed_nor_turned_into_errors():
    # `"x"(...)` and `"\d"` make CPython warn while parsing; under `-W error` that warning is raised.
    source = 'import numpy as np\nlabel = "x"("softmax")\npattern = "\\d"\nA = np.exp(z) / np.exp(z).sum()\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = lint_source(source, "m.py", select(["ALL"]))
    assert [f.code for f in result.findings] == ["LL004"]
