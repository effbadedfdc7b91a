"""What one run does: the configuration file with the command line's flags on top, in the engine's terms."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Type

from losslint import apis
from losslint.cache import DEFAULT_DIRECTORY
from losslint.config import Config
from losslint.globs import PathPattern, PathPatterns, absolute
from losslint.registry import SelectionLayer, codes_matching, resolve
from losslint.rule import Rule

# Folders skipped while walking unless `exclude` replaces this list (hidden folders
# and virtualenvs are always skipped).
DEFAULT_EXCLUDE = ("__pycache__", "__pypackages__", "build", "dist", "env", "node_modules", "site-packages", "venv")

# A user's own loss is called as `loss(probabilities, labels)`, the course-style
# `compute_cost(AL, Y)`; by keyword, `y_pred=` and `y_true=` as in Keras.
USER_LOSS_PREDICTION = apis.Arg(0, "y_pred")
USER_LOSS_TARGET = apis.Arg(1, "y_true")

_ROLE_KEYS = {"softmax": apis.Role.SOFTMAX, "sigmoid": apis.Role.SIGMOID, "one_hot": apis.Role.ONE_HOT}
_LOSS_KEYS = {"categorical_loss": apis.Family.CATEGORICAL, "binary_loss": apis.Family.BINARY}


@dataclass(frozen=True)
class Overrides:
    """The command line's say; ``None`` means the flag was not given."""

    select: Optional[Sequence[str]] = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    exclude: Optional[Sequence[str]] = None
    extend_exclude: Sequence[str] = ()
    force_exclude: bool = False
    no_cache: bool = False


@dataclass
class Settings:
    rules: List[Type[Rule]]
    knowledge: apis.Knowledge = apis.BUILT_IN
    exclude: PathPatterns = field(default_factory=PathPatterns)
    force_exclude: bool = False
    per_file_ignores: List[Tuple[PathPattern, FrozenSet[str]]] = field(default_factory=list)
    cache_dir: Optional[Path] = None  # None: no cache


def build_settings(config: Config, overrides: Overrides = Overrides(), cwd: Optional[Path] = None) -> Settings:
    """Merge the file and the flags; unknown codes raise ``registry.SelectionError``."""
    here = absolute(cwd or os.getcwd())
    rules = resolve(
        [
            SelectionLayer(config.select, config.extend_select, config.ignore),
            SelectionLayer(overrides.select, overrides.extend_select, overrides.ignore),
        ]
    )
    # Patterns from the file are relative to the file's folder; patterns on the command line to the current one.
    if overrides.exclude is not None:
        exclude = PathPatterns.of(overrides.exclude, here)
    elif config.exclude is not None:
        exclude = PathPatterns.of(config.exclude, config.root)
    else:
        exclude = PathPatterns.of(DEFAULT_EXCLUDE, config.root)
    exclude = exclude + PathPatterns.of(config.extend_exclude, config.root) + PathPatterns.of(overrides.extend_exclude, here)
    per_file = [
        (PathPattern(pattern, config.root), frozenset(codes_matching(codes)))
        for pattern, codes in config.per_file_ignores.items()
    ]
    return Settings(
        rules=rules,
        knowledge=knowledge_from(config.apis),
        exclude=exclude,
        force_exclude=overrides.force_exclude,
        per_file_ignores=per_file,
        cache_dir=None if overrides.no_cache else (config.cache_dir or config.root / DEFAULT_DIRECTORY),
    )


def knowledge_from(table: Mapping[str, Sequence[str]]) -> apis.Knowledge:
    """The built-in API tables plus the functions named in ``[tool.losslint.apis]``."""
    roles: Dict[str, apis.Role] = {}
    losses: Dict[str, apis.LossSpec] = {}
    for key, names in table.items():
        for name in names:
            if key in _ROLE_KEYS:
                roles[name] = _ROLE_KEYS[key]
            elif key in _LOSS_KEYS:
                losses[name] = apis.LossSpec(
                    name=name.rsplit(".", 1)[1],
                    family=_LOSS_KEYS[key],
                    expects=apis.Expects.PROBABILITIES,
                    prediction=USER_LOSS_PREDICTION,
                    target=USER_LOSS_TARGET,
                )
    if not roles and not losses:
        return apis.BUILT_IN
    return apis.BUILT_IN.extended(roles=roles, losses=losses)
