"""The value-kind analysis: what each expression of a module holds.

``analyze(module, imports)`` interprets the module once per scope, in statement
order, and records a ``Fact`` for every expression whose kind it knows. Rules
then ask ``facts.of(node)``; they never guess from names.

Knowledge flows in from four places, in order of confidence: the library
tables of ``apis.py``; hand-written shapes (``e / e.sum()``, ``1 / (1 + exp(-z))``,
``np.eye(C)[y]``); summaries of the module's own functions (what they return,
which parameter they treat as categorical probabilities), specialised on string
arguments such as ``activation="softmax"``; and, for a function every call of
which in the module passes the same kind, that kind for its parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst

from losslint import apis
from losslint.apis import Expects, LossSpec, Role
from losslint.imports import ImportTable, dotted_name
from losslint.kinds import Fact, Kind, same_kind
from losslint.patterns import (
    argument,
    code,
    factors,
    is_one,
    keyword,
    number,
    one_minus,
    positional,
    string_value,
    terms,
)

# Kinds a parameter may take over from its call sites; the rest stay local to where they arose.
_INHERITABLE = frozenset(
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
_LABEL_KINDS = frozenset({Kind.CLASS_INDICES, Kind.ONE_HOT, Kind.BINARY_LABELS})
_CALL_SITE_ROUNDS = 2


@dataclass(frozen=True)
class LossUse:
    """A call that computes a known loss."""

    call: cst.Call
    spec: LossSpec
    expects: Expects
    prediction: Optional[cst.BaseExpression]
    target: Optional[cst.BaseExpression]
    loss_origin: cst.CSTNode  # the loss function or the constructor of the loss object


@dataclass(frozen=True)
class CompileUse:
    """``model.compile(loss=...)`` on a model whose output the analysis knows."""

    call: cst.Call
    model: Fact
    spec: LossSpec
    expects: Expects
    loss_argument: cst.BaseExpression


@dataclass(frozen=True)
class CategoricalLog:
    """``log(A)`` multiplied by labels, with no ``log(1 - A)`` in the same function."""

    log_call: cst.Call
    probabilities: cst.BaseExpression


@dataclass(frozen=True)
class UserLossCall:
    """A call to a module function that computes categorical cross-entropy on one of its parameters."""

    call: cst.Call
    function: str
    argument: cst.BaseExpression
    function_node: cst.FunctionDef


@dataclass(frozen=True)
class ModelFit:
    """``model.fit(x, y)`` on a model compiled with a known loss."""

    call: cst.Call
    model: Fact
    labels: Optional[cst.BaseExpression]


@dataclass(frozen=True)
class DerivativeTwice:
    """``A - Y`` handed to a module function that multiplies it by the activation's derivative again."""

    call: cst.CSTNode
    gradient: cst.BaseExpression
    function: str
    function_node: Optional[cst.FunctionDef]


@dataclass
class FileFacts:
    imports: ImportTable
    knowledge: apis.Knowledge
    values: Dict[cst.CSTNode, Fact] = field(default_factory=dict)
    roles: Dict[cst.Call, Optional[Role]] = field(default_factory=dict)
    loss_uses: Dict[cst.Call, LossUse] = field(default_factory=dict)
    compiles: Dict[cst.Call, CompileUse] = field(default_factory=dict)
    categorical_logs: Dict[cst.Call, CategoricalLog] = field(default_factory=dict)
    user_loss_calls: Dict[cst.Call, UserLossCall] = field(default_factory=dict)
    fits: Dict[cst.Call, ModelFit] = field(default_factory=dict)
    # Every `log(A)` multiplied by labels (a cross-entropy term, binary or categorical): log call -> A.
    cross_entropy_logs: Dict[cst.Call, cst.BaseExpression] = field(default_factory=dict)
    derivatives_twice: Dict[cst.CSTNode, DerivativeTwice] = field(default_factory=dict)

    def of(self, node: Optional[cst.CSTNode]) -> Optional[Fact]:
        return None if node is None else self.values.get(node)

    def kind(self, node: Optional[cst.CSTNode]) -> Optional[Kind]:
        fact = self.of(node)
        return None if fact is None else fact.kind

    def from_library_softmax(self, fact: Optional[Fact]) -> bool:
        """A softmax output made by a library call, which has a ``log_softmax`` twin."""
        if fact is None or fact.kind is not Kind.SOFTMAX_PROBS or not isinstance(fact.origin, cst.Call):
            return False
        return self.role(fact.origin) is Role.SOFTMAX

    def role(self, call: cst.Call) -> Optional[Role]:
        if call in self.roles:
            return self.roles[call]
        return _static_role(call, self.imports, self.knowledge)


@dataclass
class _Function:
    node: cst.FunctionDef
    params: List[str]
    class_name: Optional[str]

    @property
    def is_method(self) -> bool:
        return self.class_name is not None and bool(self.params)


@dataclass(frozen=True)
class _Summary:
    returns: Optional[Fact]
    categorical_params: frozenset
    derivative_params: frozenset  # parameters multiplied by the activation's derivative


_MISSING = object()


class _Env:
    """Names in scope. A missing name is undefined on this path; a name bound to None is unknown."""

    def __init__(self, parent: Optional["_Env"] = None, values: Optional[Dict[str, Optional[Fact]]] = None):
        self.parent = parent
        self.values: Dict[str, Optional[Fact]] = dict(values or {})

    def get(self, key: str):
        env: Optional[_Env] = self
        while env is not None:
            if key in env.values:
                return env.values[key]
            env = env.parent
        return _MISSING

    def lookup(self, key: str) -> Optional[Fact]:
        value = self.get(key)
        return None if value is _MISSING else value

    def copy(self) -> "_Env":
        return _Env(self.parent, self.values)

    def merge(self, branches: List["_Env"]) -> None:
        """Join the paths: a name keeps its fact only where every path that defines it agrees."""
        keys: Set[str] = set()
        for branch in branches:
            keys.update(branch.values)
        for key in keys:
            defined = [v for v in (b.get(key) for b in branches) if v is not _MISSING]
            if not defined:
                continue
            first = defined[0]
            self.values[key] = first if all(same_kind(first, other) for other in defined[1:]) else None


class _Analysis:
    """What one file's analysis shares across its scopes."""

    def __init__(self, module: cst.Module, imports: ImportTable, knowledge: apis.Knowledge) -> None:
        self.module = module
        self.imports = imports
        self.knowledge = knowledge
        self.facts = FileFacts(imports, knowledge)
        self.functions: Dict[str, _Function] = {}
        self.class_attributes: Dict[str, Dict[str, Optional[Fact]]] = {}
        self.summaries: Dict[Tuple[cst.FunctionDef, Tuple[Tuple[int, str], ...]], _Summary] = {}
        self.in_progress: Set[Tuple[cst.FunctionDef, Tuple[Tuple[int, str], ...]]] = set()
        self.call_site_facts: Dict[cst.FunctionDef, List[List[Optional[Fact]]]] = {}
        self.parameter_facts: Dict[cst.FunctionDef, Dict[int, Fact]] = {}
        self._collect_functions()
        self.by_node: Dict[cst.FunctionDef, _Function] = {}
        for function in self.functions.values():
            self.by_node.setdefault(function.node, function)

    # ----- the module's own functions

    def _collect_functions(self) -> None:
        for statement in self.module.body:
            if isinstance(statement, cst.FunctionDef):
                self.functions.setdefault(statement.name.value, _function(statement, None))
            elif isinstance(statement, cst.ClassDef):
                self.class_attributes.setdefault(statement.name.value, {})
                for item in statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ():
                    if isinstance(item, cst.FunctionDef):
                        key = f"{statement.name.value}.{item.name.value}"
                        self.functions.setdefault(key, _function(item, statement.name.value))

    def summary(self, function: _Function, bindings: Tuple[Tuple[int, str], ...] = ()) -> Optional[_Summary]:
        key = (function.node, bindings)
        if key in self.summaries:
            return self.summaries[key]
        if key in self.in_progress:
            return None  # recursion: what the function returns is not known yet
        self.in_progress.add(key)
        try:
            run = _Run(self, function=function, recording=False, bindings=dict(bindings))
            run.function_body(function, inherit_call_sites=False)
            result = _Summary(run.merged_returns(), frozenset(run.categorical_params), frozenset(run.derivative_params))
        finally:
            self.in_progress.discard(key)
        self.summaries[key] = result
        return result

    # ----- the passes

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
        self._interpret(recording=True)
        return self.facts

    def _interpret(self, recording: bool) -> None:
        run = _Run(self, function=None, recording=recording)
        run.block(self.module.body)
        run.finish()

    def _infer_parameters(self) -> None:
        inferred: Dict[cst.FunctionDef, Dict[int, Fact]] = {}
        for node, calls in self.call_site_facts.items():
            by_index: Dict[int, Fact] = {}
            width = max((len(c) for c in calls), default=0)
            for index in range(width):
                seen = [c[index] if index < len(c) else None for c in calls]
                first = seen[0]
                if first is None or first.kind not in _INHERITABLE:
                    continue
                if all(same_kind(first, other) for other in seen[1:]):
                    function = self._function_of(node)
                    name = function.params[index] if function and index < len(function.params) else ""
                    by_index[index] = replace(first, inherited_by=name)
            if by_index:
                inferred[node] = by_index
        self.parameter_facts = inferred

    def _function_of(self, node: cst.FunctionDef) -> Optional[_Function]:
        # Every def is looked up as the passes reach it: a scan of all functions each time was quadratic.
        return self.by_node.get(node)

    def _collect_class_attributes(self) -> None:
        """``self.x`` assigned in one method is known in the others, when every assignment agrees."""
        methods = [f for f in self.functions.values() if f.is_method]
        for _ in range(2):
            for function in methods:
                run = _Run(self, function=function, recording=False)
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


def _function(node: cst.FunctionDef, class_name: Optional[str]) -> _Function:
    params = [p.name.value for p in list(node.params.posonly_params) + list(node.params.params)]
    if class_name is not None:
        static = any(dotted_name(d.decorator) == "staticmethod" for d in node.decorators)
        if static:
            class_name = None
    return _Function(node, params, class_name)


def _unwrap(node: cst.BaseExpression, analysis: "_Analysis") -> cst.BaseExpression:
    """The array inside kind-keeping wrappers: ``np.clip(A, eps, 1 - eps)`` -> ``A``, ``A.T`` -> ``A``."""
    while True:
        if isinstance(node, cst.Attribute) and node.attr.value in ("T", "mT", "data"):
            node = node.value
        elif isinstance(node, cst.Call) and node.args:
            qualified = analysis.imports.qualify(node.func)
            if qualified is not None and analysis.knowledge.function_role(qualified) is Role.KEEP_KIND:
                node = node.args[0].value
            elif (
                qualified is None
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in ("clip", "clamp", "copy", "clone", "detach")
            ):
                node = node.func.value
            else:
                return node
        else:
            return node


def _static_role(call: cst.Call, imports: ImportTable, knowledge: apis.Knowledge = apis.BUILT_IN) -> Optional[Role]:
    """The role of a call from its spelling alone: an imported function or a method on a value."""
    qualified = imports.qualify(call.func)
    if qualified is not None:
        return knowledge.function_role(qualified)
    if isinstance(call.func, cst.Attribute):
        return apis.METHOD_ROLES.get(call.func.attr.value)
    if isinstance(call.func, cst.Name) and call.func.value == "range":
        return Role.ARANGE
    return None


def _operand(call: cst.Call, role: Optional[Role], imports: ImportTable) -> Optional[cst.BaseExpression]:
    """The array a role acts on: the first argument of a function, the receiver of a method."""
    first = positional(call, 0)
    if imports.qualify(call.func) is None and isinstance(call.func, cst.Attribute) and role in apis.METHOD_ROLES.values():
        # `x.exp()`, `x.sum(1)`: the receiver. `xp.exp(y)`, `self.xp.max(y, axis=1)`: an array module's function.
        if first is None or number(first) is not None:
            return call.func.value
        return first
    if first is not None:
        return first
    for name in ("x", "input", "a", "logits", "features"):
        found = keyword(call, name)
        if found is not None:
            return found
    return None


class _Run:
    """One interpretation of one scope (the module, or a function body)."""

    def __init__(
        self,
        analysis: _Analysis,
        function: Optional[_Function],
        recording: bool,
        bindings: Optional[Dict[int, str]] = None,
        parent: Optional[_Env] = None,
    ) -> None:
        self.analysis = analysis
        self.imports = analysis.imports
        self.function = function
        self.recording = recording
        self.bindings = bindings or {}
        self.env = _Env(parent)
        self.returns: List[Optional[Fact]] = []
        self.categorical_params: Set[int] = set()
        self.derivative_params: Set[int] = set()
        self.none_attributes: Set[str] = set()
        # `Y * log(A)` terms wait for the end of the scope: a `log(1 - A)` may come later.
        self.pending_products: List[Tuple[cst.Call, cst.BaseExpression]] = []
        self.complements: Set[str] = set()
        self.complement_origins: Set[int] = set()
        self.scope: cst.CSTNode = function.node if function else analysis.module

    # ----- scopes

    def function_body(self, function: _Function, inherit_call_sites: bool) -> None:
        """Interpret a body; a summary sees parameters as parameters, other runs take call sites' kinds."""
        node = function.node
        inferred = self.analysis.parameter_facts.get(node, {}) if inherit_call_sites else {}
        for index, name in enumerate(function.params):
            if index in self.bindings:
                self.env.values[name] = Fact(Kind.STRING, node, base=self.bindings[index])
            elif index in inferred:
                self.env.values[name] = inferred[index]
            else:
                self.env.values[name] = Fact(Kind.PARAMETER, node, index=index)
        for param in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(param, cst.Param):
                self.env.values[param.name.value] = None
        for param in node.params.kwonly_params:
            self.env.values[param.name.value] = None
        if function.is_method:
            self_name = function.params[0]
            self.env.values[self_name] = None
            for attribute, fact in self.analysis.class_attributes.get(function.class_name, {}).items():
                self.env.values[f"{self_name}.{attribute}"] = fact
        self.suite(node.body)
        self.finish()

    def merged_returns(self) -> Optional[Fact]:
        known = [r for r in self.returns if r is not None]
        if not known or len(known) != len(self.returns):
            return None
        first = known[0]
        return first if all(same_kind(first, other) for other in known[1:]) else None

    def record(self, node: cst.CSTNode, fact: Optional[Fact]) -> Optional[Fact]:
        if fact is not None:
            self.local_values[node] = fact
        return fact

    @property
    def local_values(self) -> Dict[cst.CSTNode, Fact]:
        # Facts of sub-expressions are needed to recognise shapes even when not recording.
        if self.recording:
            return self.analysis.facts.values
        if not hasattr(self, "_scratch"):
            self._scratch: Dict[cst.CSTNode, Fact] = {}
        return self._scratch

    # ----- statements

    def block(self, statements: Iterable[cst.CSTNode]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.small_statement(small)
        elif isinstance(node, cst.If):
            self.if_statement(node)
        elif isinstance(node, (cst.For, cst.While)):
            self.loop(node)
        elif isinstance(node, cst.Try) or type(node).__name__ == "TryStar":
            self.try_statement(node)
        elif isinstance(node, cst.With):
            for item in node.items:
                self.expr(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, None)
            self.suite(node.body)
        elif isinstance(node, cst.FunctionDef):
            self.function_definition(node)
        elif isinstance(node, cst.ClassDef):
            self.class_definition(node)
        elif isinstance(node, cst.Match):
            self.expr(node.subject)
            branches = []
            for case in node.cases:
                branch = self.branch(lambda case=case: self.suite(case.body))
                branches.append(branch)
            branches.append(self.env.copy())
            self.env.merge(branches)

    def suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.small_statement(small)

    def branch(self, action) -> _Env:
        saved = self.env
        self.env = saved.copy()
        try:
            action()
            return self.env
        finally:
            self.env = saved

    def small_statement(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Assign):
            fact = self.expr(node.value)
            for target in node.targets:
                self.bind(target.target, fact, node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.expr(node.value), node.value)
        elif isinstance(node, cst.AugAssign):
            self.augmented_assignment(node)
        elif isinstance(node, cst.Expr):
            self.expr(node.value)
        elif isinstance(node, cst.Return):
            fact = self.expr(node.value) if node.value is not None else None
            if not (isinstance(node.value, cst.Name) and node.value.value == "None"):
                self.returns.append(fact)
        elif isinstance(node, cst.Del):
            pass
        else:
            for child in node.children:
                if isinstance(child, cst.BaseExpression):
                    self.expr(child)

    def if_statement(self, node: cst.If) -> None:
        decided = self.static_test(node.test)
        if decided is None:
            self.expr(node.test)
        if decided is True:
            self.suite(node.body)
            return
        if decided is False:
            self.else_part(node.orelse)
            return
        taken = self.branch(lambda: self.suite(node.body))
        other = self.branch(lambda: self.else_part(node.orelse))
        self.env.merge([taken, other])

    def else_part(self, orelse) -> None:
        if isinstance(orelse, cst.If):
            self.if_statement(orelse)
        elif isinstance(orelse, cst.Else):
            self.suite(orelse.body)

    def static_test(self, test: cst.BaseExpression) -> Optional[bool]:
        """``activation == "softmax"`` when the function was specialised on ``activation``."""
        if not self.bindings or not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        target = test.comparisons[0]
        left, right = test.left, target.comparator
        if isinstance(left, cst.SimpleString):
            left, right = right, left
        bound = self.env.lookup(left.value) if isinstance(left, cst.Name) else None
        if bound is None or bound.kind is not Kind.STRING:
            return None
        if isinstance(target.operator, (cst.In, cst.NotIn)) and isinstance(right, (cst.Tuple, cst.List, cst.Set)):
            options = [string_value(e.value) for e in right.elements]
            inside = bound.base in options
            return inside if isinstance(target.operator, cst.In) else not inside
        constant = string_value(right)
        if constant is None:
            return None
        if isinstance(target.operator, cst.Equal):
            return bound.base == constant
        if isinstance(target.operator, cst.NotEqual):
            return bound.base != constant
        return None

    def loop(self, node) -> None:
        if isinstance(node, cst.For):
            self.expr(node.iter)
        else:
            self.expr(node.test)

        def body() -> None:
            if isinstance(node, cst.For):
                self.bind(node.target, None)
            self.suite(node.body)

        after_body = self.branch(body)
        self.env.merge([after_body, self.env.copy()])
        if node.orelse is not None:
            self.suite(node.orelse.body)

    def try_statement(self, node) -> None:
        before = self.env.copy()
        self.suite(node.body)
        if node.orelse is not None:
            self.suite(node.orelse.body)
        paths = [self.env.copy()]
        for handler in node.handlers:
            saved = self.env
            self.env = before.copy()
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name is not None:
                self.bind(handler.name.name, None)
            self.suite(handler.body)
            paths.append(self.env)
            self.env = saved
        self.env.merge(paths)
        if node.finalbody is not None:
            self.suite(node.finalbody.body)

    def function_definition(self, node: cst.FunctionDef) -> None:
        for decorator in node.decorators:
            self.expr(decorator.decorator)
        if self.recording or self.function is None:
            function = self.analysis._function_of(node) or _function(node, None)
            run = _Run(self.analysis, function=function, recording=self.recording, parent=self.env.copy())
            run.function_body(function, inherit_call_sites=True)
        # A local def shadows an import of the same name; its calls go through the summary.
        self.env.values.pop(node.name.value, None)

    def class_definition(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            self.expr(base.value)
        self.suite(node.body)
        self.env.values[node.name.value] = None

    def augmented_assignment(self, node: cst.AugAssign) -> None:
        current = self.expr(node.target)
        value = self.expr(node.value)
        target = node.target
        if isinstance(target, cst.Subscript):
            # `probs[range(N), y] -= 1` turns the probabilities into a gradient.
            base = dotted_name(target.value)
            if base is not None and self.env.get(base) is not _MISSING:
                self.env.values[base] = None
            return
        key = dotted_name(target)
        if key is None:
            return
        result: Optional[Fact] = None
        if isinstance(node.operator, cst.SubtractAssign) and value is not None:
            if value.kind is Kind.MAX and value.base == code(target):
                result = Fact(Kind.SHIFTED, node, base=code(target), framework=value.framework, axis=value.axis)
            elif value.kind is Kind.LOGSUMEXP and value.base == code(target):
                result = Fact(Kind.LOG_PROBS, node, how="`z - logsumexp(z)`", framework=value.framework)
        elif isinstance(node.operator, cst.DivideAssign):
            result = self.normalised_exponential(current, value, node)
        self.env.values[key] = result

    # ----- binding

    def bind(self, target: cst.BaseExpression, fact: Optional[Fact], value: Optional[cst.BaseExpression] = None) -> None:
        if isinstance(target, cst.Name):
            self.env.values[target.value] = fact
            self.record(target, fact)
        elif isinstance(target, cst.Attribute):
            key = dotted_name(target)
            if key is not None:
                self.env.values[key] = fact
                if fact is None and isinstance(value, cst.Name) and value.value == "None":
                    self.none_attributes.add(key.split(".", 1)[-1])
                self.record(target, fact)
            else:
                self.expr(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            if fact is not None and fact.kind is Kind.TUPLE and len(fact.items) == len(elements):
                for element, item in zip(elements, fact.items):
                    self.bind(element, item)
            elif fact is not None and fact.unpacks_first and elements:
                self.bind(elements[0], fact)
                for element in elements[1:]:
                    self.bind(element, None)
            else:
                for element in elements:
                    self.bind(element, None)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, None)
        elif isinstance(target, cst.Subscript):
            self.subscript_assignment(target, value)

    def subscript_assignment(self, target: cst.Subscript, value: Optional[cst.BaseExpression]) -> None:
        """``Y[y, np.arange(m)] = 1`` on an array of zeros builds one-hot labels."""
        current = self.expr(target.value)
        for element in target.slice:
            if isinstance(element.slice, cst.Index):
                self.expr(element.slice.value)
        key = dotted_name(target.value)
        if key is None or current is None:
            return
        if current.kind is Kind.ZEROS and value is not None and is_one(value) and len(target.slice) == 2:
            self.env.values[key] = Fact(Kind.ONE_HOT, target, how="zeros with a 1 set per example", framework=current.framework)

    # ----- expressions

    def expr(self, node: Optional[cst.BaseExpression]) -> Optional[Fact]:
        if node is None:
            return None
        return self.record(node, self._expr(node))

    def _expr(self, node: cst.BaseExpression) -> Optional[Fact]:
        handler = _EXPRESSION_HANDLERS.get(type(node))
        if handler is not None:
            return handler(self, node)
        self.children(node)
        return None

    def name(self, node: cst.Name) -> Optional[Fact]:
        return self.env.lookup(node.value)

    def sequence(self, node) -> Fact:
        return Fact(Kind.TUPLE, node, items=tuple(self.expr(e.value) for e in node.elements))

    def conditional(self, node: cst.IfExp) -> Optional[Fact]:
        self.expr(node.test)
        body, orelse = self.expr(node.body), self.expr(node.orelse)
        return body if same_kind(body, orelse) else None

    def walrus(self, node: cst.NamedExpr) -> Optional[Fact]:
        fact = self.expr(node.value)
        self.bind(node.target, fact)
        return fact

    def lambda_(self, node: cst.Lambda) -> None:
        return self.nested_scope(node, [p.name.value for p in node.params.params], [node.body])

    def children(self, node: cst.CSTNode) -> None:
        """Evaluate the expressions inside a node the analysis has no rule for, so their facts are known."""
        for name in _expression_fields(type(node)):
            value = getattr(node, name)
            for child in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(child, cst.BaseExpression):
                    self.expr(child)
                elif isinstance(child, cst.CSTNode):
                    self.children(child)

    def nested_scope(self, node, names: List[str], expressions: List[cst.BaseExpression]) -> None:
        saved = self.env
        self.env = _Env(saved, {name: None for name in names})
        try:
            for expression in expressions:
                self.expr(expression)
        finally:
            self.env = saved
        return None

    def comprehension(self, node) -> None:
        saved = self.env
        self.env = _Env(saved)
        try:
            clause = node.for_in
            while clause is not None:
                self.expr(clause.iter)
                self.bind(clause.target, None)
                for condition in clause.ifs:
                    self.expr(condition.test)
                clause = clause.inner_for_in
            if isinstance(node, cst.DictComp):
                self.expr(node.key)
                self.expr(node.value)
            else:
                self.expr(node.elt)
        finally:
            self.env = saved
        return None

    def attribute(self, node: cst.Attribute) -> Optional[Fact]:
        key = dotted_name(node)
        if key is not None:
            known = self.env.get(key)
            if known is not _MISSING:
                return known
        receiver = self.expr(node.value)
        if node.attr.value in ("T", "mT", "data", "values") and receiver is not None:
            return receiver
        return None

    def subscript(self, node: cst.Subscript) -> Optional[Fact]:
        value = self.expr(node.value)
        for element in node.slice:
            self.children(element)
        if value is None:
            return None
        if value.kind is Kind.EYE:
            return Fact(Kind.ONE_HOT, node, how="`eye(C)[y]`", framework=value.framework)
        if value.kind is Kind.MAX:
            return value
        if value.kind is Kind.TUPLE and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index = number(node.slice[0].slice.value)
            if index is not None and index == int(index) and -len(value.items) <= int(index) < len(value.items):
                return value.items[int(index)]
            return None
        if value.kind in _LABEL_KINDS:
            return value
        return None

    def comparison(self, node: cst.Comparison) -> Optional[Fact]:
        left = self.expr(node.left)
        rights = [self.expr(c.comparator) for c in node.comparisons]
        if len(node.comparisons) == 1 and isinstance(node.comparisons[0].operator, cst.Equal):
            for fact in (left, rights[0]):
                if fact is not None and fact.kind is Kind.ARANGE:
                    return Fact(Kind.ONE_HOT, node, how="`y[:, None] == arange(C)`", framework=fact.framework)
        return None

    def binary_operation(self, node: cst.BinaryOperation) -> Optional[Fact]:
        left = self.expr(node.left)
        right = self.expr(node.right)
        operator = node.operator
        if isinstance(operator, cst.Divide):
            return self.quotient(node, node.left, node.right, left, right)
        if isinstance(operator, cst.Subtract):
            return self.difference(node, node.left, left, right) or self.logit_gradient(node, left, right)
        if isinstance(operator, cst.MatrixMultiply):
            self.note_categorical_product(node.left, node.right)
        if isinstance(operator, cst.Multiply):
            self.note_categorical_product(node.left, node.right)
            return self.product(node)
        if isinstance(operator, cst.Add):
            for fact in (left, right):
                # `1 - A + eps` is still the complement of `A`; `A + eps` is a guarded probability.
                if fact is not None and fact.kind is Kind.COMPLEMENT:
                    return fact
                if fact is not None and fact.kind in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
                    other = right if fact is left else left
                    if other is None:
                        return replace(fact, guarded=True)
        return None

    def product(self, node: cst.BinaryOperation) -> Optional[Fact]:
        """``s * (1 - s)`` is the sigmoid's derivative; multiplying ``A - Y`` by it applies it twice."""
        parts = factors(node, self.role_of)
        found = [self.local_values.get(part) for part in parts]
        kinds = [f.kind if f is not None else None for f in found]
        derivative = Kind.ACTIVATION_DERIVATIVE in kinds
        sigmoids = {id(f.origin) for f in found if f is not None and f.kind is Kind.SIGMOID_PROBS}
        if any(f is not None and f.kind is Kind.COMPLEMENT and id(f.derived_from) in sigmoids for f in found):
            derivative = True
        if not derivative:
            return None
        for part, fact in zip(parts, found):
            if fact is None:
                continue
            if fact.kind is Kind.PARAMETER:
                self.derivative_params.add(fact.index)
            elif fact.kind is Kind.LOGIT_GRADIENT and self.recording:
                self.analysis.facts.derivatives_twice[node] = DerivativeTwice(node, part, "", None)
        return Fact(Kind.ACTIVATION_DERIVATIVE, node, how="`s * (1 - s)`")

    def quotient(self, node, numerator, denominator, top: Optional[Fact], bottom: Optional[Fact]) -> Optional[Fact]:
        if self._is_logistic(numerator, denominator, top):
            return Fact(Kind.SIGMOID_PROBS, node, how="`1 / (1 + exp(-z))`", framework=self._framework_of_exp(denominator))
        return self.normalised_exponential(top, bottom, node)

    def _is_logistic(self, numerator, denominator, top: Optional[Fact]) -> bool:
        """``1 / (1 + exp(-z))`` or ``exp(z) / (1 + exp(z))``."""
        parts = terms(denominator, self.role_of)
        if len(parts) != 2 or not any(sign > 0 and is_one(term) for sign, term in parts):
            return False
        exps = [self.local_values.get(term) for sign, term in parts if sign > 0 and not is_one(term)]
        if len(exps) != 1 or exps[0] is None or exps[0].kind is not Kind.EXP:
            return False
        if is_one(numerator):
            return True
        return top is not None and top.kind is Kind.EXP and top.base == exps[0].base

    def _framework_of_exp(self, denominator) -> str:
        for _, term in terms(denominator, self.role_of):
            fact = self.local_values.get(term)
            if fact is not None:
                return fact.framework
        return "numpy"

    def normalised_exponential(self, top: Optional[Fact], bottom: Optional[Fact], node) -> Optional[Fact]:
        """``e / e.sum(...)`` with ``e = exp(z)``: a hand-written softmax."""
        if top is None or bottom is None or top.kind is not Kind.EXP or bottom.kind is not Kind.EXP_SUM:
            return None
        if bottom.derived_from is not top.origin and bottom.base != top.base:
            return None
        how = "a hand-written softmax `exp(z) / sum(exp(z))`"
        return Fact(Kind.SOFTMAX_PROBS, node, how=how, framework=top.framework, base=top.base, shifted=top.shifted)

    def difference(self, node, left_node, left: Optional[Fact], right: Optional[Fact]) -> Optional[Fact]:
        if is_one(left_node):
            right_node = node.right if isinstance(node, cst.BinaryOperation) else node.args[1].value
            return Fact(
                Kind.COMPLEMENT,
                node,
                base=code(_unwrap(right_node, self.analysis)),
                derived_from=right.origin if right is not None else None,
            )
        if right is None:
            return None
        if right.kind is Kind.MAX and right.base == code(left_node):
            return Fact(Kind.SHIFTED, node, base=code(left_node), framework=right.framework, axis=right.axis)
        if right.kind is Kind.LOGSUMEXP and right.base == code(left_node):
            return Fact(Kind.LOG_PROBS, node, how="`z - logsumexp(z)`", framework=right.framework)
        return None

    def logit_gradient(self, node, left: Optional[Fact], right: Optional[Fact]) -> Optional[Fact]:
        """``A - Y`` with ``A`` a probability: the gradient with respect to the logits, already complete."""
        if left is None or left.kind not in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
            return None
        if right is not None and right.kind in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS, Kind.MAX, Kind.LOGSUMEXP):
            return None
        return Fact(Kind.LOGIT_GRADIENT, node, how=f"`{code(node)}`", framework=left.framework)

    def note_categorical_product(self, *operands: cst.BaseExpression) -> None:
        """``Y * log(A)``: the term of categorical cross-entropy, unless ``log(1 - A)`` stands beside it."""
        for operand in operands:
            inner = operand
            while isinstance(inner, cst.Attribute) and inner.attr.value in ("T", "mT"):
                inner = inner.value
            if not isinstance(inner, cst.Call) or self.role_of(inner) is not Role.LOG:
                continue
            probabilities = _operand(inner, Role.LOG, self.imports)
            if probabilities is not None:
                self.pending_products.append((inner, probabilities))

    def note_complement(self, role: Role, operand: Optional[cst.BaseExpression]) -> None:
        """``log(1 - A)`` or ``log1p(-A)``: the binary half of a cross-entropy on ``A``."""
        if operand is None:
            return
        for candidate in (operand, _unwrap(operand, self.analysis)):
            fact = self.local_values.get(candidate)
            if fact is not None and fact.kind is Kind.COMPLEMENT:
                self.complements.add(fact.base)
                if fact.derived_from is not None:
                    self.complement_origins.add(id(fact.derived_from))
        operand = _unwrap(operand, self.analysis)
        if role is Role.LOG:
            for subtracted in one_minus(operand, self.role_of):
                self.complements.add(code(_unwrap(subtracted, self.analysis)))
        elif isinstance(operand, cst.UnaryOperation) and isinstance(operand.operator, cst.Minus):
            self.complements.add(code(_unwrap(operand.expression, self.analysis)))

    def finish(self) -> None:
        """Decide the scope's ``Y * log(A)`` terms now that every ``log(1 - A)`` in it is known."""
        for log_call, probabilities in self.pending_products:
            if self.recording:
                self.analysis.facts.cross_entropy_logs[log_call] = probabilities
            if code(_unwrap(probabilities, self.analysis)) in self.complements:
                continue
            fact = self.local_values.get(probabilities) or self.local_values.get(_unwrap(probabilities, self.analysis))
            if fact is not None and id(fact.origin) in self.complement_origins:
                continue  # `1 - x` of the same value, reached under another name
            if fact is not None and fact.kind is Kind.PARAMETER:
                self.categorical_params.add(fact.index)
            if self.recording:
                self.analysis.facts.categorical_logs[log_call] = CategoricalLog(log_call, probabilities)

    # ----- calls

    def role_of(self, call: cst.Call) -> Optional[Role]:
        """The library role of a call, unless a local definition shadows the name."""
        if call in self.analysis.facts.roles:
            return self.analysis.facts.roles[call]
        root = call.func
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Name) and self.env.get(root.value) is not _MISSING and not self.imports.is_imported(root.value):
            role = apis.METHOD_ROLES.get(call.func.attr.value) if isinstance(call.func, cst.Attribute) else None
        elif isinstance(call.func, cst.Name) and call.func.value in self.analysis.functions:
            role = None
        else:
            role = _static_role(call, self.imports, self.analysis.knowledge)
        self.analysis.facts.roles[call] = role
        return role

    def call(self, node: cst.Call) -> Optional[Fact]:
        callee_fact = self.expr(node.func) if not isinstance(node.func, cst.Name) else self.env.lookup(node.func.value)
        argument_facts = [self.expr(arg.value) for arg in node.args]
        if callee_fact is not None:
            return self.call_value(node, callee_fact)
        local = self.local_function(node.func)
        if local is not None:
            return self.call_local(node, local, argument_facts)
        role = self.role_of(node)
        qualified = self.imports.qualify(node.func)
        if qualified is not None:
            return self.call_library(node, apis.canonical(qualified), role)
        if isinstance(node.func, cst.Attribute):
            receiver = self.local_values.get(node.func.value)
            return self.call_method(node, node.func.attr.value, receiver, role)
        if role is not None:
            return self.apply_role(node, role, _operand(node, role, self.imports), "numpy", code(node.func))
        return self.activation_keyword(node)

    def local_function(self, func: cst.BaseExpression) -> Optional[_Function]:
        if isinstance(func, cst.Name):
            if self.env.get(func.value) is not _MISSING:
                return None
            return self.analysis.functions.get(func.value)
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and self.function is not None
            and self.function.is_method
            and func.value.value == self.function.params[0]
        ):
            return self.analysis.functions.get(f"{self.function.class_name}.{func.attr.value}")
        return None

    def call_local(self, node: cst.Call, function: _Function, argument_facts: List[Optional[Fact]]) -> Optional[Fact]:
        offset = 1 if function.is_method and isinstance(node.func, cst.Attribute) else 0
        by_param: Dict[int, Tuple[cst.BaseExpression, Optional[Fact]]] = {}
        position = offset
        for arg, fact in zip(node.args, argument_facts):
            if arg.star:
                break
            if arg.keyword is None:
                by_param[position] = (arg.value, fact)
                position += 1
            elif arg.keyword.value in function.params:
                by_param[function.params.index(arg.keyword.value)] = (arg.value, fact)
        bindings = tuple(
            sorted((index, string_value(value)) for index, (value, _) in by_param.items() if string_value(value) is not None)
        )
        if not self.recording:
            seen = [by_param[i][1] if i in by_param else None for i in range(len(function.params))]
            self.analysis.call_site_facts.setdefault(function.node, []).append(seen)
        summary = self.analysis.summary(function, bindings)
        if summary is None:
            return self.activation_keyword(node)
        name = function.node.name.value
        if self.recording:
            for index in summary.categorical_params:
                if index in by_param:
                    self.analysis.facts.user_loss_calls[node] = UserLossCall(node, name, by_param[index][0], function.node)
        for index in summary.derivative_params:
            if index not in by_param or by_param[index][1] is None:
                continue
            value, fact = by_param[index]
            if fact.kind is Kind.PARAMETER:
                self.derivative_params.add(fact.index)
            elif fact.kind is Kind.LOGIT_GRADIENT and self.recording:
                self.analysis.facts.derivatives_twice[node] = DerivativeTwice(node, value, name, function.node)
        if summary.returns is None:
            return self.activation_keyword(node)
        return _returned_by(summary.returns, node)

    def call_value(self, node: cst.Call, callee: Fact) -> Optional[Fact]:
        """Calling something the analysis knows: a layer, a module, a model or a loss object."""
        if callee.kind is Kind.CALLABLE:
            return callee.returns
        if callee.kind is Kind.LOSS and callee.loss is not None:
            self.note_loss(node, callee.loss, callee.from_logits, callee.origin)
        if isinstance(node.func, cst.Attribute):
            receiver = self.local_values.get(node.func.value)
            if receiver is not None:
                return self.call_method(node, node.func.attr.value, receiver, None)
        return None

    def call_library(self, node: cst.Call, qualified: str, role: Optional[Role]) -> Optional[Fact]:
        framework = apis.framework_of(qualified)
        short = dotted_name(node.func) or code(node.func)
        if role is None and qualified.startswith("keras.layers.") and keyword(node, "activation") is not None:
            role = Role.KERAS_LAYER
        if role is None:
            return None if framework != "numpy" else self.activation_keyword(node)
        if role in (Role.LOSS, Role.LOSS_CLASS):
            spec = self.analysis.knowledge.loss_spec(qualified)
            from_logits = _bool_keyword(node, "from_logits")
            if role is Role.LOSS:
                self.note_loss(node, spec, from_logits, node)
                return None
            return Fact(Kind.LOSS, node, how=f"`{short}(...)`", framework=framework, loss=spec, from_logits=from_logits)
        return self.apply_role(node, role, _operand(node, role, self.imports), framework, short)

    def call_method(self, node: cst.Call, method: str, receiver: Optional[Fact], role: Optional[Role]) -> Optional[Fact]:
        func = node.func
        if receiver is not None:
            handled, result = self.method_on_known(node, method, receiver)
            if handled:
                return result
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            if method in apis.TENSOR_ONLY_METHODS:
                return None
        if method in apis.KIND_KEEPING_METHODS:
            if receiver is None or receiver.kind in (Kind.CALLABLE, Kind.LOSS):
                return None
            return replace(receiver, guarded=True) if method.rstrip("_") in apis.GUARDING_FUNCTIONS else receiver
        if role is not None:
            framework = receiver.framework if receiver is not None else _framework_of_method(method)
            operand = _operand(node, role, self.imports)
            return self.apply_role(node, role, operand, framework, dotted_name(func) or f"<value>.{method}")
        return self.activation_keyword(node)

    def method_on_known(self, node: cst.Call, method: str, receiver: Fact) -> Tuple[bool, Optional[Fact]]:
        kind = receiver.kind
        if kind is Kind.CALLABLE:
            if method in ("predict", "predict_on_batch", "forward", "__call__", "call"):
                return True, receiver.returns
            if method == "add" and node.args:
                layer = self.local_values.get(node.args[0].value)
                returns = layer.returns if layer is not None and layer.kind is Kind.CALLABLE else None
                key = dotted_name(node.func.value)
                if key is not None:
                    self.env.values[key] = Fact(Kind.CALLABLE, receiver.origin, how=receiver.how, returns=returns)
                return True, None
            if method == "compile":
                self.note_compile(node, receiver)
                return True, None
            if method in ("fit", "train_on_batch", "evaluate", "test_on_batch"):
                if self.recording and receiver.loss is not None:
                    labels = argument(node, 1, "y")
                    self.analysis.facts.fits[node] = ModelFit(node, receiver, labels)
                return True, None
            if method in ("to", "cuda", "cpu", "eval", "train", "double", "float"):
                return True, receiver
            return True, None
        if kind is Kind.ENCODER:
            if method in ("fit_transform", "transform"):
                return True, Fact(Kind.ONE_HOT, node, how=f"`{code(node.func)}(...)`")
            return True, None
        if kind is Kind.RNG:
            if method in ("integers", "randint"):
                return True, self.random_labels(node, node)
            return True, None
        if kind is Kind.LOSS:
            return True, None
        return False, None

    def apply_role(
        self, node: cst.Call, role: Role, operand: Optional[cst.BaseExpression], framework: str, short: str
    ) -> Optional[Fact]:
        operand_fact = self.local_values.get(operand) if operand is not None else None
        how = f"`{short}(...)`"
        if role is Role.SOFTMAX:
            return Fact(Kind.SOFTMAX_PROBS, node, how=how, framework=framework)
        if role is Role.LOG_SOFTMAX:
            return Fact(Kind.LOG_PROBS, node, how=how, framework=framework)
        if role is Role.SIGMOID:
            return Fact(Kind.SIGMOID_PROBS, node, how=how, framework=framework)
        if role is Role.ONE_HOT:
            return Fact(Kind.ONE_HOT, node, how=how, framework=framework)
        if role is Role.ARGMAX:
            return Fact(Kind.CLASS_INDICES, node, how=how, framework=framework)
        if role is Role.RANDINT:
            return self.random_labels(node, node)
        if role is Role.RNG:
            return Fact(Kind.RNG, node, framework=framework)
        if role is Role.INT_ARRAY:
            labels = self.literal_labels(node, operand, how, framework)
            if labels is not None:
                return labels
            return operand_fact if operand_fact is not None and operand_fact.kind is not Kind.TUPLE else None
        if role is Role.EXP:
            return self.exponential(node, operand, operand_fact, framework)
        if role is Role.LOG1P:
            self.note_complement(role, operand)
            return None
        if role is Role.LOG:
            self.note_complement(role, operand)
            if operand_fact is not None and operand_fact.kind is Kind.SOFTMAX_PROBS:
                return Fact(Kind.LOG_PROBS, node, how="`log(softmax(...))`", framework=framework)
            return None
        if role in (Role.SUM, Role.MEAN):
            if role is Role.SUM and operand_fact is not None and operand_fact.kind is Kind.EXP:
                return Fact(
                    Kind.EXP_SUM,
                    node,
                    base=operand_fact.base,
                    shifted=operand_fact.shifted,
                    derived_from=operand_fact.origin,
                    framework=framework,
                    axis=_axis_of(node, operand),
                )
            return None
        if role is Role.MAX:
            base = code(operand) if operand is not None else ""
            return Fact(Kind.MAX, node, base=base, framework=framework, axis=_axis_of(node, operand))
        if role is Role.LOGSUMEXP:
            return Fact(Kind.LOGSUMEXP, node, base=code(operand) if operand is not None else "", framework=framework)
        if role is Role.DIVIDE and len(node.args) >= 2:
            top, bottom = (self.local_values.get(a.value) for a in node.args[:2])
            return self.quotient(node, node.args[0].value, node.args[1].value, top, bottom)
        if role is Role.SUBTRACT and len(node.args) >= 2:
            left, right = (self.local_values.get(a.value) for a in node.args[:2])
            return self.difference(node, node.args[0].value, left, right)
        if role in (Role.MULTIPLY, Role.DOT) and len(node.args) >= 2:
            self.note_categorical_product(node.args[0].value, node.args[1].value)
            return None
        if role is Role.WHERE and len(node.args) >= 3:
            chosen = [self.local_values.get(a.value) for a in node.args[1:3]]
            return chosen[0] if same_kind(chosen[0], chosen[1]) else None
        if role is Role.KEEP_KIND:
            kept = self.kept_kind(node)
            if kept is not None and short.rsplit(".", 1)[-1] in apis.GUARDING_FUNCTIONS:
                return replace(kept, guarded=True)
            return kept
        if role is Role.LABELED_DATASET:
            return self.labeled_dataset(node, short)
        if role is Role.EYE:
            return Fact(Kind.EYE, node, framework=framework)
        if role is Role.ZEROS:
            return Fact(Kind.ZEROS, node, framework=framework)
        if role is Role.ARANGE:
            return Fact(Kind.ARANGE, node, framework=framework)
        if role in (Role.SOFTMAX_MODULE, Role.LOG_SOFTMAX_MODULE, Role.SIGMOID_MODULE):
            kind = {
                Role.SOFTMAX_MODULE: Kind.SOFTMAX_PROBS,
                Role.LOG_SOFTMAX_MODULE: Kind.LOG_PROBS,
                Role.SIGMOID_MODULE: Kind.SIGMOID_PROBS,
            }[role]
            output = Fact(kind, node, how=how, framework=framework)
            return Fact(Kind.CALLABLE, node, how=how, framework=framework, returns=output)
        if role is Role.SEQUENTIAL:
            return self.sequential(node, how, framework)
        if role is Role.KERAS_LAYER:
            return self.keras_layer(node, keyword(node, "activation"), how, framework)
        if role is Role.KERAS_ACTIVATION_LAYER:
            return self.keras_layer(node, argument(node, 0, "activation"), how, framework)
        if role is Role.KERAS_MODEL:
            outputs = self.local_values.get(argument(node, 1, "outputs")) if argument(node, 1, "outputs") else None
            return Fact(Kind.CALLABLE, node, how=how, framework=framework, returns=outputs)
        if role is Role.ENCODER:
            return Fact(Kind.ENCODER, node, how=how, framework=framework)
        return None

    def exponential(self, node, operand, operand_fact: Optional[Fact], framework: str) -> Fact:
        if operand_fact is not None and operand_fact.kind is Kind.LOG_PROBS:
            return Fact(Kind.SOFTMAX_PROBS, node, how="`exp(log_softmax(...))`", framework=framework)
        # Anything subtracted from the exponent may be a shift the analysis cannot see: assume it is.
        # A negated exponent, `exp(-0.5 * (x / s) ** 2)`, is a kernel or a Boltzmann weight far more
        # often than a softmax, and cannot overflow for the non-negative values it usually holds.
        shifted = operand_fact is not None and operand_fact.kind in (Kind.SHIFTED, Kind.LOG_PROBS)
        if operand is not None and not shifted:
            shifted = _negated(operand) or any(sign < 0 for sign, _ in terms(operand, self.role_of))
        base = operand
        while isinstance(base, cst.Attribute) and base.attr.value in ("T", "mT"):
            base = base.value  # `exp(z.T)` and `exp(z)` exponentiate the same values
        axis = operand_fact.axis if operand_fact is not None and operand_fact.kind is Kind.SHIFTED else None
        text = code(base) if base is not None else ""
        return Fact(Kind.EXP, node, base=text, shifted=shifted, framework=framework, axis=axis)

    def labeled_dataset(self, node: cst.Call, short: str) -> Optional[Fact]:
        """``(x, y), (x_test, y_test) = mnist.load_data()``; ``X, y = load_iris(return_X_y=True)``."""
        labels = Fact(Kind.CLASS_INDICES, node, how=f"`{short}()` labels")
        if short.endswith("load_data"):
            pair = Fact(Kind.TUPLE, node, items=(None, labels))
            return Fact(Kind.TUPLE, node, items=(pair, pair))
        if _bool_keyword(node, "return_X_y"):
            return Fact(Kind.TUPLE, node, items=(None, labels))
        return None

    def kept_kind(self, node: cst.Call) -> Optional[Fact]:
        for arg in node.args[:2]:
            fact = self.local_values.get(arg.value)
            if fact is not None and fact.kind not in (Kind.TUPLE, Kind.CALLABLE, Kind.LOSS):
                return fact
        return None

    def random_labels(self, node: cst.Call, origin: cst.CSTNode) -> Optional[Fact]:
        """``randint(0, C, size)``: labels, binary when the upper bound is 2."""
        bounds = [a.value for a in node.args if a.keyword is None and not isinstance(a.value, (cst.Tuple, cst.List))]
        high = keyword(node, "high")
        if high is None and bounds:
            high = bounds[1] if len(bounds) >= 2 else bounds[0]
        value = number(high) if high is not None else None
        how = f"`{code(node.func)}(...)`"
        if value == 2:
            return Fact(Kind.BINARY_LABELS, origin, how=how)
        return Fact(Kind.CLASS_INDICES, origin, how=how)

    def literal_labels(self, node: cst.Call, operand, how: str, framework: str) -> Optional[Fact]:
        values = _integer_literals(operand)
        if not values or len(values) < 2:
            return None
        if set(values) <= {0, 1}:
            return Fact(Kind.BINARY_LABELS, node, how=how, framework=framework)
        if min(values) >= 0:
            return Fact(Kind.CLASS_INDICES, node, how=f"an integer literal with values up to {max(values)}", framework=framework)
        return None

    def sequential(self, node: cst.Call, how: str, framework: str) -> Fact:
        layers: List[cst.BaseExpression] = [a.value for a in node.args if a.keyword is None]
        if len(layers) == 1 and isinstance(layers[0], (cst.List, cst.Tuple)):
            layers = [e.value for e in layers[0].elements]
        elif keyword(node, "layers") is not None and isinstance(keyword(node, "layers"), (cst.List, cst.Tuple)):
            layers = [e.value for e in keyword(node, "layers").elements]
        returns = None
        if layers:
            last = self.local_values.get(layers[-1])
            returns = last.returns if last is not None and last.kind is Kind.CALLABLE else None
        return Fact(Kind.CALLABLE, node, how=how, framework=framework, returns=returns)

    def keras_layer(self, node: cst.Call, activation: Optional[cst.BaseExpression], how: str, framework: str) -> Fact:
        output = None
        if activation is None:
            output = Fact(Kind.LOGITS, node, how=f"{how} with no activation", framework=framework)
        else:
            name = string_value(activation)
            if name is None:
                qualified = self.imports.qualify(activation)
                role = self.analysis.knowledge.function_role(qualified) if qualified else None
                name = role.value if role in (Role.SOFTMAX, Role.SIGMOID) else None
            role = apis.ACTIVATION_NAMES.get(name or "")
            described = f'`activation="{name}"`' if name else how
            if role is Role.SOFTMAX:
                output = Fact(Kind.SOFTMAX_PROBS, node, how=described, framework=framework)
            elif role is Role.SIGMOID:
                output = Fact(Kind.SIGMOID_PROBS, node, how=described, framework=framework)
            elif role is Role.KEEP_KIND:
                output = Fact(Kind.LOGITS, node, how=described, framework=framework)
        return Fact(Kind.CALLABLE, node, how=how, framework=framework, returns=output)

    def activation_keyword(self, node: cst.Call) -> Optional[Fact]:
        """``f(..., activation="softmax")`` of a function the analysis cannot see: its first result."""
        name = string_value(keyword(node, "activation"))
        role = apis.ACTIVATION_NAMES.get(name or "")
        if role is Role.SOFTMAX:
            kind = Kind.SOFTMAX_PROBS
        elif role is Role.SIGMOID:
            kind = Kind.SIGMOID_PROBS
        else:
            return None
        return Fact(kind, node, how=f'`{code(node.func)}(..., activation="{name}")`', unpacks_first=True)

    # ----- losses

    def note_loss(self, node: cst.Call, spec: Optional[LossSpec], from_logits: Optional[bool], origin) -> None:
        if spec is None or not self.recording:
            return
        expects = spec.expects
        if spec.from_logits_keyword and from_logits is True:
            expects = Expects.LOGITS
        prediction = argument(node, spec.prediction.position, spec.prediction.keyword)
        target = argument(node, spec.target.position, spec.target.keyword)
        self.analysis.facts.loss_uses[node] = LossUse(node, spec, expects, prediction, target, origin)

    def note_compile(self, node: cst.Call, model: Fact) -> None:
        loss = keyword(node, "loss")
        if loss is None:
            return
        spec, from_logits = None, None
        name = string_value(loss)
        if name is not None:
            qualified = apis.KERAS_LOSS_STRINGS.get(name)
            spec = self.analysis.knowledge.loss_spec(qualified) if qualified else None
        else:
            fact = self.local_values.get(loss)
            if fact is not None and fact.kind is Kind.LOSS:
                spec, from_logits = fact.loss, fact.from_logits
            else:
                qualified = self.imports.qualify(loss)
                spec = self.analysis.knowledge.loss_spec(qualified) if qualified else None
        if spec is None:
            return
        expects = Expects.LOGITS if spec.from_logits_keyword and from_logits else spec.expects
        key = dotted_name(node.func.value) if isinstance(node.func, cst.Attribute) else None
        if key is not None:
            self.env.values[key] = replace(model, loss=spec, from_logits=expects is Expects.LOGITS)
        if self.recording:
            self.analysis.facts.compiles[node] = CompileUse(node, model, spec, expects, loss)


def _no_fact(run: _Run, node: cst.BaseExpression) -> None:
    """Strings hold no arrays; long implicit concatenations are deeply nested and need no walk."""
    return None


_EXPRESSION_HANDLERS = {
    cst.SimpleString: _no_fact,
    cst.ConcatenatedString: _no_fact,
    cst.FormattedString: _no_fact,
    cst.Name: _Run.name,
    cst.Attribute: _Run.attribute,
    cst.Call: _Run.call,
    cst.BinaryOperation: _Run.binary_operation,
    cst.Subscript: _Run.subscript,
    cst.Tuple: _Run.sequence,
    cst.List: _Run.sequence,
    cst.IfExp: _Run.conditional,
    cst.NamedExpr: _Run.walrus,
    cst.Comparison: _Run.comparison,
    cst.Lambda: _Run.lambda_,
    cst.ListComp: _Run.comprehension,
    cst.SetComp: _Run.comprehension,
    cst.GeneratorExp: _Run.comprehension,
    cst.DictComp: _Run.comprehension,
}

_VALUE_KINDS = _INHERITABLE - {Kind.CALLABLE, Kind.LOSS}


def _returned_by(fact: Optional[Fact], call: cst.Call) -> Optional[Fact]:
    """A value a module function returns, re-anchored at the call so messages point to the nearest cause."""
    if fact is None:
        return None
    if fact.kind is Kind.TUPLE:
        return replace(fact, items=tuple(_returned_by(item, call) for item in fact.items))
    if fact.kind not in _VALUE_KINDS:
        return fact
    return replace(fact, origin=call, how=f"returned by `{code(call.func)}(...)`")


_NOT_EXPRESSIONS = (
    "lpar", "rpar", "comma", "operator", "semicolon", "whitespace", "equal", "colon", "star", "dot", "keyword", "attr"
)


@lru_cache(maxsize=None)
def _expression_fields(node_type: type) -> Tuple[str, ...]:
    """The fields of a node type that can hold expressions (not parentheses, commas or whitespace)."""
    return tuple(f.name for f in fields(node_type) if not f.name.startswith(_NOT_EXPRESSIONS))


_TORCH_ONLY_METHODS = frozenset({"softmax", "log_softmax", "sigmoid", "exp", "log", "log1p", "logsumexp", "clamp", "amax"})


def _framework_of_method(method: str) -> str:
    """NumPy arrays have no ``.softmax()``, ``.exp()`` or ``.log()``: on an unknown value those are PyTorch's."""
    return "torch" if method in _TORCH_ONLY_METHODS else "numpy"


def _axis_of(call: cst.Call, operand: Optional[cst.BaseExpression]) -> str:
    """The axis text of a reduction (``axis=0``, ``dim=1``, a positional ``1``); "" when it has none."""
    for name in ("axis", "dim"):
        value = keyword(call, name)
        if value is not None:
            return code(value)
    on_value = isinstance(call.func, cst.Attribute) and operand is call.func.value
    value = positional(call, 0 if on_value else 1)
    if value is not None and (number(value) is not None or isinstance(value, (cst.Name, cst.Attribute, cst.Tuple))):
        return code(value)
    return ""


def _negated(node: cst.BaseExpression) -> bool:
    """``-x``, ``-0.5 * x``, ``-(a + b) / c``: an expression whose sign is flipped at the top."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return True
    value = number(node)
    if value is not None:
        return value < 0
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Multiply, cst.Divide)):
        return _negated(node.left) != _negated(node.right)
    return False


def _bool_keyword(node: cst.Call, name: str) -> Optional[bool]:
    value = keyword(node, name)
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return value.value == "True"
    return None


def _integer_literals(node: Optional[cst.BaseExpression]) -> List[int]:
    """The integers of a nested list or tuple literal; empty when anything else is inside."""
    if node is None:
        return []
    if isinstance(node, cst.Integer):
        return [int(node.evaluated_value)]
    if isinstance(node, (cst.List, cst.Tuple)):
        found: List[int] = []
        for element in node.elements:
            inner = _integer_literals(element.value)
            if not inner and not (isinstance(element.value, (cst.List, cst.Tuple)) and not element.value.elements):
                return []
            found.extend(inner)
        return found
    return []


def analyze(
    module: cst.Module, imports: Optional[ImportTable] = None, knowledge: apis.Knowledge = apis.BUILT_IN
) -> FileFacts:
    """Every fact the rules may ask about ``module``; ``knowledge`` may add a project's own APIs."""
    return _Analysis(module, imports or ImportTable.from_module(module), knowledge).run()
