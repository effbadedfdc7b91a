"""A module's import statements as a table from local names to qualified names.

This is all the name resolution the rules need (``np.exp`` -> ``numpy.exp``,
``F.softmax`` -> ``torch.nn.functional.softmax``), at a fraction of the cost of
LibCST's scope analysis.
"""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` as a string, or None when the expression is not a plain dotted name."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class ImportTable:
    """Local name -> qualified name, read from every import in the module."""

    dotted_name = staticmethod(dotted_name)  # how this table reads `a.b.c` in its tree's nodes

    def __init__(self, aliases: Dict[str, str]) -> None:
        self.aliases = aliases

    @classmethod
    def from_module(cls, module: cst.Module) -> "ImportTable":
        aliases: Dict[str, str] = {}
        _collect(module.body, aliases)
        return cls(aliases)

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        """The qualified name ``node`` refers to, if its root is an imported name."""
        name = self.dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def is_imported(self, name: str) -> bool:
        return name in self.aliases


def _collect(statements, aliases: Dict[str, str]) -> None:
    """Read imports from statements and the bodies of compound statements; expressions are never entered."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import):
                    _add_import(small, aliases)
                elif isinstance(small, cst.ImportFrom):
                    _add_import_from(small, aliases)
            continue
        for suite in _suites(statement):
            if isinstance(suite, cst.IndentedBlock):
                _collect(suite.body, aliases)
            elif isinstance(suite, cst.SimpleStatementSuite):
                _collect([cst.SimpleStatementLine(body=suite.body)], aliases)


def _suites(statement: cst.CSTNode):
    body = getattr(statement, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield body
    for name in ("orelse", "finalbody"):
        part = getattr(statement, name, None)
        while part is not None:
            if isinstance(part, cst.If):
                yield part.body
                part = part.orelse
            else:
                yield part.body
                break
    for handler in getattr(statement, "handlers", ()) or ():
        yield handler.body
    for case in getattr(statement, "cases", ()) or ():
        yield case.body


def _add_import(node: cst.Import, aliases: Dict[str, str]) -> None:
    for alias in node.names:
        full = dotted_name(alias.name)
        if full is None:
            continue
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            aliases[alias.asname.name.value] = full
        else:
            # `import torch.nn` binds `torch`, through which `torch.nn.x` is reached.
            root = full.split(".", 1)[0]
            aliases.setdefault(root, root)


def _add_import_from(node: cst.ImportFrom, aliases: Dict[str, str]) -> None:
    if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return
    module = dotted_name(node.module)
    if module is None:
        return
    for alias in node.names:
        imported = dotted_name(alias.name)
        if imported is None:
            continue
        local = imported
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        aliases[local] = f"{module}.{imported}"
