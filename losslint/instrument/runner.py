"""``losslint run``: execute a script or module as ``python`` would, with the user's modules instrumented."""

from __future__ import annotations

import builtins
import os
import runpy
import sys
import traceback
import types
from dataclasses import dataclass, field
from importlib.machinery import SourceFileLoader
from pathlib import Path
from typing import List, Optional

from losslint.runtime.errors import LossCheckError

from . import report
from .hook import LOSSLINT_PACKAGE
from .session import Instrumentation, start

_INSTRUMENT_PACKAGE = str(Path(__file__).resolve().parent)
_LOSSLINT_PACKAGE = str(LOSSLINT_PACKAGE)


@dataclass
class RunRequest:
    target: str
    args: List[str] = field(default_factory=list)
    module: bool = False
    warn: bool = False
    output_format: str = "text"
    output: Optional[str] = None
    include: List[str] = field(default_factory=list)
    use_cache: bool = True


def run(request: RunRequest) -> int:
    """Run the program; returns the exit code ``python`` would have given, and reports the checks."""
    if not request.module and not Path(request.target).is_file():
        sys.stderr.write(f"losslint run: can't open file {request.target!r}: no such file\n")
        return 2
    start_at = Path.cwd() if request.module else Path(request.target).resolve().parent
    session = start(
        warn=request.warn, include=[Path(p) for p in request.include], start_at=start_at, use_cache=request.use_cache
    )
    try:
        exit_code = _execute(request, session)
    finally:
        session.uninstall()
    _flush()
    if request.warn or request.output_format == "json":
        report.write(session, request, exit_code)
    return exit_code


def _execute(request: RunRequest, session: Instrumentation) -> int:
    hook_before = sys.excepthook  # the CLI's; a hook the program installs gets the program's errors
    try:
        if request.module:
            sys.argv = [request.target, *request.args]
            sys.path.insert(0, os.getcwd())
            runpy._run_module_as_main(request.target, alter_argv=True)  # what `python -m` itself calls
        else:
            _run_script(request, session)
    except SystemExit as done:
        return _exit_code(done.code)
    except KeyboardInterrupt:
        _print_exception(*sys.exc_info(), hook_before, session.instrumenter.files)
        return 130
    except BaseException:  # noqa: BLE001 - the program's own error, reported as python reports it
        _print_exception(*sys.exc_info(), hook_before, session.instrumenter.files)
        return 1
    return 0


def _run_script(request: RunRequest, session: Instrumentation) -> None:
    path = Path(request.target).resolve()
    code = session.instrumenter.compile(path.read_bytes(), str(path))
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=str(path),
        __cached__=None,
        __loader__=SourceFileLoader("__main__", str(path)),
        __spec__=None,
        __builtins__=builtins,
    )
    sys.modules["__main__"] = main
    sys.argv = [request.target, *request.args]
    sys.path[0:1] = [str(path.parent)] if sys.path else [str(path.parent)]
    exec(code, main.__dict__)


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def _print_exception(kind, error, tb, hook_before, instrumented_files) -> None:
    """The traceback python would print: the program's frames, without the runner's or the checks'."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_INSTRUMENT_PACKAGE):
        tb = tb.tb_next
    if isinstance(error, LossCheckError):
        tb = _without_losslint_tail(tb)
    error.__traceback__ = tb
    _flush()
    if sys.excepthook is not hook_before:
        sys.excepthook(kind, error, tb)
        return
    report = traceback.TracebackException(kind, error, tb)
    for frame in report.stack:
        # Columns index the instrumented line, which is longer than the one printed: no carets there.
        if frame.filename in instrumented_files and hasattr(frame, "colno"):
            frame.colno = frame.end_colno = None
    sys.stderr.write("".join(report.format()))


def _without_losslint_tail(tb):
    """Cut the frames inside losslint off the end: the last frame shown is the user's line."""
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    while len(frames) > 1 and frames[-1].tb_frame.f_code.co_filename.startswith(_LOSSLINT_PACKAGE):
        frames.pop()
    if not frames:
        return None
    frames[-1].tb_next = None
    return frames[0]


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
