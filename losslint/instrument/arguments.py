"""The command line of ``losslint run``, parsed without typer so that a run starts quickly.

``losslint.entry`` hands ``losslint run ...`` straight here; the typer app's
``run`` command forwards to the same function, so there is one definition.
Everything after the script (or the module name, with ``-m``) belongs to the
program, options included.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

_USAGE = "losslint run [OPTIONS] SCRIPT [ARGS]...\n       losslint run [OPTIONS] -m MODULE [ARGS]..."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="losslint run",
        usage=_USAGE,
        description="Run a Python program with run-time checks where its losses and gradients meet their inputs.",
    )
    parser.add_argument("-m", "--module", action="store_true", help="run a module as `python -m` does: the first argument is its name")
    parser.add_argument("--warn", action="store_true", help="do not stop at the first failed check: let the program finish, then summarise")
    parser.add_argument("--format", dest="output_format", choices=("text", "json"), default="text", help="summary format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the summary to FILE instead of stderr")
    parser.add_argument("--list-sites", action="store_true", help="print the sites that would be checked, and run nothing")
    parser.add_argument("--include", action="append", default=[], metavar="PATH", help="also instrument modules under PATH (even in site-packages); repeatable")
    parser.add_argument("--no-cache", action="store_true", help="instrument every module afresh; neither read nor write .losslint_cache/")
    parser.add_argument("program", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Parse ``argv`` (what follows ``losslint run``) and run or list; returns the exit code."""
    parser = _parser()
    try:
        options = parser.parse_args(sys.argv[2:] if argv is None else argv)
    except SystemExit as done:  # --help (0) or a usage error (2), already printed by argparse
        return int(done.code or 0)
    from .commands import list_sites_command, run_command

    target, rest = (options.program[0], options.program[1:]) if options.program else ("", [])
    if options.list_sites:
        if not target and not options.module:
            return _usage("name a script, or -m to list the project around the current folder")
        return list_sites_command(target, options.module, options.include, options.output_format)
    if not target:
        return _usage("name a script to run, or -m MODULE")
    return run_command(
        target, rest, options.module, options.warn, options.output_format, options.output, options.include, not options.no_cache
    )


def _usage(message: str) -> int:
    sys.stderr.write(f"usage: {_USAGE}\nerror: {message}\n")
    return 2
