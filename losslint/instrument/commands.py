"""The two things ``losslint run`` does, called by the thin CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

from . import report
from .runner import RunRequest, run


def run_command(
    target: str, args: List[str], module: bool, warn: bool, output_format: str, output, include: List[str], use_cache: bool
) -> int:
    request = RunRequest(target, list(args), module, warn, output_format, output, list(include), use_cache)
    return run(request)


def list_sites_command(target: str, module: bool, include: List[str], output_format: str) -> int:
    script = None if module or not target else Path(target)
    if script is not None and not script.is_file():
        sys.stderr.write(f"losslint run: can't open file {target!r}: no such file\n")
        return 2
    from .listing import listing_instrumenter, sites_to_instrument  # reads files with the engine, and LibCST

    start_at = Path.cwd() if script is None else script.resolve().parent
    instrumenter = listing_instrumenter(start_at, [Path(p) for p in include])
    sites, files_read, problems = sites_to_instrument(script, instrumenter)
    for problem in problems:
        sys.stderr.write(problem + "\n")
    report.list_sites(sites, files_read, output_format, sys.stdout)
    return 0
