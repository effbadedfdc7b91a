"""Counting one kind of problem over the examples of a failing array."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np


class Tally:
    """One kind of problem, counted in examples, with the worst instance and where."""

    __slots__ = ("count", "score", "index", "value")

    def __init__(self) -> None:
        self.count = 0
        self.score = -math.inf
        self.index: tuple | None = None
        self.value: Any = None

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, mask: np.ndarray, score: np.ndarray | float, where: Callable[[int], tuple]) -> None:
        """Count the examples in ``mask``; keep the highest-scoring one (the first on ties)."""
        n = int(np.count_nonzero(mask))
        if n == 0:
            return
        self.count += n
        scores = np.where(mask, score, -np.inf)
        flat = int(np.argmax(scores))
        best = float(scores.reshape(-1)[flat])
        if best > self.score or self.index is None:
            self.score = best
            self.index, self.value = where(flat)
