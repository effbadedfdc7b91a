"""``pytest --losslint-runtime``: the project's modules carry ``losslint run``'s checks during the tests.

Registered through the ``pytest11`` entry point, so it is present whenever
losslint is installed and does nothing unless the option is given.  Test files
stay with pytest's own assertion rewriting; the modules they import from the
project are instrumented.
"""

from __future__ import annotations

import pytest

_STATE_KEY = "_losslint_instrumentation"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("losslint")
    group.addoption(
        "--losslint-runtime",
        action="store_true",
        default=False,
        help="Check, at run time, the loss and gradient sites of the project's modules (as `losslint run` does).",
    )
    group.addoption(
        "--losslint-runtime-warn",
        action="store_true",
        default=False,
        help="With --losslint-runtime: do not fail at a check; list every failed site at the end.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    # Before conftest.py files run: a conftest that imports the project would otherwise import it unchecked.
    options = early_config.known_args_namespace
    if not getattr(options, "losslint_runtime", False):
        return
    from losslint.instrument.session import start

    root = early_config.rootpath
    instrumentation = start([root], warn=bool(options.losslint_runtime_warn), start_at=root)
    setattr(early_config, _STATE_KEY, instrumentation)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    instrumentation = getattr(config, _STATE_KEY, None)
    if instrumentation is None:
        return
    from losslint.instrument.report import summary_text

    terminalreporter.section("losslint runtime")
    terminalreporter.write(summary_text(instrumentation))


def pytest_unconfigure(config) -> None:
    instrumentation = getattr(config, _STATE_KEY, None)
    if instrumentation is not None:
        instrumentation.uninstall()
