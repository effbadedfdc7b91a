"""A progress bar on stderr for long runs, drawn only where a person is watching.

It draws nothing unless the stream is a terminal, the run was not asked to be
quiet, and there are enough files that the wait is noticeable. It redraws at
most ten times a second and erases itself at the end, so the findings printed
on stdout afterwards are not interleaved with it.
"""

from __future__ import annotations

import shutil
import time
from typing import Callable, TextIO

MIN_FILES = 20  # below this a run is over before a bar would be read
_REDRAW_SECONDS = 0.1
_WIDTH = 24


class ProgressBar:
    def __init__(
        self,
        stream: TextIO,
        enabled: bool,
        min_files: int = MIN_FILES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.min_files = min_files
        self.clock = clock
        self._last_draw = float("-inf")
        self._drawn = False

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool) -> "ProgressBar":
        is_terminal = getattr(stream, "isatty", lambda: False)()
        return cls(stream, enabled=is_terminal and not quiet)

    def __call__(self, done: int, total: int, current: str) -> None:
        """The engine's progress callback: ``done`` of ``total`` files, ``current`` just finished."""
        if not self.enabled or total < self.min_files:
            return
        now = self.clock()
        if done < total and now - self._last_draw < _REDRAW_SECONDS:
            return
        self._last_draw = now
        self.stream.write("\r" + self.render(done, total, current))
        self.stream.flush()
        self._drawn = True

    def render(self, done: int, total: int, current: str) -> str:
        filled = _WIDTH * done // total if total else _WIDTH
        bar = "#" * filled + "-" * (_WIDTH - filled)
        text = f"[{bar}] {done}/{total} files  {current}"
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        return text[:width].ljust(width)

    def finish(self) -> None:
        """Erase the bar, leaving the cursor at the start of a clean line."""
        if self._drawn:
            width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self._drawn = False
