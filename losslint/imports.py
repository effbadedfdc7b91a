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

    def __init__(self, aliases: Dict[str, str]) -> None:
        self.aliases = aliases

    @classmethod
    def from_module(cls, module: cst.Module) -> "ImportTable":
        collector = _ImportCollector()
        module.visit(collector)
        return cls(collector.aliases)

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        """The qualified name ``node`` refers to, if its root is an imported name."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def is_imported(self, name: str) -> bool:
        return name in self.aliases


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.aliases: Dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                # `import torch.nn` binds `torch`, through which `torch.nn.x` is reached.
                root = full.split(".", 1)[0]
                self.aliases.setdefault(root, root)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return False
        module = dotted_name(node.module)
        if module is None:
            return False
        for alias in node.names:
            imported = dotted_name(alias.name)
            if imported is None:
                continue
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = f"{module}.{imported}"
        return False

    # Imports never sit inside expressions; skipping them keeps the walk short.
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body)
