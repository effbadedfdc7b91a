"""The import table of ``losslint/imports.py``, read from Python's own ``ast``."""

from __future__ import annotations

import ast
from typing import Dict, Iterable

from losslint.imports import ImportTable
from losslint.screen.syntax import dotted_name


class AstImportTable(ImportTable):
    """Local name -> qualified name; ``qualify`` takes ``ast`` expressions."""

    dotted_name = staticmethod(dotted_name)

    @classmethod
    def from_tree(cls, tree: ast.Module) -> "AstImportTable":
        aliases: Dict[str, str] = {}
        _collect(tree.body, aliases)
        return cls(aliases)


_NESTED_BLOCKS = ("body", "orelse", "finalbody")


def _collect(statements: Iterable[ast.stmt], aliases: Dict[str, str]) -> None:
    """Imports in statements and in the bodies of compound statements; expressions are never entered."""
    for statement in statements:
        if isinstance(statement, ast.Import):
            _add_import(statement, aliases)
        elif isinstance(statement, ast.ImportFrom):
            _add_import_from(statement, aliases)
        else:
            for name in _NESTED_BLOCKS:
                block = getattr(statement, name, None)
                if isinstance(block, list):
                    _collect(block, aliases)
            for part in getattr(statement, "handlers", ()) or getattr(statement, "cases", ()) or ():
                _collect(part.body, aliases)


def _add_import(node: ast.Import, aliases: Dict[str, str]) -> None:
    for alias in node.names:
        if alias.asname is not None:
            aliases[alias.asname] = alias.name
        else:
            root = alias.name.split(".", 1)[0]
            aliases.setdefault(root, root)


def _add_import_from(node: ast.ImportFrom, aliases: Dict[str, str]) -> None:
    if node.level or node.module is None:
        return
    for alias in node.names:
        if alias.name == "*":
            return
        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
