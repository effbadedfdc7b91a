"""--fix: golden .in/.out pairs, numerics of the stability fix, and never breaking a file."""

from __future__ import annotations

import importlib.util
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from losslint import fixer
from losslint.fixes import Edit, Fix, FixFailed, apply_edits, fix_text, write_atomically
from losslint.fixer import fix_file
from losslint.registry import select

PAIRS = Path(__file__).resolve().parent.parent / "fixtures" / "fixes"
INPUTS = sorted(PAIRS.glob("*.in.py"))


def _fixed_copy(tmp_path, source: Path, unsafe=False):
    target = tmp_path / source.name.replace(".in.py", ".py")
    target.write_bytes(source.read_bytes())
    result = fix_file(target, target.name, select(), unsafe=unsafe)
    assert result.error is None
    return target, result


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name)
def test_safe_fixes_match_the_golden_output(tmp_path, source):
    target, result = _fixed_copy(tmp_path, source)
    expected = source.with_name(source.name.replace(".in.py", ".out.py")).read_text()
    assert target.read_text() == expected
    assert (result.applied >= 1) == (expected != source.read_text())


@pytest.mark.parametrize(
    "source", [p for p in INPUTS if p.with_name(p.name.replace(".in.py", ".unsafe.out.py")).exists()], ids=lambda p: p.name
)
def test_unsafe_fixes_match_the_golden_output(tmp_path, source):
    target = tmp_path / source.name.replace(".in.py", ".py")
    target.write_bytes(source.read_bytes())
    result = fix_file(target, target.name, select(["ALL"]), unsafe=True)
    assert result.error is None and result.applied >= 1
    assert target.read_text() == source.with_name(source.name.replace(".in.py", ".unsafe.out.py")).read_text()


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name)
def test_fixing_twice_changes_nothing_the_second_time(tmp_path, source):
    target = tmp_path / source.name.replace(".in.py", ".py")
    target.write_bytes(source.read_bytes())
    fix_file(target, target.name, select(["ALL"]), unsafe=True)
    once = target.read_bytes()
    again = fix_file(target, target.name, select(["ALL"]), unsafe=True)
    assert again.applied == 0 and again.diff == ""
    assert target.read_bytes() == once


def test_unsafe_fixes_only_with_the_flag(tmp_path):
    source = PAIRS / "torch_logits.in.py"
    (tmp_path / "safe").mkdir()
    (tmp_path / "unsafe").mkdir()
    safe, _ = _fixed_copy(tmp_path / "safe", source)
    unsafe, _ = _fixed_copy(tmp_path / "unsafe", source, unsafe=True)
    assert "binary_cross_entropy_with_logits(probs, tags)" in safe.read_text()
    assert unsafe.read_text() == (PAIRS / "torch_logits.unsafe.out.py").read_text()
    assert "binary_cross_entropy_with_logits(logits, tags)" in unsafe.read_text()


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stable_softmax_fix_keeps_values_and_removes_overflow(tmp_path):
    source = PAIRS / "stable_softmax.in.py"
    target, _ = _fixed_copy(tmp_path, source)
    old, new = _load(source, "old_softmax"), _load(target, "new_softmax")
    rng = np.random.default_rng(7)
    calls = [
        ("softmax_columns", lambda s: (rng.normal(size=(4, 6)) * s,)),
        ("softmax_rows", lambda s: (rng.normal(size=(6, 4)) * s,)),
        ("softmax_vector", lambda s: (rng.normal(size=5) * s,)),
        ("softmax_affine", lambda s: (rng.normal(size=(3, 4)), rng.normal(size=(4, 2)) * s, rng.normal(size=(3, 1)))),
    ]
    for name, make in calls:
        small = make(1.0)
        with np.errstate(all="ignore"):
            before = getattr(old, name)(*[a.copy() for a in small])
        after = getattr(new, name)(*[a.copy() for a in small])
        assert np.all(np.isfinite(before))
        np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-15)
        large = make(1000.0)
        with np.errstate(all="ignore"):
            overflowed = getattr(old, name)(*[a.copy() for a in large])
        assert not np.all(np.isfinite(overflowed)), name
        stable = getattr(new, name)(*[a.copy() for a in large])
        assert np.all(np.isfinite(stable)), name
        assert np.all((stable >= 0) & (stable <= 1)), name


def test_fix_preserves_crlf_encoding_bom_and_permissions(tmp_path):
    text = "# -*- coding: latin-1 -*-\r\n# caf\xe9\r\nimport numpy as np\r\ndef f(z):\r\n    e = np.exp(z)\r\n    return e / e.sum()\r\n"
    path = tmp_path / "legacy.py"
    path.write_bytes(text.encode("latin-1"))
    os.chmod(path, 0o640)
    result = fix_file(path, "legacy.py", select())
    assert result.applied == 1 and result.error is None
    data = path.read_bytes()
    assert data == text.replace("np.exp(z)", "np.exp(z - np.max(z))").encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + b"import numpy as np\ndef f(z):\n    return np.exp(z) / np.exp(z).sum()\n")
    fix_file(bom, "bom.py", select())
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf") and b"np.max(z)" in bom.read_bytes()


def test_diff_mode_writes_nothing(tmp_path):
    path = tmp_path / "m.py"
    original = "import numpy as np\ndef f(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)\n"
    path.write_text(original)
    result = fix_file(path, "m.py", select(), write=False)
    assert path.read_text() == original
    assert "-    e = np.exp(z)" in result.diff and "+    e = np.exp(z - np.max(z, axis=0, keepdims=True))" in result.diff


def test_a_fix_that_fails_leaves_the_file_exactly_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "m.py"
    original = b"import numpy as np\ndef f(z):\n    e = np.exp(z)\n    return e / e.sum()\n"
    path.write_bytes(original)

    def broken(source, fixes):
        raise FixFailed("the fixed code does not parse: simulated")

    monkeypatch.setattr(fixer, "fix_text", broken)
    result = fix_file(path, "m.py", select())
    assert result.error and "simulated" in result.error
    assert path.read_bytes() == original


def test_edits_that_do_not_parse_are_refused():
    with pytest.raises(FixFailed):
        fix_text("x = f(a)\n", [Fix((Edit(6, 7, "a +"),), "break it", True)])


def test_overlapping_fixes_wait_for_the_next_round():
    first = Fix((Edit(0, 5, "AAAAA"),), "one", True)
    second = Fix((Edit(3, 8, "BBBBB"),), "two", True)
    text, applied = apply_edits("0123456789", [first, second])
    assert (text, applied) == ("AAAAA56789", 1)


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("new contents\n")
    with pytest.raises(FixFailed):
        write_atomically(path, "fixed\n", "utf-8", original_bytes=b"old contents\n")
    assert path.read_text() == "new contents\n"
