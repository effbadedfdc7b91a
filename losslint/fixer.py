"""``check --fix`` and ``--diff``: re-lint a file, apply its fixes until none is left, then write or show.

Each round lints the current text, so every edit's offsets belong to the text it
is applied to; fixes that overlapped an applied one get their turn in the next
round. The result is re-parsed before anything is written, the write is atomic,
and a file that changed on disk meanwhile, or whose fix fails, is left as it was.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Type

from losslint import apis
from losslint.engine import UndecodableSource, decode, lint_source, rules_for
from losslint.fixes import FixFailed, fix_text, unified_diff, write_atomically
from losslint.rule import Rule

_ROUNDS = 5


@dataclass
class FileFix:
    path: str
    applied: int = 0
    diff: str = ""
    error: Optional[str] = None


def fix_file(
    path: Path,
    display: str,
    rules: Sequence[Type[Rule]],
    knowledge: apis.Knowledge = apis.BUILT_IN,
    unsafe: bool = False,
    write: bool = True,
) -> FileFix:
    """Fix one ``.py`` file in place (``write``) or only compute its diff."""
    result = FileFix(display)
    try:
        original = path.read_bytes()
        before = decode(original)
        encoding = _encoding(original)
    except (OSError, UndecodableSource) as error:
        result.error = f"{display}: not fixed, the file could not be read: {error}"
        return result
    text = before
    for _ in range(_ROUNDS):
        linted = lint_source(text, display, rules, knowledge)
        fixes = [f.fix for f in linted.findings if f.fix is not None and (f.fix.safe or unsafe)]
        if not fixes:
            break
        try:
            text, applied = fix_text(text, fixes)
        except FixFailed as error:
            result.error = f"{display}: not fixed, {error}"
            return result
        if not applied:
            break
        result.applied += applied
    if text == before:
        return result
    result.diff = unified_diff(display, before, text)
    if write:
        try:
            prefix = codecs.BOM_UTF8.decode("utf-8") if original.startswith(codecs.BOM_UTF8) else ""
            write_atomically(path, prefix + text, encoding, original_bytes=original)
        except (OSError, FixFailed, UnicodeEncodeError) as error:
            result.error = f"{display}: not fixed, {error}"
            result.applied = 0
    return result


def fix_files(
    paths: Sequence[tuple],
    rules: Sequence[Type[Rule]],
    knowledge: apis.Knowledge = apis.BUILT_IN,
    unsafe: bool = False,
    write: bool = True,
    per_file_ignores=(),
) -> List[FileFix]:
    """``paths`` holds (Path, display) pairs, as ``engine.discover`` returns them; notebooks are skipped."""
    return [
        fix_file(path, display, rules_for(path, rules, per_file_ignores), knowledge, unsafe, write)
        for path, display in paths
        if str(path).endswith(".py")
    ]


def _encoding(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return "utf-8" if encoding == "utf-8-sig" else encoding
