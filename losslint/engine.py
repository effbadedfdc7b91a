"""Files -> source -> tree -> facts -> findings: one parse, one facts walk, one rule walk per file."""

from __future__ import annotations

import ast
import io
import sys
from contextlib import contextmanager
import multiprocessing
import os
import signal
import stat
import re
import tokenize
import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple, Type

import libcst as cst

from losslint import apis
from losslint.context import CellLine, FileContext, LineLocator
from losslint.facts import analyze
from losslint.globs import PathPattern, PathPatterns, absolute
from losslint.imports import ImportTable
from losslint.notebook import JoinedCode, MalformedNotebook, join_code_cells, read_notebook
from losslint.cache import ResultCache
from losslint.reduce import reduce_source, reduce_tree
from losslint.registry import all_rules
from losslint.rule import Finding, Rule
from losslint.settings import DEFAULT_EXCLUDE
from losslint.screen import may_find
from losslint.suppressions import suppressed
from losslint.walk import Walker

PARSE_ERROR = "LL900"
MAX_FILE_BYTES = 8 << 20
UNREADABLE_FILE = "LL901"

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")
NOTEBOOK_SUFFIX = ".ipynb"

# Called after each file: (files done, files in all, the file's display name).
Progress = Callable[[int, int, str], None]


@lru_cache(maxsize=8)
def _trigger(knowledge: apis.Knowledge = apis.BUILT_IN) -> "re.Pattern[str]":
    """The prefilter: a file that matches none of these tokens cannot hold a finding."""
    # Short tokens such as `exp` need word boundaries, or `expected` and `export` would pass.
    tokens = apis.trigger_tokens(knowledge)
    return re.compile("|".join(rf"\b{re.escape(t)}\b" if len(t) <= 3 else re.escape(t) for t in tokens))


class _TriggerTest:
    """Whether a file's text mentions a trigger token: the same answer as ``_trigger().search``, faster.

    Long tokens are plain substring tests; a short one (`exp`) is found by its literal
    prefix and its word boundaries checked by hand, which ``re`` does not speed up.
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        self.plain = tuple(t for t in tokens if len(t) > 3)
        self.bounded = [re.compile(re.escape(t) + r"\b") for t in tokens if len(t) <= 3]

    def __call__(self, source: str) -> bool:
        if any(token in source for token in self.plain):
            return True
        for pattern in self.bounded:
            for match in pattern.finditer(source):
                start = match.start()
                if start == 0 or not (source[start - 1].isalnum() or source[start - 1] == "_"):
                    return True
        return False


@lru_cache(maxsize=8)
def _trigger_test(knowledge: apis.Knowledge = apis.BUILT_IN) -> _TriggerTest:
    return _TriggerTest(apis.trigger_tokens(knowledge))


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # rules that crashed: reported, never silent
    parsed: bool = False


@dataclass
class Report:
    results: List[FileResult] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # paths that do not exist

    @property
    def findings(self) -> List[Finding]:
        return sorted((f for r in self.results for f in r.findings), key=lambda f: f.sort_key)

    @property
    def internal_errors(self) -> List[str]:
        return [e for r in self.results for e in r.errors]


# ----- discovery


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def discover(
    paths: Sequence[str], exclude: Optional[PathPatterns] = None, force_exclude: bool = False
) -> Tuple[List[Tuple[Path, str]], List[str]]:
    """The Python files and notebooks under ``paths``, each with the name to show for it, and the paths that do not exist.

    Directories are searched recursively, skipping hidden folders, virtualenvs and
    whatever ``exclude`` matches (by default caches and build output). A path named
    on the command line is always linted, unless ``force_exclude`` is set (as the
    pre-commit hook does) and ``exclude`` matches it or a folder above it.
    """
    if exclude is None:
        exclude = PathPatterns.of(DEFAULT_EXCLUDE, os.getcwd())
    files: List[Tuple[Path, str]] = []
    missing: List[str] = []
    seen = set()
    folders: Dict[str, str] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            missing.append(given)
            continue
        if force_exclude and exclude.matches_path_or_parent(absolute(path)):
            continue
        if path.is_dir():
            candidates: Iterator[Tuple[Path, str]] = _walk(path, given, exclude)
        else:
            candidates = iter([(path, given)])
        for file, display in candidates:
            key = _real_path(file, folders)
            if key not in seen:
                seen.add(key)
                files.append((file, display))
    return files, missing


def _real_path(file: Path, folders: Dict[str, str]) -> str:
    """``os.path.realpath(file)``, each folder resolved once: that costs a system call per path component."""
    text = os.fspath(file)
    if os.path.islink(text):
        return os.path.realpath(text)
    folder, name = os.path.split(text)
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder or os.curdir)
    return os.path.join(real, name)


def _walk(root: Path, display_root: str, exclude: PathPatterns) -> Iterator[Tuple[Path, str]]:
    for directory, subdirectories, filenames in os.walk(root):
        here = Path(directory)
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not name.startswith(".") and not _is_virtualenv(here / name) and not exclude.matches(absolute(here / name))
        )
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES) and not exclude.matches(absolute(here / name)):
                file = here / name
                relative = file.relative_to(root)
                display = str(relative) if display_root in (".", "./") else os.path.join(display_root, str(relative))
                yield file, display


# ----- reading


class UndecodableSource(Exception):
    pass


def decode(data: bytes) -> str:
    """Bytes to text as Python reads a source file: a BOM or a PEP 263 coding cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        raise UndecodableSource(str(error)) from error
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


# ----- linting


RuleClasses = Sequence[Type[Rule]]


def lint_file(
    path: Path,
    display: str,
    rules: RuleClasses,
    knowledge: apis.Knowledge = apis.BUILT_IN,
    cache: Optional[ResultCache] = None,
) -> FileResult:
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            # A FIFO or a device named `x.py` would block the read forever.
            return _unreadable(display, rules, "not a regular file, so it was not read")
        if status.st_size > MAX_FILE_BYTES:
            # Parsing costs memory in proportion to size; files this large are generated, not written.
            limit = MAX_FILE_BYTES // (1 << 20)
            return _unreadable(display, rules, f"larger than {limit} MB, so it was not checked (generated code?)")
        data = path.read_bytes()
    except OSError as error:
        return _unreadable(display, rules, f"cannot read the file: {error.strerror or error}")
    key = cache.key(data, display, [rule.code for rule in rules]) if cache is not None else None
    if key is not None:
        cached = cache.get(key)
        if isinstance(cached, FileResult):
            return cached
    result = _lint_data(path, data, display, rules, knowledge)
    if key is not None and not result.errors:
        cache.put(key, result)  # a crash is never remembered: the next run tries again
    return result


def _lint_data(path: Path, data: bytes, display: str, rules: RuleClasses, knowledge: apis.Knowledge) -> FileResult:
    if path.suffix == NOTEBOOK_SUFFIX:
        return lint_notebook(data, display, rules, knowledge)
    try:
        source = decode(data)
    except UndecodableSource as error:
        return _unreadable(display, rules, f"cannot decode the file: {error}")
    return lint_source(source, display, rules, knowledge)


def lint_source(
    source: str,
    path: str = "<string>",
    rules: Optional[RuleClasses] = None,
    knowledge: apis.Knowledge = apis.BUILT_IN,
    locate: Optional[LineLocator] = None,
    reduce: bool = True,
    screen: bool = True,
) -> FileResult:
    """Lint one file's text with ``rules`` (default: the default-enabled rules).

    ``locate`` maps a line of ``source`` to (cell, line within the cell) when the
    source is a notebook's joined code; messages then name lines as a reader sees them.
    ``reduce`` lets the parser skip top-level statements that cannot take part in a
    finding (``losslint/reduce.py``), and ``screen`` skips LibCST altogether where the
    analysis on ``ast`` shows no rule has its evidence (``losslint/screen``); neither
    changes the findings.
    """
    if rules is None:
        from losslint.registry import select

        rules = select()
    result = FileResult(path)
    walking = [r for r in rules if _has_visitors(r)]
    trigger = _trigger(knowledge)
    if not walking or not _trigger_test(knowledge)(source):
        # No rule can find anything without a softmax, sigmoid or exp in the text: skip the parse.
        return result
    try:
        # CPython's parser first: it rejects invalid or pathologically nested code in C, quickly,
        # where LibCST can take minutes or overflow its stack.
        tree = _python_parse(source)
    except SyntaxError as error:
        if _wants(rules, PARSE_ERROR):
            line, column = error.lineno or 1, max(1, error.offset or 1)
            message = f"the file is not valid Python, so it was not checked: {error.msg}"
            result.findings.append(_file_finding(PARSE_ERROR, path, message, line, column))
        return result
    except (ValueError, RecursionError, MemoryError) as error:
        if _wants(rules, PARSE_ERROR):
            if isinstance(error, ValueError):
                message = "the file is not valid Python, so it was not checked: it contains a null byte"
            else:
                message = "the file is nested too deeply for the parser, so it was not checked"
            result.findings.append(_file_finding(PARSE_ERROR, path, message, 1, 1))
        return result
    if screen and not _may_find(*(reduce_tree(source, trigger, tree) if reduce else (tree, None)), source, walking, knowledge, result):
        result.parsed = True
        return result
    parsed_text = (reduce_source(source, trigger, tree) if reduce else None) or source
    try:
        module = cst.parse_module(parsed_text)
    except cst.ParserSyntaxError as error:
        if _wants(rules, PARSE_ERROR):
            result.findings.append(_parse_error(path, source, error))
        return result
    except RecursionError:
        if _wants(rules, PARSE_ERROR):
            message = "the file is nested too deeply for the parser, so it was not checked"
            result.findings.append(_file_finding(PARSE_ERROR, path, message, 1, 1))
        return result
    result.parsed = True
    if not walking:
        return result
    try:
        with _deep_recursion():
            facts = analyze(module, ImportTable.from_module(module), knowledge)
    except RecursionError:
        return _too_deep(result, rules, path)
    except Exception as error:  # a bug in losslint must not stop the run
        result.errors.append(f"{path}: the value-kind analysis crashed: {type(error).__name__}: {error}")
        return result
    context = FileContext(path, source, module, facts, locate)
    walker = _RuleWalker(context, [rule(context) for rule in walking], result.errors)
    try:
        with _deep_recursion():
            walker.walk(module)
    except RecursionError:
        return _too_deep(result, rules, path)
    lines = source.splitlines()
    result.findings.extend(f for f in context.findings if not suppressed(f, lines))
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def lint_notebook(data: bytes, display: str, rules: RuleClasses, knowledge: apis.Knowledge = apis.BUILT_IN) -> FileResult:
    """Lint a notebook's code cells as one module; findings carry their cell and the line within it."""
    try:
        text = data.decode("utf-8-sig")  # nbformat notebooks are UTF-8 JSON
    except UnicodeDecodeError as error:
        return _unreadable(display, rules, f"cannot decode the notebook as UTF-8: {error}")
    try:
        notebook = read_notebook(text)
    except MalformedNotebook as error:
        return _unreadable(display, rules, f"cannot read the notebook: {error}")
    if not notebook.is_python:
        return FileResult(display)  # an R or Julia notebook is not ours to check
    joined = join_code_cells(notebook.cells)
    result = lint_source(joined.source, display, rules, knowledge, locate=joined.locate)
    result.findings = [_in_cell(finding, joined) for finding in result.findings]
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _in_cell(finding: Finding, joined: JoinedCode) -> Finding:
    """A finding on the joined source, moved to its cell and the line within the cell."""
    cell, line = joined.locate(finding.line)
    end_cell, end_line = joined.locate(finding.end_line)
    end_column = finding.end_column
    if end_cell != cell:  # a node never spans cells; keep the location well-formed if one ever does
        end_line, end_column = line, finding.column
    related = []
    for note in finding.related:
        note_cell, note_line = joined.locate(note.line)
        related.append(replace(note, cell=note_cell, line=note_line))
    return replace(finding, cell=cell, line=line, end_line=end_line, end_column=end_column, related=tuple(related))


PerFileIgnores = Sequence[Tuple[PathPattern, FrozenSet[str]]]


def lint_paths(
    paths: Sequence[str],
    rules: RuleClasses,
    knowledge: apis.Knowledge = apis.BUILT_IN,
    *,
    exclude: Optional[PathPatterns] = None,
    force_exclude: bool = False,
    per_file_ignores: PerFileIgnores = (),
    progress: Optional[Progress] = None,
    jobs: Optional[int] = 1,
    cache: Optional[ResultCache] = None,
) -> Report:
    """Lint every file under ``paths``; ``jobs`` processes (None: one per core) share the files.

    Results come back in a stable order whatever the number of processes.
    """
    files, missing = discover(paths, exclude, force_exclude)
    report = Report(errors=[f"{given}: no such file or directory" for given in missing])
    tasks = [(file, display, tuple(r.code for r in rules_for(file, rules, per_file_ignores))) for file, display in files]
    workers = min(jobs or os.cpu_count() or 1, max(1, len(tasks) // _FILES_PER_WORKER))
    total, done = len(tasks), 0
    if workers > 1 and cache is not None:
        # Answer from the cache here first: on an unchanged tree, starting workers and sending
        # every result back through them costs more than the lookups themselves.
        left = []
        for task in tasks:
            cached = _cached(task, cache)
            if cached is None:
                left.append(task)
                continue
            report.results.append(cached)
            done += 1
            if progress is not None:
                progress(done, total, cached.path)
        tasks = left
        workers = min(workers, max(1, len(tasks) // _FILES_PER_WORKER))
    counted = _offset(progress, done, total)
    if workers <= 1:
        results = (_lint_task(task, knowledge, cache) for task in tasks)
        for number, result in enumerate(results, start=1):
            report.results.append(result)
            if counted is not None:
                counted(number, len(tasks), result.path)
    else:
        report.results.extend(_lint_in_processes(tasks, knowledge, workers, counted, cache))
    report.results.sort(key=lambda r: r.path)
    return report


def _cached(task, cache: ResultCache) -> Optional[FileResult]:
    """The cached result of a task, or None for anything ``lint_file`` must see (a miss, an unreadable file)."""
    file, display, codes = task
    try:
        status = os.stat(file)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            return None
        data = file.read_bytes()
    except OSError:
        return None
    cached = cache.get(cache.key(data, display, codes))
    return cached if isinstance(cached, FileResult) else None


def _offset(progress: Optional[Progress], done: int, total: int) -> Optional[Progress]:
    """Progress for the files after the first ``done``, counted out of all ``total``."""
    if progress is None or done == 0:
        return progress
    return lambda number, _, path: progress(done + number, total, path)


# A worker is only worth starting for this many files: a small run stays in one process.
_FILES_PER_WORKER = 16


def _lint_task(task, knowledge: apis.Knowledge, cache: Optional[ResultCache] = None) -> FileResult:
    file, display, codes = task
    chosen = all_rules()
    return lint_file(file, display, [chosen[code] for code in codes], knowledge, cache)


_WORKER_STATE: Tuple[apis.Knowledge, Optional[ResultCache]] = (apis.BUILT_IN, None)


def _start_worker(knowledge: apis.Knowledge, cache: Optional[ResultCache]) -> None:
    global _WORKER_STATE
    # Ctrl-C is the parent's to handle: workers ignore it, so it does not print a traceback per process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's SIGTERM handler is inherited; the parent ends workers with SIGTERM, which must simply kill them.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER_STATE = (knowledge, cache)


class Terminated(SystemExit):
    """SIGTERM reached the parent of a parallel run: exit with 143, as a process killed by it would."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into ``Terminated`` while workers run, so the parent can end them before it exits.

    Left to its default action, SIGTERM would kill the parent at once and leave the workers running.
    """

    def stop(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not interrupt the clean-up
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread, where Python cannot handle signals: keep the default
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _lint_in_worker(task) -> FileResult:
    return _lint_task(task, *_WORKER_STATE)


def _lint_in_processes(
    tasks, knowledge: apis.Knowledge, workers: int, progress: Optional[Progress], cache: Optional[ResultCache]
) -> List[FileResult]:
    results: List[FileResult] = []
    chunk = max(1, min(32, len(tasks) // (workers * 8)))
    with _sigterm_raises():
        pool = multiprocessing.Pool(workers, initializer=_start_worker, initargs=(knowledge, cache))
        try:
            for done, result in enumerate(pool.imap(_lint_in_worker, tasks, chunksize=chunk), start=1):
                results.append(result)
                if progress is not None:
                    progress(done, len(tasks), result.path)
        except BaseException:
            # Ctrl-C, SIGTERM or a failure: kill the workers outright; waiting for them, or for
            # the queue threads that feed them, is what makes an interrupted pool hang.
            for worker in list(getattr(pool, "_pool", ())):
                if worker.is_alive():
                    worker.kill()
            pool.terminate()
            raise
        pool.close()
        pool.join()
    return results


def rules_for(file: Path, rules: RuleClasses, per_file_ignores: PerFileIgnores = ()) -> RuleClasses:
    """The rules that apply to one file, after the configuration's per-file ignores."""
    ignored = _ignored_codes(file, per_file_ignores)
    return [rule for rule in rules if rule.code not in ignored] if ignored else rules


def _ignored_codes(file: Path, per_file_ignores: PerFileIgnores) -> FrozenSet[str]:
    if not per_file_ignores:
        return frozenset()
    where = absolute(file)
    ignored: FrozenSet[str] = frozenset()
    for pattern, codes in per_file_ignores:
        if pattern.matches_path_or_parent(where):
            ignored |= codes
    return ignored


# ----- the batched walk


def _python_parse(source: str) -> ast.Module:
    """``ast.parse`` without the compiler's warnings about the code (``"a"()``, ``"\\d"``): not ours to print."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(source)


def _may_find(tree, index, source: str, rules: RuleClasses, knowledge: apis.Knowledge, result: FileResult) -> bool:
    """The screen's answer, or yes where it has none, so that the full analysis decides."""
    try:
        with _deep_recursion():
            return may_find(tree, source, rules, knowledge, index)
    except RecursionError:
        return True  # the full analysis reports the file as too deep, or lints it
    except Exception as error:  # a bug in losslint: said, and the file is still linted
        result.errors.append(f"{result.path}: the screen crashed: {type(error).__name__}: {error}")
        return True


def _has_visitors(rule: Type[Rule]) -> bool:
    return any(name.startswith(("visit_", "leave_")) for name in dir(rule))


def _wants(rules: RuleClasses, code: str) -> bool:
    return any(rule.code == code for rule in rules)


class _RuleWalker:
    """Calls every rule's ``visit_<Node>``/``leave_<Node>`` in one walk of the tree."""

    def __init__(self, context: FileContext, rules: List[Rule], errors: List[str]) -> None:
        self.context = context
        self.errors = errors
        self.crashed: set = set()
        enter: Dict[str, List[Callable]] = {}
        leave: Dict[str, List[Callable]] = {}
        for rule in rules:
            for name in dir(rule):
                if name.startswith("visit_"):
                    enter.setdefault(name[6:], []).append(self._guarded(rule, getattr(rule, name)))
                elif name.startswith("leave_"):
                    leave.setdefault(name[6:], []).append(self._guarded(rule, getattr(rule, name)))
        self._walker = Walker(enter, leave)

    def walk(self, module: cst.Module) -> None:
        try:
            self._walker.walk(module)
        finally:
            # The handlers refer back to this walker: drop them, so the tree is freed when the
            # file is done instead of waiting for the cycle collector.
            self._walker = None

    def _guarded(self, rule: Rule, method: Callable) -> Callable[[cst.CSTNode], None]:
        return lambda node: self._call(rule, method, node)

    def _call(self, rule: Rule, method: Callable, node: cst.CSTNode) -> None:
        if rule.code in self.crashed:
            return
        try:
            method(node)
        except Exception as error:  # one rule's bug must not hide the others' findings
            self.crashed.add(rule.code)
            line = self._line(node)
            self.errors.append(
                f"{self.context.path}:{line}: rule {rule.code} ({rule.name}) crashed and was skipped for this file: "
                f"{type(error).__name__}: {error}"
            )

    def _line(self, node: cst.CSTNode) -> str:
        try:
            line = self.context.line_number(node)
        except Exception:
            return "?"
        return f"cell {line.cell}:{line.line_in_cell}" if isinstance(line, CellLine) else str(line)


# ----- findings about the file itself


@contextmanager
def _deep_recursion(limit: int = 20000):
    """Room for the tree walks on deeply nested code that CPython itself accepted."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _too_deep(result: FileResult, rules: RuleClasses, path: str) -> FileResult:
    result.findings = []
    if _wants(rules, PARSE_ERROR):
        message = "the file is nested too deeply to analyse, so it was not checked"
        result.findings.append(_file_finding(PARSE_ERROR, path, message, 1, 1))
    return result


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "syntax error"


def _parse_error(path: str, source: str, error: cst.ParserSyntaxError) -> Finding:
    """LL900 at the position CPython gives, which points at the mistake rather than past it."""
    line, column, reason = error.editor_line, error.editor_column, _first_line(error.message)
    try:
        compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as python_error:
        if python_error.lineno:
            line, column = python_error.lineno, max(1, python_error.offset or 1)
            reason = python_error.msg
    except (ValueError, RecursionError, MemoryError):
        pass
    message = f"the file is not valid Python, so it was not checked: {reason}"
    return _file_finding(PARSE_ERROR, path, message, line, column)


def _file_finding(code: str, path: str, message: str, line: int, column: int) -> Finding:
    rule = all_rules()[code]
    return Finding(code, rule.name, message, path, line, column, line, column, fix_title=rule.fix_title)


def _unreadable(path: str, rules: RuleClasses, message: str) -> FileResult:
    result = FileResult(path)
    if _wants(rules, UNREADABLE_FILE):
        result.findings.append(_file_finding(UNREADABLE_FILE, path, message, 1, 1))
    return result
