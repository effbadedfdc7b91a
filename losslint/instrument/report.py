"""What ``losslint run`` prints at exit, and what ``--list-sites`` prints instead of running."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Dict, Sequence, TextIO

from losslint import __version__

from .siteinfo import SiteInfo

if TYPE_CHECKING:  # pragma: no cover
    from .runner import RunRequest
    from .session import Instrumentation

_DESCRIPTIONS = {
    "gradient": "gradient",
    "bce_derivative": "BCE derivative",
    "categorical_cross_entropy": "categorical cross-entropy",
    "binary_cross_entropy": "binary cross-entropy",
    "loss_call": "loss call",
    "softmax_output": "softmax output",
}


def write(session: "Instrumentation", request: "RunRequest", exit_code: int) -> None:
    text = summary_json(session, request, exit_code) if request.output_format == "json" else summary_text(session)
    if request.output:
        with open(request.output, "w", encoding="utf-8") as stream:
            stream.write(text)
    else:
        sys.stderr.write(text)


def summary_text(session: "Instrumentation") -> str:
    probe = session.probe
    reached = probe.checked_sites()
    calls = sum(record.calls for record in reached)
    failures = probe.failures()
    scope = f"{_count(len(reached), 'site')} reached, {_count(calls, 'check')}"
    if not failures:
        lines = [f"losslint run: every check passed ({scope})"]
    else:
        failed = sorted((r for r in probe.records.values() if r.failures), key=lambda r: (r.info.path, r.info.line, r.info.column))
        lines = [f"losslint run: {_count(len(failed), 'site')} failed ({scope})", ""]
        for record in failed:
            for failure in record.failures.values():
                lines.append(f"{failure.headline()}  [failed {failure.count} of {record.calls} times]")
                lines.append(f"  at `{failure.site.text}`")
                lines += ["  " + line for line in failure.detail.splitlines()]
                lines.append("")
    if probe.internal_errors:
        lines.append(f"losslint run: {_count(probe.internal_errors, 'check')} could not run on their values and were skipped")
    return "\n".join(lines).rstrip("\n") + "\n"


def summary_json(session: "Instrumentation", request: "RunRequest", exit_code: int) -> str:
    probe = session.probe
    document = {
        "version": __version__,
        "program": {"target": request.target, "module": request.module, "args": request.args, "exit_code": exit_code},
        "instrumented": [{"path": path, "sites": count} for path, count in session.instrumenter.instrumented],
        "warnings": session.instrumenter.warnings,
        "sites": [dict(_site_fields(record.info), calls=record.calls) for record in probe.records.values()],
        "failures": [
            dict(_site_fields(failure.site), code=failure.code, count=failure.count, message=failure.message())
            for failure in probe.failures()
        ],
        "internal_errors": probe.internal_errors,
    }
    return json.dumps(document, indent=2) + "\n"


def list_sites(sites: Sequence[SiteInfo], files_read: int, output_format: str, stream: TextIO) -> None:
    if output_format == "json":
        stream.write(json.dumps({"sites": [_site_fields(info) for info in sites], "files": files_read}, indent=2) + "\n")
        return
    for info in sites:
        operands = ", ".join(f"{role} {name}" for role, name in zip(info.roles, info.names))
        what = _DESCRIPTIONS.get(info.check, info.check)
        if info.loss:
            what = f"{info.loss} call"
        stream.write(f"{info.path}:{info.line}:{info.column}: {info.code} {what} `{info.text}` ({operands})\n")
    files = len({info.path for info in sites})
    stream.write(f"{_count(len(sites), 'site')} in {_count(files, 'file')} ({_count(files_read, 'file')} read)\n")


def _site_fields(info: SiteInfo) -> Dict[str, Any]:
    fields: Dict[str, Any] = {
        "path": info.path,
        "line": info.line,
        "column": info.column,
        "code": info.code,
        "check": info.check,
        "text": info.text,
        "operands": dict(zip(info.roles, info.names)),
    }
    if info.activation:
        fields["activation"] = info.activation
    if info.loss:
        fields["loss"] = info.loss
    return fields


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
