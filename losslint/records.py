"""What the value-kind analysis records of a file: the facts of its expressions and the uses rules read.

The same records come from either tree: LibCST's (``facts.py``) for the rules,
Python's ``ast`` (``screen/facts.py``) for the screen. ``syntax`` is the module
that reads that tree's nodes (``patterns.py`` or ``screen/syntax.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Dict, Optional

from losslint import apis
from losslint.apis import Expects, LossSpec, Role
from losslint.imports import ImportTable
from losslint.kinds import Fact, Kind

Node = Any  # a LibCST node or an ast node, as the tree analysed has them


@dataclass(frozen=True)
class LossUse:
    """A call that computes a known loss."""

    call: Node
    spec: LossSpec
    expects: Expects
    prediction: Optional[Node]
    target: Optional[Node]
    loss_origin: Node  # the loss function or the constructor of the loss object


@dataclass(frozen=True)
class CompileUse:
    """``model.compile(loss=...)`` on a model whose output the analysis knows."""

    call: Node
    model: Fact
    spec: LossSpec
    expects: Expects
    loss_argument: Node


@dataclass(frozen=True)
class CategoricalLog:
    """``log(A)`` multiplied by labels, with no ``log(1 - A)`` in the same function."""

    log_call: Node
    probabilities: Node


@dataclass(frozen=True)
class UserLossCall:
    """A call to a module function that computes categorical cross-entropy on one of its parameters."""

    call: Node
    function: str
    argument: Node
    function_node: Node


@dataclass(frozen=True)
class ModelFit:
    """``model.fit(x, y)`` on a model compiled with a known loss."""

    call: Node
    model: Fact
    labels: Optional[Node]


@dataclass(frozen=True)
class DerivativeTwice:
    """``A - Y`` handed to a module function that multiplies it by the activation's derivative again."""

    call: Node
    gradient: Node
    function: str
    function_node: Optional[Node]


@dataclass
class FileFacts:
    imports: ImportTable
    knowledge: apis.Knowledge
    syntax: ModuleType
    values: Dict[Node, Fact] = field(default_factory=dict)
    roles: Dict[Node, Optional[Role]] = field(default_factory=dict)
    loss_uses: Dict[Node, LossUse] = field(default_factory=dict)
    compiles: Dict[Node, CompileUse] = field(default_factory=dict)
    categorical_logs: Dict[Node, CategoricalLog] = field(default_factory=dict)
    user_loss_calls: Dict[Node, UserLossCall] = field(default_factory=dict)
    fits: Dict[Node, ModelFit] = field(default_factory=dict)
    # Every `log(A)` multiplied by labels (a cross-entropy term, binary or categorical): log call -> A.
    cross_entropy_logs: Dict[Node, Node] = field(default_factory=dict)
    derivatives_twice: Dict[Node, DerivativeTwice] = field(default_factory=dict)

    def of(self, node: Optional[Node]) -> Optional[Fact]:
        return None if node is None else self.values.get(node)

    def kind(self, node: Optional[Node]) -> Optional[Kind]:
        fact = self.of(node)
        return None if fact is None else fact.kind

    def from_library_softmax(self, fact: Optional[Fact]) -> bool:
        """A softmax output made by a library call, which has a ``log_softmax`` twin."""
        if fact is None or fact.kind is not Kind.SOFTMAX_PROBS or not self.syntax.is_call(fact.origin):
            return False
        return self.role(fact.origin) is Role.SOFTMAX

    def role(self, call: Node) -> Optional[Role]:
        if call in self.roles:
            return self.roles[call]
        return static_role(call, self.imports, self.knowledge, self.syntax)


def static_role(call: Node, imports: ImportTable, knowledge: apis.Knowledge, syntax: ModuleType) -> Optional[Role]:
    """The role of a call from its spelling alone: an imported function or a method on a value."""
    qualified = imports.qualify(call.func)
    if qualified is not None:
        return knowledge.function_role(qualified)
    method = syntax.attribute(call.func)
    if method is not None:
        return apis.METHOD_ROLES.get(method[1])
    if syntax.name(call.func) == "range":
        return Role.ARANGE
    return None
