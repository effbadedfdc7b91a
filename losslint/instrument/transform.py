"""Source in, instrumented source out: each site operand wrapped in ``__losslint__.tap(site, slot, ...)``.

The wrapper is inserted inside the line the operand is on and adds no line,
so every line number of the module, and of every traceback through it, stays
the user's.  The probe is reached as a builtin, so nothing is imported at
the top of the module either.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import libcst as cst

from losslint import apis
from losslint.facts import analyze
from losslint.imports import ImportTable

from .siteinfo import site_key
from .sites import Site, find_sites

PROBE_NAME = "__losslint__"


def module_sites(source: str, display_path: str, knowledge: apis.Knowledge = apis.BUILT_IN) -> Tuple[cst.Module, List[Site]]:
    module = cst.parse_module(source)
    facts = analyze(module, ImportTable.from_module(module), knowledge)
    return module, find_sites(module, facts, display_path)


def instrument_source(
    source: str, display_path: str, prefix: str, knowledge: apis.Knowledge = apis.BUILT_IN
) -> Tuple[str, List[Site]]:
    """The module's code with its sites tapped (site ``i`` as ``site_key(prefix, i)``), and the sites."""
    module, sites = module_sites(source, display_path, knowledge)
    if not sites:
        return source, []
    taps: Dict[cst.CSTNode, List[Tuple[str, int]]] = {}
    for index, site in enumerate(sites):
        for slot, operand in enumerate(site.operands):
            taps.setdefault(operand, []).append((site_key(prefix, index), slot))
    return module.visit(_Tapper(taps)).code, sites


class _Tapper(cst.CSTTransformer):
    def __init__(self, taps: Dict[cst.CSTNode, List[Tuple[str, int]]]) -> None:
        super().__init__()
        self.taps = taps

    def on_leave(self, original_node, updated_node):
        for site, slot in self.taps.get(original_node, ()):
            updated_node = _tap_call(site, slot, updated_node)
        return updated_node


def _tap_call(site: str, slot: int, value: cst.BaseExpression) -> cst.Call:
    # The call takes over the operand's parentheses, so `-(x)` stays a unary minus on a call.
    outer_lpar, outer_rpar = value.lpar, value.rpar
    inner = value.with_changes(lpar=(), rpar=()) if not isinstance(value, cst.Tuple) else value
    return cst.Call(
        func=cst.Attribute(value=cst.Name(PROBE_NAME), attr=cst.Name("tap")),
        args=[
            cst.Arg(cst.SimpleString(repr(site)), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.Arg(cst.Integer(str(slot)), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.Arg(inner),
        ],
        lpar=outer_lpar,
        rpar=outer_rpar,
    )
