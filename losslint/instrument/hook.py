"""The import hook: the user's own modules are compiled from instrumented source, everything else as usual.

A module is the user's when its file lies under one of the roots (the script's
folder, the project around it, or what ``--include`` names) and not in an
installed location (site-packages, the standard library) unless it was named
with ``--include``.  Instrumented code is never written to ``__pycache__``:
a cached ``.pyc`` there would hand instrumented code to a plain ``python``
run, and a plain ``.pyc`` would hide the instrumentation from this one.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import sys
import sysconfig
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from losslint import apis
from losslint.cache import ResultCache

from .probe import Probe
from .siteinfo import site_key

_INSTALLED_PARTS = frozenset({"site-packages", "dist-packages"})
LOSSLINT_PACKAGE = Path(__file__).resolve().parent.parent


class Instrumenter:
    """Decides which files are the user's and turns their source into instrumented code."""

    def __init__(
        self,
        probe: Probe,
        roots: Iterable[Path],
        include: Iterable[Path] = (),
        apis_table: Optional[Mapping[str, Sequence[str]]] = None,
        display_base: Optional[Path] = None,
        cache_dir: Optional[Path] = None,
    ) -> None:
        self.probe = probe
        self.roots = _unique(Path(root).resolve() for root in roots)
        self.include = _unique(Path(path).resolve() for path in include)
        self.apis_table = dict(apis_table or {})
        self.display_base = (display_base or Path.cwd()).resolve()
        self.warnings: List[str] = []
        self.instrumented: List[Tuple[str, int]] = []  # (display path, sites)
        self.files: set = set()  # the absolute paths compiled with taps
        self._installed = _installed_locations()
        self._knowledge: Optional[apis.Knowledge] = None
        self._cache = ResultCache(cache_dir) if cache_dir is not None else None
        self._table_key = repr(sorted((key, tuple(names)) for key, names in self.apis_table.items()))

    @property
    def knowledge(self) -> apis.Knowledge:
        if self._knowledge is None:
            if self.apis_table:
                from losslint.settings import knowledge_from

                self._knowledge = knowledge_from(self.apis_table)
            else:
                self._knowledge = apis.BUILT_IN
        return self._knowledge

    def wants(self, path: Path) -> bool:
        path = path.resolve()
        if _under(path, [LOSSLINT_PACKAGE]):
            return False
        if _under(path, self.include):
            return True
        if not _under(path, self.roots):
            return False
        return not (_INSTALLED_PARTS & set(path.parts)) and not _under(path, self._installed)

    def display(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.display_base) if _under(path.resolve(), [self.display_base]) else str(path)
        except ValueError:  # another drive on Windows
            return str(path)

    def compile(self, source_bytes: bytes, path: str):
        """Code for ``path``: instrumented when it can be, the plain module (and a warning) when not."""
        display = self.display(Path(path))
        key = hashlib.sha256(f"{path}\0{display}\0".encode() + source_bytes).hexdigest()
        prefix = key[:16] + "/"
        try:
            code, sites = self._cached(key) or self._instrument(source_bytes, path, display, prefix, key)
        except Exception as error:  # noqa: BLE001 - any failure means: run the module as written
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            warning = f"losslint: warning: {display}: not instrumented ({reason}); running it unchanged"
            self.warnings.append(warning)
            sys.stderr.write(warning + "\n")
            return compile(source_bytes, path, "exec", dont_inherit=True)
        self.probe.register({site_key(prefix, index): info for index, info in enumerate(sites)})
        self.instrumented.append((display, len(sites)))
        if sites:
            self.files.add(str(Path(path).resolve()))
        return code

    def _instrument(self, source_bytes: bytes, path: str, display: str, prefix: str, key: str):
        from .transform import instrument_source  # LibCST: only for a module not in the cache

        source = importlib.util.decode_source(source_bytes)
        text, sites = instrument_source(source, display, prefix, self.knowledge)
        code = compile(text, path, "exec", dont_inherit=True)
        infos = [site.info for site in sites]
        if self._cache is not None:
            self._cache.put(self._cache_key(key), (marshal.dumps(code), infos))
        return code, infos

    def _cached(self, key: str):
        if self._cache is None:
            return None
        entry = self._cache.get(self._cache_key(key))
        if entry is None:
            return None
        code_bytes, infos = entry
        return marshal.loads(code_bytes), infos

    def _cache_key(self, key: str) -> str:
        # The lint cache's folder and salt (losslint's code, Python's version), told apart by "run".
        return self._cache.key(key.encode(), "losslint run", ("run", self._table_key))


class InstrumentingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, instrumenter: Instrumenter) -> None:
        self.instrumenter = instrumenter

    def find_spec(self, fullname, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        if not self.instrumenter.wants(Path(spec.origin)):
            return None
        spec.loader = InstrumentingLoader(fullname, spec.origin, self.instrumenter)
        return spec


class InstrumentingLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, instrumenter: Instrumenter) -> None:
        super().__init__(fullname, path)
        self.instrumenter = instrumenter

    def get_code(self, fullname):
        return self.instrumenter.compile(self.get_data(self.path), self.path)


def install_finder(instrumenter: Instrumenter, before: Sequence[type] = (importlib.machinery.PathFinder,)) -> InstrumentingFinder:
    """Put the finder in ``sys.meta_path`` just ahead of the standard path finder.

    Ahead of it, so that the user's modules come to us; not at the very front,
    so that hooks installed earlier (pytest's assertion rewriting) keep theirs.
    """
    finder = InstrumentingFinder(instrumenter)
    position = len(sys.meta_path)
    for index, existing in enumerate(sys.meta_path):
        if existing in before or type(existing) in before:
            position = index
            break
    sys.meta_path.insert(position, finder)
    importlib.invalidate_caches()
    return finder


def remove_finder(finder: InstrumentingFinder) -> None:
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)


def project_root(start: Path) -> Optional[Path]:
    """The nearest folder at or above ``start`` that marks a project."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git")):
            return folder
    return None


def default_roots(start: Path) -> List[Path]:
    root = project_root(start)
    home = Path.home().resolve()
    roots = [start.resolve()]
    # A home folder under version control is not a project: it would instrument everything below it.
    if root is not None and root != home and root != Path(root.anchor):
        roots.append(root)
    return roots


def _installed_locations() -> List[Path]:
    locations = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            locations.add(Path(sysconfig.get_paths()[key]).resolve())
        except (KeyError, OSError):
            continue
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        locations.add(Path(prefix, "lib").resolve())
    return sorted(locations)


def _under(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def _unique(paths: Iterable[Path]) -> List[Path]:
    seen: List[Path] = []
    for path in paths:
        if path not in seen:
            seen.append(path)
    return seen
