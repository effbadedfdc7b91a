"""Run-time checks for the arrays that meet in a loss function.

Static rules cannot see shapes and values; these checks look at the arrays
themselves, at the moment the probabilities ``A`` meet the labels ``Y``::

    from losslint import runtime

    runtime.check_loss_inputs(AL, Y, loss="cce")        # (C, m) softmax vs one-hot
    runtime.check_probabilities(A, activation="sigmoid")
    runtime.check_labels(Y, encoding="indices", n_classes=10)
    Y_one_hot = runtime.one_hot(Y, 10)                    # the conversion messages point to

    @runtime.guard(loss="cce", probs="AL", labels="Y")
    def compute_cost(AL, Y): ...

    runtime.gradcheck(loss_fn, grad_fn, Z)               # finite differences

Every check returns ``None`` when its input is fine and raises
:class:`LossCheckError` otherwise, with a message that names the array, its
shape and dtype, what was expected, what was found (how many examples fail,
the worst value and where) and what to write instead.

``axis`` is the class axis everywhere: ``0`` for the ``(C, m)`` column layout
(one column per example), ``1`` or ``-1`` for the ``(N, C)`` row layout.

Cost and memory
    Arrays are never modified.  A passing check is a handful of reductions
    (minimum, maximum, per-example sums, a nonzero count) and allocates only
    per-example results, never a temporary as large as its input.  Only when a
    check fails does it scan the array again to explain why, in chunks along
    an example axis, so that no temporary exceeds about 64 Ki elements.

Other array libraries
    PyTorch tensors and JAX arrays are checked with their own library's
    operations, so a tensor on a GPU is not copied to the host; only a few
    scalars (and, when a check fails, per-example summaries) travel.  Inside
    ``jax.jit`` values are abstract: shapes are compared, values are not.

Off switch
    ``LOSSLINT_RUNTIME=0`` in the environment (read when this package is
    imported), or :func:`disable`, makes every ``check_*`` function return at
    once and every :func:`guard`-ed function call straight through.
    :func:`enable` turns the checks back on.  :func:`gradcheck` and
    :func:`one_hot` always run: they are tools you call on purpose.
"""

from __future__ import annotations

from .decorator import guard
from .encoding import one_hot
from .errors import LossCheckError
from .gradients import gradcheck
from .labels import check_labels
from .pairs import check_loss_inputs
from .probabilities import check_probabilities
from .switch import disable, enable, is_enabled

__all__ = [
    "LossCheckError",
    "check_labels",
    "check_loss_inputs",
    "check_probabilities",
    "disable",
    "enable",
    "gradcheck",
    "guard",
    "instrument",
    "is_enabled",
    "one_hot",
]

# Tracebacks, help() and pickles name the public objects where users import
# them from (losslint.runtime.LossCheckError), not the module that defines them.
for _public in (
    LossCheckError,
    check_labels,
    check_loss_inputs,
    check_probabilities,
    disable,
    enable,
    gradcheck,
    guard,
    is_enabled,
    one_hot,
):
    _public.__module__ = __name__
del _public


def instrument(paths=None, *, warn: bool = False, include=()):
    """Check, at run time, every loss and gradient site of the modules imported from now on.

    The modules under ``paths`` (default: the project around the current
    folder) are compiled with the checks ``losslint run`` inserts: at each
    place the static analysis sees probabilities meet labels or a loss, the
    operands are checked and passed on unchanged.  A failed check raises
    :class:`LossCheckError` starting with ``file:line: LLnnn``; with
    ``warn=True`` failures are collected instead (``.probe.failures()``).
    Modules imported before the call are not instrumented.

    Returns the instrumentation; ``.uninstall()`` stops it for later imports.
    Needs LibCST (installed with losslint); the checks themselves need only NumPy.
    """
    from pathlib import Path

    from losslint.instrument.session import start

    roots = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths or [])]
    return start(roots or None, warn=warn, include=[Path(p) for p in include], start_at=Path.cwd())
