"""What the inserted ``__losslint__.tap(site, slot, value)`` calls reach while the program runs.

A site's operands are tapped one by one as Python evaluates them, each tap
returning its value untouched.  The last operand of a site completes a frame
and the site's verdict runs.  Frames are kept per thread and per site as a
stack, so a site reached again while one of its operands is being evaluated
(recursion) pairs its own values, and a frame abandoned by an exception is
dropped the next time the site starts over.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from losslint.runtime import switch
from losslint.runtime.errors import LossCheckError

from .siteinfo import SiteInfo
from .verdicts import Violation, judge

_MAX_OPEN_FRAMES = 32


@dataclass
class Failure:
    site: SiteInfo
    code: str
    detail: str
    count: int = 1

    def headline(self) -> str:
        return f"{self.site.location}: {self.code} {_summary(self.code)}"

    def message(self) -> str:
        return f"{self.headline()}\n  at `{self.site.text}`\n{self.detail}"


@dataclass
class SiteRecord:
    info: SiteInfo
    calls: int = 0
    failures: Dict[str, Failure] = field(default_factory=dict)  # one per distinct first line


class Probe:
    """The sites of every instrumented module, and what happened at each."""

    def __init__(self, warn: bool = False) -> None:
        self.warn = warn
        self.records: Dict[str, SiteRecord] = {}
        self.internal_errors = 0
        self._lock = threading.Lock()
        self._frames = threading.local()

    def register(self, sites: Dict[str, SiteInfo]) -> None:
        """Add a module's sites by key; a module imported again keeps its sites' records."""
        with self._lock:
            for key, info in sites.items():
                if key not in self.records:
                    self.records[key] = SiteRecord(info)

    def tap(self, site: str, slot: int, value: Any) -> Any:
        __tracebackhide__ = True  # pytest shows the user's line as the failing one  # noqa: F841
        if not switch.enabled:
            return value
        record = self.records[site]
        arity = len(record.info.roles)
        if arity == 1:
            self._settle(record, (value,))
            return value
        open_frames = self._open_frames(site)
        if slot == 0:
            if len(open_frames) >= _MAX_OPEN_FRAMES:
                del open_frames[0]
            open_frames.append([value])
            return value
        if not open_frames or len(open_frames[-1]) != slot:
            return value  # the frame this operand belongs to was abandoned
        frame = open_frames[-1]
        frame.append(value)
        if slot == arity - 1:
            open_frames.pop()
            self._settle(record, frame)
        return value

    def _open_frames(self, site: str) -> List[List[Any]]:
        frames = getattr(self._frames, "by_site", None)
        if frames is None:
            frames = self._frames.by_site = {}
        return frames.setdefault(site, [])

    def _settle(self, record: SiteRecord, values) -> None:
        __tracebackhide__ = True  # noqa: F841
        record.calls += 1
        try:
            judge(record.info, values)
        except Violation as violation:
            self._fail(record, violation)
        except Exception:  # a check must never break the program it watches
            self.internal_errors += 1

    def _fail(self, record: SiteRecord, violation: Violation) -> None:
        __tracebackhide__ = True  # noqa: F841
        key = violation.detail.partition("\n")[0]
        failure = record.failures.get(key)
        if failure is None:
            failure = record.failures[key] = Failure(record.info, violation.code, violation.detail)
        else:
            failure.count += 1
        if not self.warn:
            raise LossCheckError(failure.message()) from None

    # ----- what happened

    def failures(self) -> List[Failure]:
        return [failure for record in self.records.values() for failure in record.failures.values()]

    def checked_sites(self) -> List[SiteRecord]:
        return [record for record in self.records.values() if record.calls]


def _summary(code: str) -> str:
    from losslint.registry import all_rules

    rule = all_rules().get(code)
    return rule.summary if rule is not None else ""


_active: Optional[Probe] = None


def install(probe: Probe) -> Probe:
    """Make ``probe`` the one that instrumented code reaches as the builtin ``__losslint__``."""
    import builtins

    global _active
    _active = probe
    builtins.__losslint__ = probe  # type: ignore[attr-defined]
    return probe


def active() -> Optional[Probe]:
    return _active
