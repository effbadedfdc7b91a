"""Cut a file down to the statements that can take part in a finding, before LibCST parses it.

LibCST's parser costs about ten times Python's own, and the analysis and the
rule walk cost in proportion to what it parsed. Python's ``ast`` finds the
statements cheaply; the ones that cannot matter are replaced by blank lines, so
every kept line keeps its number and every column its offset.

The units are the top-level statements and, inside a top-level class, each
statement of its body. Two closures decide what stays:

* Tainted: the units a probability can reach. It starts where the code (not a
  comment, not a docstring) mentions a trigger token (a softmax, a sigmoid, an
  ``exp``...) and flows from a unit to the readers of what it defines, and both
  ways along calls (arguments in, results out). Only these can produce a finding.
* Kept: every tainted unit and every unit holding an import (the import table
  reads every suite), with what it needs to be analysed exactly as in the whole
  file: every definition of each name it reads (the analysis merges them), every
  call site of a function it is (a parameter's kind is inferred only when all call
  sites agree), and, for a method, its class statement.

Module-level names link units across the file; attribute names (``self.x = ...``,
``self.m(...)``) link the members of one class only, which is all the analysis
resolves. A class kept only for its name keeps a ``pass`` for a body. Classes
defined twice under one name, and classes whose body shares a line with anything
else, are kept or dropped whole.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Pattern, Set, Tuple


@dataclass
class _Unit:
    start: int  # 1-based first line, decorators included
    end: int
    seeded: bool  # mentions a trigger token: may produce a probability
    required: bool  # holds an import: the import table reads every suite
    names_used: Set[str]
    names_defined: Set[str]  # bound, rebound or unbound where the module's statements run
    names_carried: Set[str]  # defined names through which a kind can reach a reader
    functions: Set[str] = field(default_factory=set)  # names of the functions it defines
    group: Optional[int] = None  # the class statement a member belongs to
    attributes_used: Set[str] = field(default_factory=set)
    attributes_defined: Set[str] = field(default_factory=set)
    method: Optional[str] = None
    members: List[int] = field(default_factory=list)  # for a class statement: its body's units
    node: Optional[ast.stmt] = None


def reduce_source(source: str, trigger: Pattern[str], tree: Optional[ast.Module] = None) -> Optional[str]:
    """The source with irrelevant statements blanked, or None when nothing would be saved.

    ``tree`` is ``ast.parse(source)`` when the caller has it. None also when
    ``ast`` cannot parse the file: LibCST then parses it whole and reports the error.
    """
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    lines = source.splitlines(keepends=True)
    if not _one_per_line(tree.body, len(lines)):
        return None  # `a = 1; b = 2` share a line: blanking one would cut the other
    units = _units(tree, lines, trigger)
    keep = _close(units)
    if len(keep) == len(units):
        return None
    blanked: Set[int] = set()
    placeholders: Set[int] = set()
    for index, unit in enumerate(units):
        if index in keep:
            if unit.members and not any(member in keep for member in unit.members):
                placeholders.add(units[unit.members[0]].start)  # a class body cannot be empty
        elif unit.group is None or unit.group in keep:
            blanked.update(range(unit.start, unit.end + 1))  # a dropped class's members go with its span
    return "".join(
        _pass_line(line) if number in placeholders else _blank(line) if number in blanked else line
        for number, line in enumerate(lines, start=1)
    )


NodeIndex = Dict[type, List[ast.AST]]


def reduce_tree(source: str, trigger: Pattern[str], tree: ast.Module) -> Tuple[ast.Module, Optional[NodeIndex]]:
    """``tree`` without the statements ``reduce_source`` would blank (``tree`` itself when none).

    A class keeps the members that stay; the nodes are ``tree``'s own, so positions hold.
    With it comes, when the statements were scanned, every node of ``tree`` that can
    hold code by type (not names, constants or docstrings): the scan visits them anyway.
    """
    lines = source.splitlines(keepends=True)
    if not _one_per_line(tree.body, len(lines)):
        return tree, None
    index: NodeIndex = {}
    units = _units(tree, lines, trigger, index)
    keep = _close(units)
    if len(keep) == len(units):
        return tree, index
    body: List[ast.stmt] = []
    for number, unit in enumerate(units):
        if number not in keep or unit.group is not None:
            continue
        node = unit.node
        if unit.members:
            node = copy.copy(node)
            node.body = [units[member].node for member in unit.members if member in keep]
        body.append(node)
    return ast.Module(body=body, type_ignores=[]), index


def _units(tree: ast.Module, lines: List[str], trigger: Pattern[str], index: Optional[NodeIndex] = None) -> List[_Unit]:
    class_names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    units: List[_Unit] = []
    for node in tree.body:
        start, end = _span(node, len(lines))
        if (
            isinstance(node, ast.ClassDef)
            and class_names.count(node.name) == 1  # the analysis keys class attributes by name
            and _one_per_line(node.body, len(lines))
            and all(_starts_its_line(member, lines) for member in node.body)
        ):
            _add_class(node, start, end, lines, trigger, units, index)
        else:
            units.append(_unit(node, start, end, lines, trigger, index=index))
    return units


def _unit(
    node: ast.stmt,
    start: int,
    end: int,
    lines: List[str],
    trigger: Pattern[str],
    group: Optional[int] = None,
    index: Optional[NodeIndex] = None,
) -> _Unit:
    scan = _Scan(node, index)
    carried = defined = scan.stored
    functions: Set[str] = set()
    method = None
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        carried = defined = {node.name}  # what the body binds is its own
        if group is None:
            functions.add(node.name)
        else:
            method = node.name
            carried = set()  # a method's name only unbinds a module-level name of the same spelling
    elif isinstance(node, ast.ClassDef):
        # The body runs where the class statement does, so its bindings count (a method's own
        # bindings stay in the method, and its name only unbinds); the class name is bound to
        # nothing the analysis knows.
        statements = [statement for statement in node.body if not isinstance(statement, _DEFINITIONS)]
        carried = set().union(*(_Scan(statement).stored for statement in statements))
        defined = carried | {node.name} | {statement.name for statement in node.body if isinstance(statement, _DEFINITIONS)}
    attributes_defined = set(scan.stored_attributes)
    if method is not None:
        attributes_defined.add(method)  # `self.method(...)` calls it
    return _Unit(
        start,
        end,
        seeded=scan.mentions(trigger, getattr(node, "name", "")),
        required=scan.imports,
        names_used=scan.names,
        names_defined=defined,
        names_carried=carried,
        functions=functions,
        group=group,
        attributes_used=scan.attributes | attributes_defined,
        attributes_defined=attributes_defined,
        method=method,
        node=node,
    )


def _add_class(
    node: ast.ClassDef,
    start: int,
    end: int,
    lines: List[str],
    trigger: Pattern[str],
    units: List[_Unit],
    index: Optional[NodeIndex] = None,
) -> None:
    header = len(units)
    used: Set[str] = set()
    whole = trigger.search(node.name) is not None
    for part in [*node.decorator_list, *node.bases, *node.keywords]:
        scan = _Scan(part, index)
        used |= scan.names
        # A trigger in the class statement itself (a base, a decorator) keeps the whole class.
        whole = whole or scan.mentions(trigger)
    units.append(_Unit(start, end, whole, False, used, {node.name}, set(), node=node))
    for member in node.body:
        member_start, member_end = _span(member, len(lines))
        unit = _unit(member, member_start, member_end, lines, trigger, group=header, index=index)
        unit.seeded = unit.seeded or whole
        units[header].members.append(len(units))
        units.append(unit)


class _Index:
    """Who defines and who uses each name, module-wide, and each attribute, per class."""

    def __init__(self, units: List[_Unit]) -> None:
        self.definers: Dict[str, List[int]] = {}
        self.users: Dict[str, List[int]] = {}
        self.attribute_definers: Dict[Tuple[int, str], List[int]] = {}
        self.attribute_users: Dict[Tuple[int, str], List[int]] = {}
        for index, unit in enumerate(units):
            for name in unit.names_defined:
                self.definers.setdefault(name, []).append(index)
            for name in unit.names_used:
                self.users.setdefault(name, []).append(index)
            if unit.group is not None:
                for name in unit.attributes_defined:
                    self.attribute_definers.setdefault((unit.group, name), []).append(index)
                for name in unit.attributes_used:
                    self.attribute_users.setdefault((unit.group, name), []).append(index)


def _close(units: List[_Unit]) -> Set[int]:
    """The units to keep.

    Kept: what every kept unit reads, with all its definitions (the analysis
    merges them); every call site of a kept function (a parameter's kind is
    inferred only when all of them agree); the class statement of a kept member.
    Tainted, and so kept: the units a probability can reach from a trigger token,
    through the values they define to their readers, and through calls both ways.
    A unit no probability can reach cannot produce a finding, and one only read
    from needs none of its readers.
    """
    index = _Index(units)
    keep: Set[int] = set()
    tainted: Set[int] = set()
    pending: List[int] = []

    def add(found: Iterable[int], taint: bool = False) -> None:
        for other in found:
            if taint and other not in tainted:
                tainted.add(other)
                keep.discard(other)  # visit it again, now as tainted
            if other not in keep:
                keep.add(other)
                pending.append(other)

    add((i for i, unit in enumerate(units) if unit.seeded), taint=True)
    add(i for i, unit in enumerate(units) if unit.required)
    while pending:
        current = pending.pop()
        unit = units[current]
        group = unit.group
        for name in unit.names_used:
            add(index.definers.get(name, ()))
        for name in unit.functions:
            add(index.users.get(name, ()))
        if group is not None:
            add([group])
            for name in unit.attributes_used:
                add(index.attribute_definers.get((group, name), ()))
            if unit.method is not None:
                add(index.attribute_users.get((group, unit.method), ()))
        if current not in tainted:
            continue
        for name in unit.names_carried:
            add(index.users.get(name, ()), taint=True)
        for name in unit.names_used:
            add((d for d in index.definers.get(name, ()) if name in units[d].functions), taint=True)
        if group is not None:
            for name in unit.attributes_defined:
                add(index.attribute_users.get((group, name), ()), taint=True)
            for name in unit.attributes_used:
                add((d for d in index.attribute_definers.get((group, name), ()) if units[d].method == name), taint=True)
    return keep


# Mutating method calls after which the analysis holds a new value for the receiver.
_MUTATORS = frozenset({"add", "compile"})
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CHAINS = (ast.Attribute, ast.Subscript, ast.Starred)
_WRITES = (ast.Store, ast.Del)
# Fields that never hold a node worth entering: contexts and operators are leaves.
_SKIPPED = frozenset({"ctx", "op", "ops", "type_comment"})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


class _Scan:
    """One pass over a statement: the names and attribute names it reads and writes, and whether it imports.

    ``names`` holds every identifier that can name a variable (read or written),
    ``attributes`` every attribute name; ``stored`` the names whose value it binds,
    rebinds or unbinds (``x = ...``, ``x.y = ...``, ``x[i] -= 1``, and the analysis's
    mutating calls ``x.add(...)``, ``x.compile(...)``); ``stored_attributes`` the
    attribute names along those chains (``self.x = ...`` stores ``x``).
    """

    def __init__(self, root: ast.AST, index: Optional[NodeIndex] = None) -> None:
        self.names: Set[str] = set()
        self.attributes: Set[str] = set()
        self.stored: Set[str] = set()
        self.stored_attributes: Set[str] = set()
        self.imports = False
        # String constants other than docstrings: `activation="softmax"` makes a probability.
        self.strings: List[str] = []
        stack = [root]
        while stack:
            node = stack.pop()
            if not isinstance(node, ast.AST):
                continue  # a name in `global x` or a None key of `{**d}`: lists are pushed whole
            kind = type(node)
            if index is not None:
                found = index.get(kind)
                if found is None:
                    found = index[kind] = []
                found.append(node)
            if kind is ast.Name:
                self.names.add(node.id)
                if isinstance(node.ctx, _WRITES):
                    self.stored.add(node.id)
                continue
            if kind is ast.Attribute:
                self.attributes.add(node.attr)
                if isinstance(node.ctx, _WRITES):
                    self._store_chain(node)
            elif kind is ast.Subscript or kind is ast.Starred:
                if isinstance(node.ctx, _WRITES):
                    self._store_chain(node)
            elif kind is ast.Constant:
                if isinstance(node.value, str):
                    self.strings.append(node.value)
                continue
            elif kind is ast.Expr and isinstance(node.value, ast.Constant):
                continue  # a docstring: prose, whatever it mentions
            elif kind is ast.Call:
                if isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
                    self._store_chain(node.func.value)
            elif kind is ast.arg:
                self.names.add(node.arg)
            elif kind is ast.keyword:
                if node.arg:
                    self.names.add(node.arg)
            elif kind is ast.alias:
                self._bind((node.asname or node.name).split(".")[0])
            elif kind is ast.Import or kind is ast.ImportFrom:
                self.imports = True
            elif kind is ast.Global or kind is ast.Nonlocal:
                self.names.update(node.names)
            elif kind is ast.ExceptHandler:
                if node.name:
                    self._bind(node.name)
            elif isinstance(node, _DEFINITIONS):
                if node is not root:  # a definition binds its name; it does not read it
                    self.stored.add(node.name)
            elif kind.__name__.startswith("Match"):
                for value in (getattr(node, "name", None), getattr(node, "rest", None), *getattr(node, "kwd_attrs", ())):
                    if isinstance(value, str):
                        self._bind(value)
            for name in _fields(kind):
                value = getattr(node, name, None)
                if type(value) is list:
                    stack.extend(value)
                elif isinstance(value, ast.AST):
                    stack.append(value)

    def mentions(self, trigger: Pattern[str], *extra: str) -> bool:
        """A trigger token in the code itself: a name, an attribute or a string, never a comment or a docstring."""
        words = (*self.names, *self.attributes, *self.strings, *extra)
        return bool(trigger.search(" ".join(words)))

    def _bind(self, name: str) -> None:
        self.names.add(name)
        self.stored.add(name)

    def _store_chain(self, node: ast.AST) -> None:
        while isinstance(node, _CHAINS):
            if isinstance(node, ast.Attribute):
                self.stored_attributes.add(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            self.stored.add(node.id)


def _fields(kind: type) -> Tuple[str, ...]:
    try:
        return _FIELDS[kind]
    except KeyError:
        fields = _FIELDS[kind] = tuple(name for name in kind._fields if name not in _SKIPPED)
        return fields


def _span(node: ast.stmt, line_count: int) -> Tuple[int, int]:
    """1-based first and last line of a statement, decorators included."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    end = getattr(node, "end_lineno", None) or line_count
    return start, end


def _starts_its_line(node: ast.stmt, lines: List[str]) -> bool:
    """Nothing but indentation before the statement: not `class A: x = 1`, nor `): x = 1` ending a header."""
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        first = min(decorators, key=lambda d: d.lineno)
        return lines[first.lineno - 1].lstrip().startswith("@")
    before = lines[node.lineno - 1].encode("utf-8")[: node.col_offset]  # ast counts columns in UTF-8 bytes
    return not before.strip()


def _one_per_line(statements: List[ast.stmt], line_count: int) -> bool:
    spans = [_span(node, line_count) for node in statements]
    return all(end < start for (_, end), (start, _) in zip(spans, spans[1:]))


def _pass_line(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return indent + "pass" + line[len(line.rstrip("\r\n")) :]


def _blank(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""
