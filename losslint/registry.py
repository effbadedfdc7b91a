"""Finds the rules in ``losslint.rules`` and turns --select/--ignore into the set that runs."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Set, Type

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


def check_selectors(selectors: Iterable[str]) -> None:
    """Raise ``SelectionError`` for the first selector that matches no rule, naming it and the valid codes."""
    codes = list(all_rules())
    for selector in selectors:
        if not selector.strip() or not _matching(selector, codes):
            raise SelectionError(f"unknown rule code or prefix {selector.strip()!r}; valid codes: {', '.join(codes)}")


def codes_matching(selectors: Iterable[str]) -> Set[str]:
    """The codes a list of selectors (codes, prefixes, ``ALL``) names; unknown ones raise ``SelectionError``."""
    selectors = list(selectors)
    check_selectors(selectors)
    codes = list(all_rules())
    return {code for selector in selectors for code in _matching(selector, codes)}


@dataclass(frozen=True)
class SelectionLayer:
    """One source of rule selection: the configuration file, then the command line on top of it."""

    select: Optional[Sequence[str]] = None  # replaces everything chosen so far when given
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()


def resolve(layers: Sequence[SelectionLayer]) -> List[Type[Rule]]:
    """The rules to run: the default set, then each layer's select, extend-select and ignore in turn.

    Later layers win, so ``--select LL004`` on the command line enables LL004 even
    when the configuration file ignores it.
    """
    rules = all_rules()
    for layer in layers:
        check_selectors(list(layer.select or ()) + list(layer.extend_select) + list(layer.ignore))
    chosen = {code for code, rule in rules.items() if rule.default_enabled}
    for layer in layers:
        if layer.select:
            chosen = codes_matching(layer.select)
        chosen |= codes_matching(layer.extend_select)
        chosen -= codes_matching(layer.ignore)
    return [rule for code, rule in rules.items() if code in chosen]


def select(select: Optional[Sequence[str]] = None, ignore: Optional[Sequence[str]] = None) -> List[Type[Rule]]:
    """The rules to run: the default set (or ``select``), less ``ignore``.

    A selector is a code (``LL004``), a prefix (``LL00``, ``LL``) or ``ALL``; one
    that matches nothing raises ``SelectionError`` naming it and the valid codes.
    """
    return resolve([SelectionLayer(select=select, ignore=ignore or ())])


def split_codes(values: Optional[Sequence[str]]) -> List[str]:
    """``["LL001,LL002", "LL004"]`` -> ``["LL001", "LL002", "LL004"]``."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]
