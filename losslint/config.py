"""``[tool.losslint]`` in ``pyproject.toml``: finding it, reading it, and refusing what it cannot mean.

The table is read once per run, from ``--config FILE`` or from the nearest
``pyproject.toml`` above the linted paths that has a ``[tool.losslint]`` table
(a ``pyproject.toml`` without one is passed over, as ruff does). Every key and
every rule code is checked here, so a typo stops the run with a message that
names it instead of silently changing nothing.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from losslint.globs import absolute

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10
    import tomli as tomllib

PYPROJECT = "pyproject.toml"

CODE_LIST_KEYS = ("select", "extend-select", "ignore")
PATTERN_LIST_KEYS = ("exclude", "extend-exclude")
KEYS = CODE_LIST_KEYS + PATTERN_LIST_KEYS + ("per-file-ignores", "apis", "cache-dir")

# [tool.losslint.apis]: the user's own functions, by qualified name, per role.
API_KEYS = ("softmax", "sigmoid", "one_hot", "categorical_loss", "binary_loss")

_QUALIFIED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


class ConfigError(ValueError):
    """A configuration file that cannot be read or names something that does not exist."""


@dataclass(frozen=True)
class Config:
    """The validated contents of one ``[tool.losslint]`` table (or none)."""

    path: Optional[Path] = None  # the file it came from; None when no file was found
    root: Path = field(default_factory=lambda: absolute(os.getcwd()))  # what relative patterns are relative to
    select: Optional[List[str]] = None
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    exclude: Optional[List[str]] = None
    extend_exclude: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    apis: Dict[str, List[str]] = field(default_factory=dict)
    cache_dir: Optional[Path] = None  # relative to the file's folder; default .losslint_cache beside it


def find_config(start: Path) -> Optional[Path]:
    """The nearest ``pyproject.toml`` at or above ``start`` that has a ``[tool.losslint]`` table."""
    directory = absolute(start)
    if not directory.is_dir():
        directory = directory.parent
    for candidate_dir in [directory, *directory.parents]:
        candidate = candidate_dir / PYPROJECT
        if candidate.is_file() and _has_losslint_table(candidate):
            return candidate
    return None


def _has_losslint_table(path: Path) -> bool:
    try:
        document = _read_toml(path)
    except ConfigError:
        # A broken pyproject.toml that mentions losslint is still ours to report.
        return "tool.losslint" in path.read_text(encoding="utf-8", errors="replace")
    return isinstance(document.get("tool"), dict) and "losslint" in document["tool"]


def start_directory(paths: Sequence[str]) -> Path:
    """Where the search for a configuration begins: the deepest folder holding every linted path."""
    if not paths:
        return absolute(os.getcwd())
    folders = []
    for given in paths:
        path = absolute(given)
        folders.append(str(path if path.is_dir() else path.parent))
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # paths on different drives
        return absolute(os.getcwd())


def discover_config(paths: Sequence[str], explicit: Optional[str] = None) -> Config:
    """The configuration for a run over ``paths``: ``explicit`` if given, else the nearest one, else defaults."""
    if explicit is not None:
        path = absolute(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        return load_config(path)
    found = find_config(start_directory(paths))
    return load_config(found) if found is not None else Config()


def load_config(path: Path) -> Config:
    """Read and validate the losslint table of ``path``.

    In a ``pyproject.toml`` the table is ``[tool.losslint]``; any other TOML file
    (a ``losslint.toml``) holds the same keys at its top level.
    """
    document = _read_toml(path)
    if path.name == PYPROJECT:
        tool = document.get("tool", {})
        table = tool.get("losslint", {}) if isinstance(tool, dict) else {}
        where = f"[tool.losslint] in {path}"
    else:
        table = document
        where = str(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    return parse_table(table, where, path)


def _read_toml(path: Path) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the file: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error


def parse_table(table: Mapping[str, Any], where: str, path: Optional[Path] = None) -> Config:
    """Validate one losslint table; ``where`` names it in error messages."""
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise ConfigError(_unknown("key", unknown[0], where, KEYS))
    values: Dict[str, Any] = {}
    for key in CODE_LIST_KEYS:
        if key in table:
            values[key] = _codes(table[key], f"{where}: `{key}`")
    for key in PATTERN_LIST_KEYS:
        if key in table:
            values[key] = _strings(table[key], f"{where}: `{key}`")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where}: `per-file-ignores` must be a table of glob = [codes]")
    per_file_ignores = {
        str(pattern): _codes(codes, f"{where}: `per-file-ignores` for {pattern!r}") for pattern, codes in per_file.items()
    }
    return Config(
        path=path,
        root=absolute(path.parent) if path is not None else absolute(os.getcwd()),
        select=values.get("select"),
        extend_select=values.get("extend-select", []),
        ignore=values.get("ignore", []),
        exclude=values.get("exclude"),
        extend_exclude=values.get("extend-exclude", []),
        per_file_ignores=per_file_ignores,
        apis=_apis(table.get("apis", {}), f"{where}: `apis`"),
        cache_dir=_cache_dir(table.get("cache-dir"), path, where),
    )


def _cache_dir(value, path: Optional[Path], where: str) -> Optional[Path]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: `cache-dir` must be a folder path (a string)")
    folder = Path(value).expanduser()
    base = absolute(path.parent) if path is not None else absolute(os.getcwd())
    return folder if folder.is_absolute() else base / folder


def _unknown(what: str, name: str, where: str, valid: Sequence[str]) -> str:
    return f"{where}: unknown {what} {name!r}; valid {what}s: {', '.join(valid)}"


def _strings(value: Any, where: str) -> List[str]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, e.g. [\"...\"]")
    return list(value)


def _codes(value: Any, where: str) -> List[str]:
    # Imported here: the registry loads every rule, and with them LibCST, which `losslint run` avoids when it can.
    from losslint.registry import SelectionError, check_selectors

    codes = [code.strip() for code in _strings(value, where)]
    try:
        check_selectors(codes)
    except SelectionError as error:
        raise ConfigError(f"{where}: {error}") from None
    return codes


def _apis(value: Any, where: str) -> Dict[str, List[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table such as `softmax = [\"mylib.nn.softmax\"]`")
    apis: Dict[str, List[str]] = {}
    for role, names in value.items():
        if role not in API_KEYS:
            raise ConfigError(_unknown("key", role, where, API_KEYS))
        apis[role] = _strings(names, f"{where}.{role}")
        for name in apis[role]:
            if not _QUALIFIED_NAME.fullmatch(name):
                raise ConfigError(
                    f"{where}.{role}: {name!r} is not a qualified name; write the module and the function, "
                    f"as it is imported: \"mylib.nn.{role}\""
                )
    return apis
