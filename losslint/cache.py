"""Per-file results, kept between runs and keyed on everything that could change them.

The key hashes the file's bytes, the name it is shown under, the rules that run
on it, the project's API additions, and losslint's own code (version, and the
size and modification time of every module, so an editable install that changes
never serves an old answer). Entries are written to a temporary file and renamed
into place, so two runs at once (two pre-commit hooks) never read half an entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import losslint
from losslint import apis

DEFAULT_DIRECTORY = ".losslint_cache"
_FORMAT = b"losslint-cache-1"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    digest = hashlib.sha256(_FORMAT)
    digest.update(f"{losslint.__version__} {sys.version_info[:3]}".encode())
    import losslint.rules as rules_package

    for root in (Path(losslint.__file__).parent, Path(rules_package.__path__[0])):
        for path in sorted(root.rglob("*.py")):
            status = path.stat()
            digest.update(f"{path.relative_to(root)} {status.st_size} {status.st_mtime_ns}".encode())
    return digest.hexdigest()


def knowledge_fingerprint(knowledge: apis.Knowledge) -> str:
    if knowledge is apis.BUILT_IN:
        return "built-in"
    roles = sorted((name, role.value) for name, role in knowledge.roles.items())
    losses = sorted((name, repr(spec)) for name, spec in knowledge.losses.items())
    return hashlib.sha256(repr((roles, losses)).encode()).hexdigest()


class ResultCache:
    def __init__(self, directory: Path, knowledge: apis.Knowledge = apis.BUILT_IN) -> None:
        self.directory = directory
        self.salt = f"{_code_fingerprint()} {knowledge_fingerprint(knowledge)}"

    def key(self, data: bytes, display: str, codes: Sequence[str]) -> str:
        digest = hashlib.sha256(self.salt.encode())
        digest.update(f"\0{display}\0{','.join(codes)}\0".encode())
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str):
        path = self.directory / key[:2] / key
        try:
            with path.open("rb") as stream:
                return pickle.load(stream)
        except Exception:  # missing, unreadable or from another version: lint the file again
            return None

    def put(self, key: str, result) -> None:
        folder = self.directory / key[:2]
        try:
            self._prepare()
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=str(folder), prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(result, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, folder / key)
        except OSError:
            pass  # a read-only tree or a full disk costs speed, never a result

    def _prepare(self) -> None:
        marker = self.directory / ".gitignore"
        if not marker.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            marker.write_text("# Made by losslint: its cache, safe to delete.\n*\n")


def clean(directory: Path) -> bool:
    """Remove a cache folder; True when there was one. Refuses folders losslint did not make."""
    marker = directory / ".gitignore"
    if not directory.is_dir():
        return False
    if not marker.is_file() or "losslint" not in marker.read_text(errors="replace"):
        raise ValueError(f"{directory} does not look like a losslint cache; not removing it")
    shutil.rmtree(directory)
    return True


def default_directory(root: Optional[Path] = None) -> Path:
    return (root or Path.cwd()) / DEFAULT_DIRECTORY
