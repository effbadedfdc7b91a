"""The passes of the value-kind analysis over one module's scopes, whatever tree it is read from.

``Analysis.run`` interprets the module in statement order: first without
recording, to collect what every call site passes to each module function
(a parameter all of whose call sites agree takes that kind), then the methods
of each class (an attribute ``self.x`` assigned in one method is known in the
others when every assignment agrees), then once more recording every fact.
A function's body is summarised (what it returns, which parameter it treats as
probabilities) once per set of string arguments it is specialised on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType
from typing import Callable, Dict, List, Optional, Set, Tuple

from losslint import apis
from losslint.imports import ImportTable
from losslint.kinds import Fact, Kind, same_kind
from losslint.records import FileFacts, Node

# Kinds a parameter may take over from its call sites; the rest stay local to where they arose.
INHERITABLE = frozenset(
    {
        Kind.SOFTMAX_PROBS,
        Kind.SIGMOID_PROBS,
        Kind.LOG_PROBS,
        Kind.ONE_HOT,
        Kind.CLASS_INDICES,
        Kind.BINARY_LABELS,
        Kind.CALLABLE,
        Kind.LOSS,
    }
)
_CALL_SITE_ROUNDS = 2

Bindings = Tuple[Tuple[int, str], ...]  # (parameter index, string argument) a summary is specialised on


@dataclass
class Function:
    node: Node
    name: str
    params: List[str]  # positional, in order: what call sites pass by position or keyword
    unknown_params: List[str]  # `*args`, `**kwargs` and keyword-only: nothing is known of them
    class_name: Optional[str]  # None for a module function or a static method
    # False only when the body surely calls no module function or method: the pass that gathers
    # what call sites pass then has nothing to gather there and skips it.
    calls_local: bool = True

    @property
    def is_method(self) -> bool:
        return self.class_name is not None and bool(self.params)


@dataclass(frozen=True)
class Summary:
    returns: Optional[Fact]
    categorical_params: frozenset
    derivative_params: frozenset  # parameters multiplied by the activation's derivative


MISSING = object()


class Env:
    """Names in scope. A missing name is undefined on this path; a name bound to None is unknown."""

    def __init__(self, parent: Optional["Env"] = None, values: Optional[Dict[str, Optional[Fact]]] = None):
        self.parent = parent
        self.values: Dict[str, Optional[Fact]] = dict(values or {})

    def get(self, key: str):
        env: Optional[Env] = self
        while env is not None:
            if key in env.values:
                return env.values[key]
            env = env.parent
        return MISSING

    def lookup(self, key: str) -> Optional[Fact]:
        value = self.get(key)
        return None if value is MISSING else value

    def copy(self) -> "Env":
        return Env(self.parent, self.values)

    def merge(self, branches: List["Env"]) -> None:
        """Join the paths: a name keeps its fact only where every path that defines it agrees."""
        keys: Set[str] = set()
        for branch in branches:
            keys.update(branch.values)
        for key in keys:
            defined = [v for v in (b.get(key) for b in branches) if v is not MISSING]
            if not defined:
                continue
            first = defined[0]
            self.values[key] = first if all(same_kind(first, other) for other in defined[1:]) else None


class Analysis:
    """What one file's analysis shares across its scopes; a tree's walker supplies ``Run`` and the functions."""

    def __init__(
        self,
        body: List[Node],
        imports: ImportTable,
        knowledge: apis.Knowledge,
        syntax: ModuleType,
        code: Callable[[Node], str],
        run_class: type,
        functions: Dict[str, Function],
        make_function: Callable[[Node, Optional[str]], Function],
    ) -> None:
        self.body = body
        self.imports = imports
        self.knowledge = knowledge
        self.syntax = syntax
        self.code = code
        self.run_class = run_class
        self.make_function = make_function
        self.facts = FileFacts(imports, knowledge, syntax)
        self.functions = functions
        self.class_attributes: Dict[str, Dict[str, Optional[Fact]]] = {
            f.class_name: {} for f in functions.values() if f.class_name is not None
        }
        self.summaries: Dict[Tuple[Node, Bindings], Summary] = {}
        self.in_progress: Set[Tuple[Node, Bindings]] = set()
        self.call_site_facts: Dict[Node, List[List[Optional[Fact]]]] = {}
        self.parameter_facts: Dict[Node, Dict[int, Fact]] = {}
        self.by_node: Dict[Node, Function] = {}
        for function in functions.values():
            self.by_node.setdefault(function.node, function)

    def new_run(self, function: Optional[Function], recording: bool, bindings=None, parent=None):
        return self.run_class(self, function=function, recording=recording, bindings=bindings, parent=parent)

    def summary(self, function: Function, bindings: Bindings = ()) -> Optional[Summary]:
        key = (function.node, bindings)
        if key in self.summaries:
            return self.summaries[key]
        if key in self.in_progress:
            return None  # recursion: what the function returns is not known yet
        self.in_progress.add(key)
        try:
            run = self.new_run(function, recording=False, bindings=dict(bindings))
            run.function_body(function, inherit_call_sites=False)
            result = Summary(run.merged_returns(), frozenset(run.categorical_params), frozenset(run.derivative_params))
        finally:
            self.in_progress.discard(key)
        self.summaries[key] = result
        return result

    def run(self) -> FileFacts:
        for _ in range(_CALL_SITE_ROUNDS):
            if not self.functions:
                break
            self.call_site_facts = {}
            self._interpret(recording=False)
            before = self.parameter_facts
            self._infer_parameters()
            if not self.parameter_facts or self.parameter_facts.keys() == before.keys():
                break
        self._collect_class_attributes()
        # A method summarised before its class's attributes were known (`return self.act(x)`, with
        # `self.act = nn.Softmax(dim=1)` set in `__init__`) is summarised again with them.
        self.summaries = {key: summary for key, summary in self.summaries.items() if not self._is_method(key[0])}
        self._interpret(recording=True)
        return self.facts

    def _is_method(self, node: Node) -> bool:
        function = self.by_node.get(node)
        return function is not None and function.is_method

    def _interpret(self, recording: bool) -> None:
        run = self.new_run(None, recording=recording)
        run.block(self.body)
        run.finish()

    def _infer_parameters(self) -> None:
        inferred: Dict[Node, Dict[int, Fact]] = {}
        for node, calls in self.call_site_facts.items():
            by_index: Dict[int, Fact] = {}
            width = max((len(c) for c in calls), default=0)
            for index in range(width):
                seen = [c[index] if index < len(c) else None for c in calls]
                first = seen[0]
                if first is None or first.kind not in INHERITABLE:
                    continue
                if all(same_kind(first, other) for other in seen[1:]):
                    function = self.by_node.get(node)
                    name = function.params[index] if function and index < len(function.params) else ""
                    by_index[index] = replace(first, inherited_by=name)
            if by_index:
                inferred[node] = by_index
        self.parameter_facts = inferred

    def _collect_class_attributes(self) -> None:
        """``self.x`` assigned in one method is known in the others, when every assignment agrees."""
        methods = [f for f in self.functions.values() if f.is_method]
        for _ in range(2):
            for function in methods:
                run = self.new_run(function, recording=False)
                run.function_body(function, inherit_call_sites=True)
                attributes = self.class_attributes[function.class_name]
                prefix = function.params[0] + "."
                for key, value in run.env.values.items():
                    if not key.startswith(prefix) or "." in key[len(prefix) :]:
                        continue
                    attribute = key[len(prefix) :]
                    if attribute in run.none_attributes and value is None:
                        continue
                    if attribute in attributes and not same_kind(attributes[attribute], value):
                        attributes[attribute] = None
                    else:
                        attributes[attribute] = value
            if not any(v is not None for a in self.class_attributes.values() for v in a.values()):
                break  # nothing known to carry from one method to another
