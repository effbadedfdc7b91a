"""The error every check raises, and the layout of its message."""

from __future__ import annotations


class LossCheckError(ValueError, AssertionError):
    """An array, loss value or gradient failed a losslint run-time check.

    It derives from both ``ValueError`` (the data is wrong) and
    ``AssertionError`` (a check failed, as with ``assert``), so code that
    already catches either keeps working.
    """


def raise_check_error(header: str, expected: str, found: list, fixes: list) -> None:
    """Raise a :class:`LossCheckError` laid out as header, Expected, Found and fixes."""
    lines = [header, f"Expected: {expected}", "Found:"]
    lines += [f"  - {item}" for item in found]
    lines.append("Write instead:" if len(fixes) == 1 else "What to do:")
    lines += [f"  {fix}" for fix in fixes]
    raise LossCheckError("\n".join(lines))
