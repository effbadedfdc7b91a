"""The Rule base class and what a rule reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Optional, Sequence, Tuple

import libcst as cst

from losslint.fixes import Fix

if TYPE_CHECKING:  # pragma: no cover
    from losslint.context import FileContext
    from losslint.screen.evidence import Evidence


@dataclass(frozen=True)
class Related:
    """Another place a finding points to, such as where a value became a softmax output."""

    line: int
    column: int
    message: str
    cell: Optional[int] = None  # in a notebook: the 1-based cell; line is then the line within it


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    path: str
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int
    fix_title: str = ""
    related: Tuple[Related, ...] = field(default_factory=tuple)
    fix: Optional["Fix"] = None  # the edit that resolves it, when the rule can make one
    cell: Optional[int] = None  # in a notebook: the 1-based cell (among all cells); lines are within it

    @property
    def sort_key(self):
        return (self.path, self.cell or 0, self.line, self.column, self.code)

    @property
    def location(self) -> str:
        """``path:line:col``, or ``path:cell N:line:col`` in a notebook."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"


class Rule:
    """A check over one file's tree, run in the engine's single batched walk.

    Subclasses define ``visit_<Node>`` methods (``visit_BinaryOperation``...) and
    call ``self.report``, and a ``screen`` classmethod that says, from the facts
    the analysis finds on Python's ``ast``, whether a file can hold a finding at
    all; only then does the file reach LibCST and the visitors. The docstring is the rule's documentation, in the
    sections What it does / Why is this bad? / Example / Use instead / References.
    ``VALID`` snippets must produce no finding; ``INVALID`` snippets mark each line
    that must produce one with a trailing ``# LLnnn`` comment.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line, for `losslint rules`
    fix_title: ClassVar[str] = ""  # what to do, short
    default_enabled: ClassVar[bool] = True
    # "safe", "unsafe" or "mixed" when the rule can fix what it finds ("" when it cannot);
    # FIX_NOTE says which fixes are which, for `losslint explain`.
    fix_safety: ClassVar[str] = ""
    FIX_NOTE: ClassVar[str] = ""
    VALID: ClassVar[Sequence[str]] = ()
    INVALID: ClassVar[Sequence[str]] = ()

    def __init__(self, context: "FileContext") -> None:
        self.context = context
        self.facts = context.facts

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        related: Sequence[Tuple[cst.CSTNode, str]] = (),
        fix: Optional["Fix"] = None,
    ) -> None:
        self.context.add_finding(self, node, message, related, fix)

    def fix(
        self, replacements: Sequence[Tuple[cst.CSTNode, str]], title: str, safe: bool, why_unsafe: str = ""
    ) -> Optional["Fix"]:
        """A fix that replaces each node's source with the given text; None where it cannot be placed."""
        return self.context.make_fix(replacements, title if safe or not why_unsafe else f"{title} (unsafe: {why_unsafe})", safe)

    def line_of(self, node: cst.CSTNode) -> int:
        """The node's line for a message: an int, which reads as ``3 of cell 5`` in a notebook."""
        return self.context.line_number(node)

    def source(self, node: cst.CSTNode) -> str:
        return self.context.source_of(node)

    @classmethod
    def screen(cls, evidence: "Evidence") -> bool:
        """Whether a file's ``ast`` evidence leaves room for a finding (``losslint/screen``).

        May say yes where the rule then finds nothing, never no where it would find
        something. The default, yes, gives a rule without a screen the full analysis.
        """
        return True

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")
