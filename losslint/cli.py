"""The command line: parse arguments, call the engine, print, exit. No linting logic lives here."""

# No `from __future__ import annotations` here: with string annotations, typer on
# Python 3.9 loses the Annotated[..., typer.Option(...)] metadata and `check` stops
# accepting its arguments. Every annotation below is valid at run time on 3.9.
import sys
from typing import Annotated, List, Optional

import typer

from losslint import __version__

# The commands import the engine, the rules and LibCST themselves: `losslint run` on a
# program whose modules are all in the cache then starts without loading any of them.

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Finds loss-function and gradient mistakes that make neural networks train badly without an error.",
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"losslint {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """losslint: static checks for softmax, sigmoid, cross-entropy and their gradients."""


@app.command()
def check(
    paths: Annotated[Optional[List[str]], typer.Argument(help="Files or directories to check (default: .).")] = None,
    select_codes: Annotated[
        Optional[List[str]],
        typer.Option(
            "--select",
            help="Rule codes or prefixes to enable, e.g. LL001,LL004 or LL; replaces the default set and the configuration's.",
        ),
    ] = None,
    extend_select_codes: Annotated[
        Optional[List[str]],
        typer.Option("--extend-select", help="Rule codes or prefixes to enable on top of the selection."),
    ] = None,
    ignore_codes: Annotated[
        Optional[List[str]], typer.Option("--ignore", help="Rule codes or prefixes to disable.")
    ] = None,
    exclude: Annotated[
        Optional[List[str]],
        typer.Option(
            "--exclude",
            help="Path patterns to skip, replacing the configuration's and the defaults (relative to the current folder).",
        ),
    ] = None,
    extend_exclude: Annotated[
        Optional[List[str]],
        typer.Option("--extend-exclude", help="Path patterns to skip in addition to the excluded ones."),
    ] = None,
    force_exclude: Annotated[
        bool,
        typer.Option(
            "--force-exclude",
            help="Apply the excludes to files named on the command line too (the pre-commit hook sets this).",
        ),
    ] = False,
    config_file: Annotated[
        Optional[str],
        typer.Option(
            "--config", help="Read settings from this file instead of the nearest pyproject.toml with a tool.losslint table."
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", help="Output format: text (with source and help), concise (one line each), json, sarif or github."
        ),
    ] = "text",
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")] = False,
    statistics: Annotated[bool, typer.Option("--statistics", help="Print the number of findings per rule instead.")] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print findings and nothing else: no progress bar, no 'All checks passed!'."),
    ] = False,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes in place, then report what is left.")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a unified diff and change nothing; exit 1 if there are any.")
    ] = False,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="With --fix or --diff, also apply fixes marked unsafe.")
    ] = False,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", min=1, help="Processes to lint with (default: one per core; small runs use one)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Lint every file afresh; neither read nor write .losslint_cache/.")
    ] = False,
) -> None:
    """Check files and notebooks for loss, activation and gradient mismatches."""
    from losslint.config import ConfigError, discover_config
    from losslint.registry import SelectionError, split_codes
    from losslint.report import FORMATS
    from losslint.settings import Overrides, build_settings

    if output_format not in FORMATS:
        _usage_error(f"unknown format {output_format!r}; choose one of: {', '.join(FORMATS)}")
    targets = paths or ["."]
    overrides = Overrides(
        select=split_codes(select_codes) or None,
        extend_select=split_codes(extend_select_codes),
        ignore=split_codes(ignore_codes),
        exclude=split_codes(exclude) if exclude is not None else None,
        extend_exclude=split_codes(extend_exclude),
        force_exclude=force_exclude,
        no_cache=no_cache,
    )
    try:
        settings = build_settings(discover_config(targets, config_file), overrides)
    except (ConfigError, SelectionError) as error:
        _usage_error(str(error))
    try:
        _check(targets, settings, output_format, exit_zero, statistics, quiet, fix, diff, unsafe_fixes, jobs)
    except KeyboardInterrupt:
        # Ctrl-C: one line instead of a traceback per worker; 130 is the shell's code for SIGINT.
        typer.echo("losslint: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)


def _check(targets, settings, output_format, exit_zero, statistics, quiet, fix, diff, unsafe_fixes, jobs) -> None:
    from losslint.cache import ResultCache
    from losslint.engine import lint_paths
    from losslint.progress import ProgressBar
    from losslint.report import FORMATS, NEEDS_SOURCES, format_statistics, read_sources

    if fix or diff:
        _apply_fixes(targets, settings, unsafe_fixes, write=not diff, quiet=quiet)
    progress = ProgressBar.for_stream(sys.stderr, quiet)
    report = lint_paths(
        targets,
        settings.rules,
        settings.knowledge,
        exclude=settings.exclude,
        force_exclude=settings.force_exclude,
        per_file_ignores=settings.per_file_ignores,
        progress=progress,
        jobs=jobs,
        cache=ResultCache(settings.cache_dir, settings.knowledge) if settings.cache_dir is not None else None,
    )
    progress.finish()
    findings = report.findings
    if statistics:
        typer.echo(format_statistics(findings), nl=False)
    elif findings or not (quiet and output_format == "text"):
        sources = read_sources(findings) if output_format in NEEDS_SOURCES else {}
        typer.echo(FORMATS[output_format](findings, sources, sys.stdout.isatty()), nl=False)
    problems = report.errors + report.internal_errors
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


def _apply_fixes(targets: List[str], settings, unsafe: bool, write: bool, quiet: bool) -> None:
    """--fix writes and returns so the remaining findings are reported; --diff prints and exits."""
    from losslint.engine import discover
    from losslint.fixer import fix_files

    files, _ = discover(targets, settings.exclude, settings.force_exclude)
    outcomes = fix_files(files, settings.rules, settings.knowledge, unsafe, write, settings.per_file_ignores)
    failures = [o.error for o in outcomes if o.error]
    for failure in failures:
        typer.echo(f"error: {failure}", err=True)
    fixed = sum(o.applied for o in outcomes if not o.error)
    if not write:
        typer.echo("".join(o.diff for o in outcomes), nl=False)
        if not quiet:
            typer.echo(f"Would fix {fixed} finding{'s' if fixed != 1 else ''}.", err=True)
        raise typer.Exit(EXIT_ERROR if failures else EXIT_FINDINGS if fixed else EXIT_CLEAN)
    if fixed and not quiet:
        changed = sum(1 for o in outcomes if o.applied and not o.error)
        typer.echo(f"Fixed {fixed} finding{'s' if fixed != 1 else ''} in {changed} file{'s' if changed != 1 else ''}.", err=True)
    if failures:
        raise typer.Exit(EXIT_ERROR)


@app.command("rules")
def list_rules() -> None:
    """List every rule: code, name, whether it is on by default, and what it catches."""
    from losslint.registry import all_rules

    rules = all_rules().values()
    width = max(len(rule.name) for rule in rules)
    typer.echo(f"{'code':<6}  {'name':<{width}}  {'default':<7}  {'fix':<6}  summary")
    for rule in rules:
        default = "on" if rule.default_enabled else "off"
        typer.echo(f"{rule.code:<6}  {rule.name:<{width}}  {default:<7}  {rule.fix_safety or '-':<6}  {rule.summary}")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A rule code such as LL002, or its name.")]) -> None:
    """Print a rule's documentation: what it does, why, an example, and what to write instead."""
    from losslint.registry import all_rules

    wanted = code.strip()
    for rule in all_rules().values():
        if wanted.upper() == rule.code or wanted == rule.name:
            typer.echo(f"# {rule.code} {rule.name}\n")
            typer.echo(rule.documentation())
            fixes = f"{rule.fix_safety}: {rule.FIX_NOTE}" if rule.fix_safety else "none; the message says what to write"
            typer.echo(f"\n## Fix\n{fixes}")
            return
    _usage_error(f"unknown rule {code!r}; valid codes: {', '.join(all_rules())}")


@app.command()
def clean(
    config_file: Annotated[
        Optional[str], typer.Option("--config", help="The configuration whose cache-dir to clean.")
    ] = None,
) -> None:
    """Remove the cache folder (.losslint_cache/, or the configuration's cache-dir)."""
    from losslint.cache import clean as clean_cache
    from losslint.config import ConfigError, discover_config
    from losslint.registry import SelectionError
    from losslint.settings import Overrides, build_settings

    try:
        folder = build_settings(discover_config(["."], config_file), Overrides()).cache_dir
        removed = clean_cache(folder)
    except (ConfigError, SelectionError, ValueError) as error:
        _usage_error(str(error))
    typer.echo(f"Removed {folder}" if removed else f"No cache at {folder}")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
    options_metavar="[OPTIONS] SCRIPT|-m MODULE [ARGS]...",
)
def run(context: typer.Context) -> None:
    """Run a Python program with run-time checks where its losses and gradients meet their inputs (see losslint run --help)."""
    from losslint.instrument.arguments import main as run_main

    raise typer.Exit(run_main(list(context.args)))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"losslint {__version__}")


def _usage_error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def main() -> None:
    app()
