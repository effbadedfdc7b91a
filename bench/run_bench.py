"""Overhead of `losslint run` on a small NumPy training loop (bench/mlp_train.py).

Runs `python mlp_train.py` and `losslint run mlp_train.py` alternately, checks
that both print the same costs, and reports medians of the whole process's
wall time and of the training loop's own time, with their ratios, as medians
and as minima (the least disturbed run, on a shared machine).

    python bench/run_bench.py --repeat 7
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROGRAM = Path(__file__).resolve().parent / "mlp_train.py"
_LOOP = re.compile(r"loop_seconds=([0-9.]+)")


def timed(command, env):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROGRAM.parent, check=True)
    wall = time.perf_counter() - started
    match = _LOOP.search(done.stderr)
    if match is None:
        raise SystemExit(f"no loop time in the output of {command}:\n{done.stderr}")
    return wall, float(match.group(1)), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each command; medians are reported")
    parser.add_argument("--threads", default="1", help="BLAS threads for both (default 1: steadier timings)")
    options = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=options.threads, OPENBLAS_NUM_THREADS=options.threads, MKL_NUM_THREADS=options.threads)
    env.pop("LOSSLINT_RUNTIME", None)
    commands = {
        "python": [sys.executable, str(PROGRAM)],
        # Every run but the first finds the instrumented module in the cache; --no-cache pays LibCST each time.
        "losslint run": [sys.executable, "-m", "losslint", "run", str(PROGRAM)],
        "  --no-cache": [sys.executable, "-m", "losslint", "run", "--no-cache", str(PROGRAM)],
    }
    runs = {name: [] for name in commands}
    outputs = {}
    for _ in range(options.repeat):
        for name, command in commands.items():
            wall, loop, stdout = timed(command, env)
            runs[name].append((wall, loop))
            outputs.setdefault(name, stdout)
    if len(set(outputs.values())) != 1:
        raise SystemExit("the instrumented program printed something else than the plain one")
    print(f"bench/mlp_train.py: {options.repeat} runs each, interleaved, BLAS threads {options.threads}")
    # Medians, and minima: on a shared machine the fastest run is the one least disturbed.
    for label, pick in (("median", statistics.median), ("minimum", min)):
        summary = {name: tuple(pick(r[i] for r in rows) for i in (0, 1)) for name, rows in runs.items()}
        print(f"\n{label:<24}{'process':>7}{'loop':>10}")
        for name, (wall, loop) in summary.items():
            print(f"{name:<24}{wall:>6.3f}s{loop:>9.3f}s")
        plain_wall, plain_loop = summary["python"]
        for name, (wall, loop) in list(summary.items())[1:]:
            print(f"{name + ' / python':<24}{wall / plain_wall:>6.2f}x{loop / plain_loop:>9.2f}x"
                  f"   start-up +{wall - loop - (plain_wall - plain_loop):.3f} s")


if __name__ == "__main__":
    main()
