"""Cut a file down to the top-level statements that can take part in a finding, before LibCST parses it.

LibCST's parser costs about ten times Python's own. Python's ``ast`` finds the
top-level statements cheaply; the ones that cannot matter are replaced by blank
lines, so every kept line keeps its number and every column its offset, and the
expensive parse sees only what the rules could report on.

A statement is kept when it mentions a trigger token (a softmax, a sigmoid, an
``exp``...), when it is an import, or when it is linked by name to a kept
statement in either direction: a function a kept statement calls (its summary
may carry the finding), a caller of a kept function (it may pass the softmax in),
a module-level value a kept function reads.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Pattern, Set, Tuple

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def reduce_source(source: str, trigger: Pattern[str], tree: Optional[ast.Module] = None) -> Optional[str]:
    """The source with irrelevant top-level statements blanked, or None when nothing would be saved.

    ``tree`` is ``ast.parse(source)`` when the caller has it. None also when
    ``ast`` cannot parse the file: LibCST then parses it whole and reports the error.
    """
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    lines = source.splitlines(keepends=True)
    statements = _statement_spans(tree, len(lines))
    if len(statements) < 2 or any(start <= end for (_, end), (start, _) in zip(statements, statements[1:])):
        return None  # `a = 1; b = 2` share a line: blanking one would cut the other
    texts = ["".join(lines[start - 1 : end]) for start, end in statements]
    defined = [_defined_names(node) for node in tree.body]
    used = [set(_IDENTIFIER.findall(text)) for text in texts]
    keep = {index for index, (node, text) in enumerate(zip(tree.body, texts)) if _imports(node) or trigger.search(text)}
    if len(keep) == len(statements):
        return None
    _close_over_names(keep, defined, used)
    if len(keep) == len(statements):
        return None
    kept_lines = set()
    for index in keep:
        start, end = statements[index]
        kept_lines.update(range(start, end + 1))
    return "".join(line if number in kept_lines else _blank(line) for number, line in enumerate(lines, start=1))


def _imports(node: ast.stmt) -> bool:
    """An import, or a block holding one: `if is_torch_available(): import torch` binds names too."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
        return any(isinstance(inner, (ast.Import, ast.ImportFrom)) for inner in ast.walk(node))
    return False


def _statement_spans(tree: ast.Module, line_count: int) -> List[Tuple[int, int]]:
    """1-based first and last line of each top-level statement, decorators included."""
    spans = []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        end = getattr(node, "end_lineno", None) or line_count
        spans.append((start, end))
    return spans


def _defined_names(node: ast.stmt) -> Set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    names: Set[str] = set()
    targets: List[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.If, ast.While, ast.Try)):
        # Compound statements at module level (a training script's loop) define what they assign.
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for target in targets:
        names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def _close_over_names(keep: Set[int], defined: List[Set[str]], used: List[Set[str]]) -> None:
    """Grow ``keep`` until no statement outside it is linked by name to one inside it."""
    definers: Dict[str, List[int]] = {}
    for index, names in enumerate(defined):
        for name in names:
            definers.setdefault(name, []).append(index)
    users: Dict[str, List[int]] = {}
    for index, names in enumerate(used):
        for name in names:
            if name in definers:
                users.setdefault(name, []).append(index)
    pending = list(keep)
    while pending:
        index = pending.pop()
        linked: List[int] = []
        for name in used[index]:
            linked.extend(definers.get(name, ()))  # what it calls or reads
        for name in defined[index]:
            linked.extend(users.get(name, ()))  # who calls or reads it
        for other in linked:
            if other not in keep:
                keep.add(other)
                pending.append(other)


def _blank(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""
