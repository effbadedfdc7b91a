"""The program bench/run_bench.py times: a two-layer NumPy MLP in the course's column layout.

Softmax head, categorical cross-entropy computed every step, `dZ2 = A2 - Y`,
plain gradient descent. It prints the cost every 100 steps on stdout and the
training loop's own wall time on stderr, so that start-up cost and loop cost
can be told apart.
"""

import sys
import time

import numpy as np

N_FEATURES, N_HIDDEN, N_CLASSES, M, STEPS = 100, 128, 10, 1024, 300


def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def make_data(rng):
    centres = rng.standard_normal((N_CLASSES, N_FEATURES))
    labels = rng.integers(0, N_CLASSES, M)
    X = centres[labels].T + rng.standard_normal((N_FEATURES, M))
    Y = np.eye(N_CLASSES)[labels].T
    return X, Y


def train():
    rng = np.random.default_rng(0)
    X, Y = make_data(rng)
    W1 = rng.standard_normal((N_HIDDEN, N_FEATURES)) * np.sqrt(2 / N_FEATURES)
    b1 = np.zeros((N_HIDDEN, 1))
    W2 = rng.standard_normal((N_CLASSES, N_HIDDEN)) * np.sqrt(1 / N_HIDDEN)
    b2 = np.zeros((N_CLASSES, 1))
    started = time.perf_counter()
    for step in range(STEPS):
        Z1 = W1 @ X + b1
        A1 = np.maximum(Z1, 0)
        A2 = softmax(W2 @ A1 + b2)
        cost = -np.sum(Y * np.log(np.clip(A2, 1e-12, 1.0))) / M
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / M
        db2 = dZ2.sum(axis=1, keepdims=True) / M
        dZ1 = (W2.T @ dZ2) * (Z1 > 0)
        dW1 = dZ1 @ X.T / M
        db1 = dZ1.sum(axis=1, keepdims=True) / M
        W1 -= 0.1 * dW1
        b1 -= 0.1 * db1
        W2 -= 0.1 * dW2
        b2 -= 0.1 * db2
        if step % 100 == 0:
            print(f"step {step}: cost {cost:.6f}")
    sys.stderr.write(f"loop_seconds={time.perf_counter() - started:.6f}\n")


if __name__ == "__main__":
    train()
