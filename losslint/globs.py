"""Path patterns for ``exclude`` and ``per-file-ignores``, matched the way ruff users expect.

A pattern without a ``/`` names a file or folder anywhere (``build``, ``*_pb2.py``)
and is matched against one path component. A pattern with a ``/`` is anchored at
the folder of the configuration that wrote it (``tests/data/*.py``,
``notebooks/**``). ``*`` never crosses a ``/``; ``**`` does; ``?`` is one
character; ``[abc]`` and ``[!abc]`` are character classes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Iterator, List, Sequence


def absolute(path: "os.PathLike[str] | str") -> Path:
    """An absolute, normalised path that keeps symlinks as written (patterns are written that way too)."""
    return Path(os.path.abspath(path))


def _translate(glob: str) -> str:
    """A regular expression equivalent to ``glob`` over ``/``-separated paths."""
    out: List[str] = []
    i, n = 0, len(glob)
    while i < n:
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == n:
            out.append("(?:/.*)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = glob.find("]", i + 2 if glob.startswith("[!", i) else i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
                continue
            body = glob[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


class PathPattern:
    """One pattern, with the folder that anchored patterns are relative to."""

    def __init__(self, pattern: str, base: "os.PathLike[str] | str") -> None:
        self.pattern = pattern
        self.base = absolute(base)
        text = pattern.replace("\\", "/").rstrip("/") or "/"
        if text.startswith("./"):
            text = text[2:]
        self.anchored = "/" in text
        if self.anchored:
            anchored = text if os.path.isabs(text) else f"{self.base.as_posix().rstrip('/')}/{text}"
            self._regex = re.compile(_translate(anchored))
        else:
            self._regex = re.compile(_translate(text))

    def __repr__(self) -> str:
        return f"PathPattern({self.pattern!r}, base={str(self.base)!r})"

    def matches(self, path: Path) -> bool:
        """Whether the absolute ``path`` itself (not its folders) is matched."""
        if self.anchored:
            return self._regex.fullmatch(path.as_posix()) is not None
        return self._regex.fullmatch(path.name) is not None

    def matches_path_or_parent(self, path: Path) -> bool:
        """Whether ``path`` or one of its folders inside the pattern's base is matched.

        Folders above the base are not considered, so a project that lives in a
        folder named ``build`` is not excluded by the pattern ``build``.
        """
        return any(self.matches(candidate) for candidate in _self_and_parents_within(path, self.base))


def _self_and_parents_within(path: Path, base: Path) -> Iterator[Path]:
    yield path
    try:
        depth = len(path.relative_to(base).parts)
    except ValueError:
        return
    for parent in list(path.parents)[: max(0, depth - 1)]:
        yield parent


class PathPatterns:
    """A set of patterns; a path matches when any of them does."""

    def __init__(self, patterns: Iterable[PathPattern] = ()) -> None:
        self.patterns = list(patterns)

    @classmethod
    def of(cls, patterns: Sequence[str], base: "os.PathLike[str] | str") -> "PathPatterns":
        return cls(PathPattern(pattern, base) for pattern in patterns)

    def __add__(self, other: "PathPatterns") -> "PathPatterns":
        return PathPatterns(self.patterns + other.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def __repr__(self) -> str:
        return f"PathPatterns({self.patterns!r})"

    def matches(self, path: Path) -> bool:
        return any(pattern.matches(path) for pattern in self.patterns)

    def matches_path_or_parent(self, path: Path) -> bool:
        return any(pattern.matches_path_or_parent(path) for pattern in self.patterns)
