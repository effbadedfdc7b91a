"""Finds the rules in ``losslint.rules`` and turns --select/--ignore into the set that runs."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Type

from losslint.rule import Rule


class SelectionError(ValueError):
    """A code or prefix that names no rule."""


@lru_cache(maxsize=None)
def all_rules() -> Dict[str, Type[Rule]]:
    """Every rule class in the ``losslint.rules`` package, by code; discovered, never listed by hand."""
    import losslint.rules as package

    found: Dict[str, Type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.code:
                if value.__module__ != module.__name__:
                    continue
                if value.code in found and found[value.code] is not value:
                    raise RuntimeError(f"rule code {value.code} is defined twice: {found[value.code].__name__}, {value.__name__}")
                found[value.code] = value
    return dict(sorted(found.items()))


def _matching(selector: str, codes: Iterable[str]) -> List[str]:
    selector = selector.strip().upper()
    if selector == "ALL":
        return list(codes)
    return [code for code in codes if code.startswith(selector)]


def select(select: Optional[Sequence[str]] = None, ignore: Optional[Sequence[str]] = None) -> List[Type[Rule]]:
    """The rules to run: the default set (or ``select``), less ``ignore``.

    A selector is a code (``LL004``), a prefix (``LL00``, ``LL``) or ``ALL``; one
    that matches nothing raises ``SelectionError`` naming it and the valid codes.
    """
    rules = all_rules()
    codes = list(rules)
    for selector in list(select or ()) + list(ignore or ()):
        if not selector.strip() or not _matching(selector, codes):
            raise SelectionError(f"unknown rule code or prefix {selector.strip()!r}; valid codes: {', '.join(codes)}")
    if select:
        chosen = {code for selector in select for code in _matching(selector, codes)}
    else:
        chosen = {code for code, rule in rules.items() if rule.default_enabled}
    for selector in ignore or ():
        chosen.difference_update(_matching(selector, codes))
    return [rules[code] for code in codes if code in chosen]


def split_codes(values: Optional[Sequence[str]]) -> List[str]:
    """``["LL001,LL002", "LL004"]`` -> ``["LL001", "LL002", "LL004"]``."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]
