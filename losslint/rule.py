"""The Rule base class and what a rule reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Sequence, Tuple

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from losslint.context import FileContext


@dataclass(frozen=True)
class Related:
    """Another place a finding points to, such as where a value became a softmax output."""

    line: int
    column: int
    message: str


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

    @property
    def sort_key(self):
        return (self.path, self.line, self.column, self.code)


class Rule:
    """A check over one file's tree, run in the engine's single batched walk.

    Subclasses define ``visit_<Node>`` methods (``visit_BinaryOperation``...) and
    call ``self.report``. The docstring is the rule's documentation, in the
    sections What it does / Why is this bad? / Example / Use instead / References.
    ``VALID`` snippets must produce no finding; ``INVALID`` snippets mark each line
    that must produce one with a trailing ``# LLnnn`` comment.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line, for `losslint rules`
    fix_title: ClassVar[str] = ""  # what to do, short
    default_enabled: ClassVar[bool] = True
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
    ) -> None:
        self.context.add_finding(self, node, message, related)

    def line_of(self, node: cst.CSTNode) -> int:
        return self.context.position(node)[0]

    def source(self, node: cst.CSTNode) -> str:
        return self.context.source_of(node)

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")
