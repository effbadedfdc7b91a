"""The command line: parse arguments, call the engine, print, exit. No linting logic lives here."""

from __future__ import annotations

import sys
from typing import Annotated, List, Optional

import typer

from losslint import __version__
from losslint.engine import lint_paths
from losslint.registry import SelectionError, all_rules, select, split_codes
from losslint.report import FORMATS, format_statistics

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Finds loss-function and gradient mistakes that make neural networks train badly without an error.",
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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
        typer.Option("--select", help="Rule codes or prefixes to enable, e.g. LL001,LL004 or LL; replaces the default set."),
    ] = None,
    ignore_codes: Annotated[
        Optional[List[str]], typer.Option("--ignore", help="Rule codes or prefixes to disable.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="Output format: text (with source and help) or concise (one line each).")
    ] = "text",
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")] = False,
    statistics: Annotated[bool, typer.Option("--statistics", help="Print the number of findings per rule instead.")] = False,
) -> None:
    """Check files for loss, activation and gradient mismatches."""
    if output_format not in FORMATS:
        _usage_error(f"unknown format {output_format!r}; choose one of: {', '.join(FORMATS)}")
    try:
        rules = select(split_codes(select_codes), split_codes(ignore_codes))
    except SelectionError as error:
        _usage_error(str(error))
    report = lint_paths(paths or ["."], rules)
    findings = report.findings
    if statistics:
        typer.echo(format_statistics(findings), nl=False)
    else:
        sources = _sources_of(findings) if output_format == "text" else {}
        typer.echo(FORMATS[output_format](findings, sources, sys.stdout.isatty()), nl=False)
    problems = report.errors + report.internal_errors
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


@app.command("rules")
def list_rules() -> None:
    """List every rule: code, name, whether it is on by default, and what it catches."""
    rules = all_rules().values()
    width = max(len(rule.name) for rule in rules)
    typer.echo(f"{'code':<6}  {'name':<{width}}  {'default':<7}  summary")
    for rule in rules:
        default = "on" if rule.default_enabled else "off"
        typer.echo(f"{rule.code:<6}  {rule.name:<{width}}  {default:<7}  {rule.summary}")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A rule code such as LL002, or its name.")]) -> None:
    """Print a rule's documentation: what it does, why, an example, and what to write instead."""
    wanted = code.strip()
    for rule in all_rules().values():
        if wanted.upper() == rule.code or wanted == rule.name:
            typer.echo(f"# {rule.code} {rule.name}\n")
            typer.echo(rule.documentation())
            return
    _usage_error(f"unknown rule {code!r}; valid codes: {', '.join(all_rules())}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"losslint {__version__}")


def _sources_of(findings) -> dict:
    from losslint.engine import decode

    sources = {}
    for finding in findings:
        if finding.path in sources:
            continue
        try:
            with open(finding.path, "rb") as handle:
                sources[finding.path] = decode(handle.read()).splitlines()
        except Exception:
            sources[finding.path] = []
    return sources


def _usage_error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def main() -> None:
    app()
