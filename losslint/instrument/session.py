"""One instrumented run: the probe, the import hook, and what the run found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from .hook import Instrumenter, InstrumentingFinder, default_roots, install_finder, remove_finder
from .probe import Probe, active, install


@dataclass
class Instrumentation:
    probe: Probe
    instrumenter: Instrumenter
    finder: Optional[InstrumentingFinder]

    def uninstall(self) -> None:
        """Stop instrumenting modules imported from now on; those already imported keep their checks."""
        if self.finder is not None:
            remove_finder(self.finder)
            self.finder = None


def start(
    paths: Optional[Sequence[Path]] = None,
    *,
    warn: bool = False,
    include: Iterable[Path] = (),
    start_at: Optional[Path] = None,
    use_cache: bool = True,
) -> Instrumentation:
    """Install the hook for the modules under ``paths`` (default: the project around ``start_at``)."""
    start_at = start_at or Path.cwd()
    roots = list(paths) if paths else default_roots(start_at)
    probe = active() or install(Probe(warn=warn))
    probe.warn = warn
    project = project_settings(start_at)
    instrumenter = Instrumenter(
        probe, roots, include, project.apis_table, cache_dir=project.cache_dir if use_cache else None
    )
    return Instrumentation(probe, instrumenter, install_finder(instrumenter))


@dataclass
class ProjectSettings:
    apis_table: Dict[str, List[str]] = field(default_factory=dict)  # [tool.losslint.apis], as `losslint check` reads it
    cache_dir: Optional[Path] = None


def project_settings(start_at: Path) -> ProjectSettings:
    """What the nearest ``[tool.losslint]`` says that matters to a run: API additions, the cache folder."""
    from losslint.cache import DEFAULT_DIRECTORY
    from losslint.config import discover_config

    try:
        config = discover_config([str(start_at)])
    except Exception:  # noqa: BLE001 - a broken config is `losslint check`'s to report, not a reason to not run
        return ProjectSettings()
    return ProjectSettings(dict(config.apis), config.cache_dir or config.root / DEFAULT_DIRECTORY)
