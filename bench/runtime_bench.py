"""Benchmark of losslint.runtime: cost of a passing check, in time and memory.

Run:  python bench/runtime_bench.py [--repeats N]

Prints, in one run:

1. check_probabilities on a (512, 65536) float32 softmax output, as a ratio
   to one ``np.sum(a, axis=0)`` on the same array (goal 1.5x, bar 3x);
2. the peak memory that check allocates, as a fraction of the array,
   measured with tracemalloc (bar 0.25);
3. the per-call time of check_loss_inputs on (10, 64) arrays, in
   microseconds (goal about 5 us), and for reference the cost of a call
   with the checks disabled.

Times are the best of several interleaved runs, the usual way to read
through the noise of a shared machine.  The exit status is 1 when a bar
(not a goal) is missed.  Environment variables such as OPENBLAS_CORETYPE or
OMP_NUM_THREADS are used as found.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import timeit
import tracemalloc

import numpy as np

from losslint import runtime

BIG_SHAPE = (512, 65536)
SMALL_SHAPE = (10, 64)
RATIO_GOAL, RATIO_BAR = 1.5, 3.0
MEMORY_BAR = 0.25
SMALL_GOAL_US = 5.0


def softmax_in_place(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 without a second array of the same size."""
    z -= z.max(axis=0, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=0, keepdims=True)
    return z


def best_of(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def time_large(a: np.ndarray, repeats: int) -> tuple[float, float]:
    """Best time of np.sum(a, axis=0) and of the check, interleaved so both see the same machine."""
    check = lambda: runtime.check_probabilities(a, activation="softmax")  # noqa: E731
    reference = lambda: np.sum(a, axis=0)  # noqa: E731
    check()
    reference()
    sum_times, check_times = [], []
    for _ in range(repeats):
        sum_times.append(best_of(reference, 1))
        check_times.append(best_of(check, 1))
    return min(sum_times), min(check_times)


def peak_memory_fraction(a: np.ndarray) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        runtime.check_probabilities(a, activation="softmax")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak / a.nbytes


def per_call_us(statement: str, namespace: dict, number: int = 20000, repeat: int = 7) -> float:
    return min(timeit.repeat(statement, globals=namespace, number=number, repeat=repeat)) / number * 1e6


def small_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_classes, m = SMALL_SHAPE
    a = softmax_in_place(rng.standard_normal(SMALL_SHAPE))
    y = runtime.one_hot(rng.integers(0, n_classes, m), n_classes)
    return a, y


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of the large check")
    args = parser.parse_args()
    runtime.enable()
    rng = np.random.default_rng(0)

    print(
        f"losslint.runtime benchmark  (Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{os.cpu_count()} CPUs)"
    )

    a = softmax_in_place(rng.standard_normal(BIG_SHAPE, dtype=np.float32))
    sum_s, check_s = time_large(a, args.repeats)
    ratio = check_s / sum_s
    memory = peak_memory_fraction(a)
    mib = a.nbytes / 2**20
    print(f"\ncheck_probabilities(A, activation='softmax'), A float32 {BIG_SHAPE} ({mib:.0f} MiB):")
    print(f"  np.sum(A, axis=0)           {sum_s * 1e3:8.2f} ms")
    print(f"  check_probabilities         {check_s * 1e3:8.2f} ms")
    print(f"  time ratio                  {ratio:8.2f} x   (goal {RATIO_GOAL}x, bar < {RATIO_BAR}x)")
    kib = memory * a.nbytes / 2**10
    print(f"  peak extra memory           {memory:8.4f} of the array ({kib:.0f} KiB; bar < {MEMORY_BAR})")
    del a

    a, y = small_pair(rng)
    namespace = {"runtime": runtime, "a": a, "y": y}
    enabled_us = per_call_us("runtime.check_loss_inputs(a, y, loss='cce')", namespace)
    a1 = 1 / (1 + np.exp(-rng.standard_normal((1, SMALL_SHAPE[1]))))
    y1 = (rng.random((1, SMALL_SHAPE[1])) > 0.5).astype(np.float64)
    namespace.update(a1=a1, y1=y1)
    bce_us = per_call_us("runtime.check_loss_inputs(a1, y1, loss='bce')", namespace)
    runtime.disable()
    disabled_us = per_call_us("runtime.check_loss_inputs(a, y, loss='cce')", namespace)
    runtime.enable()
    print("\ncheck_loss_inputs per call:")
    goal = f"(goal ~{SMALL_GOAL_US:g} us)"
    print(f"  cce, float64 {SMALL_SHAPE} softmax + one-hot   {enabled_us:6.2f} us   {goal}")
    print(f"  bce, float64 (1, {SMALL_SHAPE[1]}) sigmoid + binary    {bce_us:6.2f} us")
    print(f"  cce with the checks disabled              {disabled_us:6.2f} us")

    missed = []
    if ratio >= RATIO_BAR:
        missed.append(f"time ratio {ratio:.2f} >= {RATIO_BAR}")
    if memory >= MEMORY_BAR:
        missed.append(f"memory {memory:.3f} >= {MEMORY_BAR}")
    print("\nbars: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
