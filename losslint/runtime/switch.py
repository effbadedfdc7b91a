"""The off switch: ``LOSSLINT_RUNTIME=0``, :func:`disable` and :func:`enable`.

``enabled`` is the one flag for the whole package; the checks read it as
``switch.enabled`` at each call, never as a copy taken at import.
"""

from __future__ import annotations

import os

_OFF_VALUES = frozenset({"0", "false", "off", "no"})


def _enabled_from_environment() -> bool:
    return os.environ.get("LOSSLINT_RUNTIME", "1").strip().lower() not in _OFF_VALUES


enabled = _enabled_from_environment()


def disable() -> None:
    """Turn every run-time check off, as ``LOSSLINT_RUNTIME=0`` does.

    ``check_*`` functions then return at once and :func:`guard`-ed functions
    return their result without any check.
    """
    global enabled
    enabled = False


def enable() -> None:
    """Turn the run-time checks back on after :func:`disable`."""
    global enabled
    enabled = True


def is_enabled() -> bool:
    """Return whether the run-time checks are currently on."""
    return enabled
