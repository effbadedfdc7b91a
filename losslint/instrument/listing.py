"""``losslint run --list-sites``: the sites the hook would instrument, found without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from losslint.engine import decode, discover

from .hook import Instrumenter, default_roots
from .probe import Probe
from .session import project_settings
from .siteinfo import SiteInfo
from .transform import module_sites


def sites_to_instrument(script: Optional[Path], instrumenter: Instrumenter) -> Tuple[List[SiteInfo], int, List[str]]:
    """The sites of ``script`` and of every project file the hook would take; files read; problems."""
    named = [script.resolve()] if script is not None else []
    files, _ = discover([str(root) for root in instrumenter.roots + instrumenter.include])
    candidates = named + [file.resolve() for file, _ in files if file.suffix == ".py"]
    seen, found, problems = set(), [], []
    for path in candidates:
        if path in seen or not (path in named or instrumenter.wants(path)):
            continue
        seen.add(path)
        display = instrumenter.display(path)
        try:
            _, sites = module_sites(decode(path.read_bytes()), display, instrumenter.knowledge)
        except Exception as error:  # noqa: BLE001 - the hook would import such a file unchanged
            problems.append(f"losslint: warning: {display}: not instrumented ({str(error).splitlines()[0] if str(error) else type(error).__name__})")
            continue
        found += [site.info for site in sites]
    found.sort(key=lambda info: (info.path, info.line, info.column))
    return found, len(seen), problems


def listing_instrumenter(start_at: Path, include: List[Path]) -> Instrumenter:
    return Instrumenter(Probe(), default_roots(start_at), include, project_settings(start_at).apis_table)
