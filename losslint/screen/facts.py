"""The value-kind analysis of ``losslint/facts.py``, run on Python's own ``ast``.

The same interpretation, statement by statement and scope by scope, with the
same joins, summaries and call-site inference, so that it knows what
``facts.analyze`` knows about every expression; only the node types differ.
It serves the screen (``losslint/screen/__init__.py``), which needs the kinds
but not the messages, so it keeps no ``how`` text for them.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Dict, Iterable, List, Optional, Set, Tuple

from losslint import apis
from losslint.apis import Expects, LossSpec, Role
from losslint.facts import (
    _CALL_SITE_ROUNDS,
    _INHERITABLE,
    _LABEL_KINDS,
    _MISSING,
    _VALUE_KINDS,
    CategoricalLog,
    CompileUse,
    DerivativeTwice,
    FileFacts,
    LossUse,
    ModelFit,
    UserLossCall,
    _Env,
    _framework_of_method,
    _Function,
    _Summary,
)
from losslint.kinds import Fact, Kind, same_kind
from losslint.screen.imports import AstImportTable
from losslint.screen.syntax import (
    SourceText,
    argument,
    argument_count,
    argument_values,
    dotted_name,
    factors,
    first_values,
    is_constant,
    is_one,
    keyword,
    number,
    one_minus,
    positional,
    string_value,
    terms,
)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class ScreenFacts(FileFacts):
    """``FileFacts`` keyed by ``ast`` nodes."""

    def from_library_softmax(self, fact: Optional[Fact]) -> bool:
        if fact is None or fact.kind is not Kind.SOFTMAX_PROBS or not isinstance(fact.origin, ast.Call):
            return False
        return self.role(fact.origin) is Role.SOFTMAX

    def role(self, call: ast.Call) -> Optional[Role]:  # type: ignore[override]
        if call in self.roles:
            return self.roles[call]
        return _static_role(call, self.imports, self.knowledge)


class _Analysis:
    def __init__(self, tree: ast.Module, text: SourceText, imports: AstImportTable, knowledge: apis.Knowledge) -> None:
        self.tree = tree
        self.text = text
        self.imports = imports
        self.knowledge = knowledge
        self.facts = ScreenFacts(imports, knowledge)
        self.functions: Dict[str, _Function] = {}
        self.class_attributes: Dict[str, Dict[str, Optional[Fact]]] = {}
        self.summaries: Dict[Tuple[ast.AST, Tuple[Tuple[int, str], ...]], _Summary] = {}
        self.in_progress: Set[Tuple[ast.AST, Tuple[Tuple[int, str], ...]]] = set()
        self.call_site_facts: Dict[ast.AST, List[List[Optional[Fact]]]] = {}
        self.parameter_facts: Dict[ast.AST, Dict[int, Fact]] = {}
        self._collect_functions()
        self.by_node: Dict[ast.AST, _Function] = {}
        for function in self.functions.values():
            self.by_node.setdefault(function.node, function)

    def _collect_functions(self) -> None:
        for statement in self.tree.body:
            if isinstance(statement, _FUNCTIONS):
                self.functions.setdefault(statement.name, _function(statement, None))
            elif isinstance(statement, ast.ClassDef):
                self.class_attributes.setdefault(statement.name, {})
                for item in statement.body:
                    if isinstance(item, _FUNCTIONS):
                        self.functions.setdefault(f"{statement.name}.{item.name}", _function(item, statement.name))

    def summary(self, function: _Function, bindings: Tuple[Tuple[int, str], ...] = ()) -> Optional[_Summary]:
        key = (function.node, bindings)
        if key in self.summaries:
            return self.summaries[key]
        if key in self.in_progress:
            return None
        self.in_progress.add(key)
        try:
            run = _Run(self, function=function, recording=False, bindings=dict(bindings))
            run.function_body(function, inherit_call_sites=False)
            result = _Summary(run.merged_returns(), frozenset(run.categorical_params), frozenset(run.derivative_params))
        finally:
            self.in_progress.discard(key)
        self.summaries[key] = result
        return result

    def run(self) -> ScreenFacts:
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
        run.block(self.tree.body)
        run.finish()

    def _infer_parameters(self) -> None:
        inferred: Dict[ast.AST, Dict[int, Fact]] = {}
        for node, calls in self.call_site_facts.items():
            by_index: Dict[int, Fact] = {}
            width = max((len(c) for c in calls), default=0)
            for index in range(width):
                seen = [c[index] if index < len(c) else None for c in calls]
                first = seen[0]
                if first is None or first.kind not in _INHERITABLE:
                    continue
                if all(same_kind(first, other) for other in seen[1:]):
                    function = self.by_node.get(node)
                    name = function.params[index] if function and index < len(function.params) else ""
                    by_index[index] = replace(first, inherited_by=name)
            if by_index:
                inferred[node] = by_index
        self.parameter_facts = inferred

    def _collect_class_attributes(self) -> None:
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
                break


def _function(node, class_name: Optional[str]) -> _Function:
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    if class_name is not None and any(dotted_name(d) == "staticmethod" for d in node.decorator_list):
        class_name = None
    return _Function(node, params, class_name)


def _unwrap(node: ast.AST, analysis: _Analysis) -> ast.AST:
    while True:
        if isinstance(node, ast.Attribute) and node.attr in ("T", "mT", "data"):
            node = node.value
        elif isinstance(node, ast.Call) and argument_count(node):
            qualified = analysis.imports.qualify(node.func)
            if qualified is not None and analysis.knowledge.function_role(qualified) is Role.KEEP_KIND:
                node = argument_values(node)[0]
            elif (
                qualified is None
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("clip", "clamp", "copy", "clone", "detach")
            ):
                node = node.func.value
            else:
                return node
        else:
            return node


def _static_role(call: ast.Call, imports: AstImportTable, knowledge: apis.Knowledge = apis.BUILT_IN) -> Optional[Role]:
    qualified = imports.qualify(call.func)
    if qualified is not None:
        return knowledge.function_role(qualified)
    if isinstance(call.func, ast.Attribute):
        return apis.METHOD_ROLES.get(call.func.attr)
    if isinstance(call.func, ast.Name) and call.func.id == "range":
        return Role.ARANGE
    return None


def _operand(call: ast.Call, role: Optional[Role], imports: AstImportTable) -> Optional[ast.AST]:
    first = positional(call, 0)
    if imports.qualify(call.func) is None and isinstance(call.func, ast.Attribute) and role in apis.METHOD_ROLES.values():
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
        self.code = analysis.text.code
        self.function = function
        self.recording = recording
        self.bindings = bindings or {}
        self.env = _Env(parent)
        self.returns: List[Optional[Fact]] = []
        self.categorical_params: Set[int] = set()
        self.derivative_params: Set[int] = set()
        self.none_attributes: Set[str] = set()
        self.pending_products: List[Tuple[ast.Call, ast.AST]] = []
        self.complements: Set[str] = set()
        self.complement_origins: Set[int] = set()
        self.local_values: Dict[ast.AST, Fact] = analysis.facts.values if recording else {}

    # ----- scopes

    def function_body(self, function: _Function, inherit_call_sites: bool) -> None:
        node = function.node
        inferred = self.analysis.parameter_facts.get(node, {}) if inherit_call_sites else {}
        for index, name in enumerate(function.params):
            if index in self.bindings:
                self.env.values[name] = Fact(Kind.STRING, node, base=self.bindings[index])
            elif index in inferred:
                self.env.values[name] = inferred[index]
            else:
                self.env.values[name] = Fact(Kind.PARAMETER, node, index=index)
        for param in (node.args.vararg, node.args.kwarg):
            if param is not None:
                self.env.values[param.arg] = None
        for param in node.args.kwonlyargs:
            self.env.values[param.arg] = None
        if function.is_method:
            self_name = function.params[0]
            self.env.values[self_name] = None
            for attribute, fact in self.analysis.class_attributes.get(function.class_name, {}).items():
                self.env.values[f"{self_name}.{attribute}"] = fact
        self.block(node.body)
        self.finish()

    def merged_returns(self) -> Optional[Fact]:
        known = [r for r in self.returns if r is not None]
        if not known or len(known) != len(self.returns):
            return None
        first = known[0]
        return first if all(same_kind(first, other) for other in known[1:]) else None

    def record(self, node: ast.AST, fact: Optional[Fact]) -> Optional[Fact]:
        if fact is not None:
            self.local_values[node] = fact
        return fact

    # ----- statements

    def block(self, statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            handler = _STATEMENT_HANDLERS.get(type(statement))
            if handler is not None:
                handler(self, statement)
            else:
                self.other_statement(statement)

    def other_statement(self, node: ast.stmt) -> None:
        # Raise, Assert and the like: only their expressions matter.
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)

    def assign(self, node: ast.Assign) -> None:
        fact = self.expr(node.value)
        for target in node.targets:
            self.bind(target, fact, node.value)

    def annotated_assign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.bind(node.target, self.expr(node.value), node.value)

    def expression_statement(self, node: ast.Expr) -> None:
        self.expr(node.value)

    def return_statement(self, node: ast.Return) -> None:
        fact = self.expr(node.value) if node.value is not None else None
        if not is_constant(node.value, None):
            self.returns.append(fact)

    def raise_statement(self, node: ast.Raise) -> None:
        self.expr(node.exc)  # LibCST keeps the cause in a `From` node, which facts.py does not enter

    def nothing(self, node: ast.stmt) -> None:
        return None

    def with_statement(self, node) -> None:
        for item in node.items:
            self.expr(item.context_expr)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, None)
        self.block(node.body)

    def match_statement(self, node: ast.Match) -> None:
        self.expr(node.subject)
        branches = []
        for case in node.cases:
            branches.append(self.branch(lambda case=case: self.block(case.body)))
        branches.append(self.env.copy())
        self.env.merge(branches)

    def branch(self, action) -> _Env:
        saved = self.env
        self.env = saved.copy()
        try:
            action()
            return self.env
        finally:
            self.env = saved

    def if_statement(self, node: ast.If) -> None:
        decided = self.static_test(node.test)
        if decided is None:
            self.expr(node.test)
        if decided is True:
            self.block(node.body)
            return
        if decided is False:
            self.block(node.orelse)
            return
        taken = self.branch(lambda: self.block(node.body))
        other = self.branch(lambda: self.block(node.orelse))
        self.env.merge([taken, other])

    def static_test(self, test: ast.AST) -> Optional[bool]:
        if not self.bindings or not isinstance(test, ast.Compare) or len(test.ops) != 1:
            return None
        operator = test.ops[0]
        left, right = test.left, test.comparators[0]
        if isinstance(left, ast.Constant) and isinstance(left.value, (str, bytes)):
            left, right = right, left
        bound = self.env.lookup(left.id) if isinstance(left, ast.Name) else None
        if bound is None or bound.kind is not Kind.STRING:
            return None
        if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            options = [string_value(e) for e in right.elts]
            inside = bound.base in options
            return inside if isinstance(operator, ast.In) else not inside
        constant = string_value(right)
        if constant is None:
            return None
        if isinstance(operator, ast.Eq):
            return bound.base == constant
        if isinstance(operator, ast.NotEq):
            return bound.base != constant
        return None

    def loop(self, node) -> None:
        is_for = not isinstance(node, ast.While)
        self.expr(node.iter if is_for else node.test)

        def body() -> None:
            if is_for:
                self.bind(node.target, None)
            self.block(node.body)

        after_body = self.branch(body)
        self.env.merge([after_body, self.env.copy()])
        if node.orelse:
            self.block(node.orelse)

    def try_statement(self, node) -> None:
        before = self.env.copy()
        self.block(node.body)
        if node.orelse:
            self.block(node.orelse)
        paths = [self.env.copy()]
        for handler in node.handlers:
            saved = self.env
            self.env = before.copy()
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name is not None:
                self.env.values[handler.name] = None
            self.block(handler.body)
            paths.append(self.env)
            self.env = saved
        self.env.merge(paths)
        if node.finalbody:
            self.block(node.finalbody)

    def function_definition(self, node) -> None:
        for decorator in node.decorator_list:
            self.expr(decorator)
        if self.recording or self.function is None:
            function = self.analysis.by_node.get(node) or _function(node, None)
            run = _Run(self.analysis, function=function, recording=self.recording, parent=self.env.copy())
            run.function_body(function, inherit_call_sites=True)
        self.env.values.pop(node.name, None)

    def class_definition(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            self.expr(base.value if isinstance(base, ast.Starred) else base)
        self.block(node.body)
        self.env.values[node.name] = None

    def augmented_assignment(self, node: ast.AugAssign) -> None:
        current = self.expr(node.target)
        value = self.expr(node.value)
        target = node.target
        if isinstance(target, ast.Subscript):
            base = dotted_name(target.value)
            if base is not None and self.env.get(base) is not _MISSING:
                self.env.values[base] = None
            return
        key = dotted_name(target)
        if key is None:
            return
        result: Optional[Fact] = None
        if isinstance(node.op, ast.Sub) and value is not None:
            if value.kind is Kind.MAX and value.base == self.code(target):
                result = Fact(Kind.SHIFTED, node, base=value.base, framework=value.framework, axis=value.axis)
            elif value.kind is Kind.LOGSUMEXP and value.base == self.code(target):
                result = Fact(Kind.LOG_PROBS, node, framework=value.framework)
        elif isinstance(node.op, ast.Div):
            result = self.normalised_exponential(current, value, node)
        self.env.values[key] = result

    # ----- binding

    def bind(self, target: ast.AST, fact: Optional[Fact], value: Optional[ast.AST] = None) -> None:
        if isinstance(target, ast.Name):
            self.env.values[target.id] = fact
            self.record(target, fact)
        elif isinstance(target, ast.Attribute):
            key = dotted_name(target)
            if key is not None:
                self.env.values[key] = fact
                if fact is None and is_constant(value, None):
                    self.none_attributes.add(key.split(".", 1)[-1])
                self.record(target, fact)
            else:
                self.expr(target.value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elements = target.elts
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
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None)
        elif isinstance(target, ast.Subscript):
            self.subscript_assignment(target, value)

    def subscript_assignment(self, target: ast.Subscript, value: Optional[ast.AST]) -> None:
        current = self.expr(target.value)
        self.slice_parts(target.slice, ranges=False)
        key = dotted_name(target.value)
        if key is None or current is None:
            return
        if current.kind is Kind.ZEROS and value is not None and is_one(value) and _slice_width(target.slice) == 2:
            self.env.values[key] = Fact(Kind.ONE_HOT, target, framework=current.framework)

    def slice_parts(self, node: ast.AST, ranges: bool = True) -> None:
        """The expressions of a subscript's slice, each on its own as LibCST lists them.

        An assignment's target skips its ranges (``a[i:j] = ...``), as ``facts.py`` does.
        """
        for part in node.elts if _bare_tuple(node) else (node,):
            if not isinstance(part, ast.Slice):
                self.expr(part)
            elif ranges:
                self.children(part)

    # ----- expressions

    def expr(self, node: Optional[ast.AST]) -> Optional[Fact]:
        if node is None:
            return None
        handler = _EXPRESSION_HANDLERS.get(type(node))
        if handler is not None:
            fact = handler(self, node)
        else:
            self.children(node)
            return None
        if fact is not None:
            self.local_values[node] = fact
        return fact

    def children(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
            elif not isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)):
                self.children(child)

    def no_fact(self, node: ast.AST) -> None:
        return None

    def name(self, node: ast.Name) -> Optional[Fact]:
        return self.env.lookup(node.id)

    def sequence(self, node) -> Fact:
        return Fact(Kind.TUPLE, node, items=tuple(self.expr(e.value if isinstance(e, ast.Starred) else e) for e in node.elts))

    def conditional(self, node: ast.IfExp) -> Optional[Fact]:
        self.expr(node.test)
        body, orelse = self.expr(node.body), self.expr(node.orelse)
        return body if same_kind(body, orelse) else None

    def walrus(self, node: ast.NamedExpr) -> Optional[Fact]:
        fact = self.expr(node.value)
        self.bind(node.target, fact)
        return fact

    def lambda_(self, node: ast.Lambda) -> None:
        saved = self.env
        self.env = _Env(saved, {a.arg: None for a in node.args.args})
        try:
            self.expr(node.body)
        finally:
            self.env = saved
        return None

    def comprehension(self, node) -> None:
        saved = self.env
        self.env = _Env(saved)
        try:
            for clause in node.generators:
                self.expr(clause.iter)
                self.bind(clause.target, None)
                for condition in clause.ifs:
                    self.expr(condition)
            if isinstance(node, ast.DictComp):
                self.expr(node.key)
                self.expr(node.value)
            else:
                self.expr(node.elt)
        finally:
            self.env = saved
        return None

    def attribute(self, node: ast.Attribute) -> Optional[Fact]:
        key = dotted_name(node)
        if key is not None:
            known = self.env.get(key)
            if known is not _MISSING:
                return known
        receiver = self.expr(node.value)
        if node.attr in ("T", "mT", "data", "values") and receiver is not None:
            return receiver
        return None

    def subscript(self, node: ast.Subscript) -> Optional[Fact]:
        value = self.expr(node.value)
        self.slice_parts(node.slice)
        if value is None:
            return None
        if value.kind is Kind.EYE:
            return Fact(Kind.ONE_HOT, node, framework=value.framework)
        if value.kind is Kind.MAX:
            return value
        if value.kind is Kind.TUPLE and _slice_width(node.slice) == 1 and not isinstance(node.slice, ast.Slice):
            index = number(node.slice)
            if index is not None and index == int(index) and -len(value.items) <= int(index) < len(value.items):
                return value.items[int(index)]
            return None
        if value.kind in _LABEL_KINDS:
            return value
        return None

    def comparison(self, node: ast.Compare) -> Optional[Fact]:
        left = self.expr(node.left)
        rights = [self.expr(c) for c in node.comparators]
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            for fact in (left, rights[0]):
                if fact is not None and fact.kind is Kind.ARANGE:
                    return Fact(Kind.ONE_HOT, node, framework=fact.framework)
        return None

    def binary_operation(self, node: ast.BinOp) -> Optional[Fact]:
        left = self.expr(node.left)
        right = self.expr(node.right)
        operator = node.op
        if isinstance(operator, ast.Div):
            return self.quotient(node, node.left, node.right, left, right)
        if isinstance(operator, ast.Sub):
            return self.difference(node, node.left, node.right, left, right) or self.logit_gradient(node, left, right)
        if isinstance(operator, ast.MatMult):
            self.note_categorical_product(node.left, node.right)
        if isinstance(operator, ast.Mult):
            self.note_categorical_product(node.left, node.right)
            return self.product(node)
        if isinstance(operator, ast.Add):
            for fact in (left, right):
                if fact is not None and fact.kind is Kind.COMPLEMENT:
                    return fact
                if fact is not None and fact.kind in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
                    other = right if fact is left else left
                    if other is None:
                        return replace(fact, guarded=True)
        return None

    def product(self, node: ast.BinOp) -> Optional[Fact]:
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
        return Fact(Kind.ACTIVATION_DERIVATIVE, node)

    def quotient(self, node, numerator, denominator, top: Optional[Fact], bottom: Optional[Fact]) -> Optional[Fact]:
        if self._is_logistic(numerator, denominator, top):
            return Fact(Kind.SIGMOID_PROBS, node, framework=self._framework_of_exp(denominator))
        return self.normalised_exponential(top, bottom, node)

    def _is_logistic(self, numerator, denominator, top: Optional[Fact]) -> bool:
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
        if top is None or bottom is None or top.kind is not Kind.EXP or bottom.kind is not Kind.EXP_SUM:
            return None
        if bottom.derived_from is not top.origin and bottom.base != top.base:
            return None
        return Fact(Kind.SOFTMAX_PROBS, node, framework=top.framework, base=top.base, shifted=top.shifted)

    def difference(self, node, left_node, right_node, left: Optional[Fact], right: Optional[Fact]) -> Optional[Fact]:
        if is_one(left_node):
            return Fact(
                Kind.COMPLEMENT,
                node,
                base=self.code(_unwrap(right_node, self.analysis)),
                derived_from=right.origin if right is not None else None,
            )
        if right is None:
            return None
        if right.kind is Kind.MAX and right.base == self.code(left_node):
            return Fact(Kind.SHIFTED, node, base=right.base, framework=right.framework, axis=right.axis)
        if right.kind is Kind.LOGSUMEXP and right.base == self.code(left_node):
            return Fact(Kind.LOG_PROBS, node, framework=right.framework)
        return None

    def logit_gradient(self, node, left: Optional[Fact], right: Optional[Fact]) -> Optional[Fact]:
        if left is None or left.kind not in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
            return None
        if right is not None and right.kind in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS, Kind.MAX, Kind.LOGSUMEXP):
            return None
        return Fact(Kind.LOGIT_GRADIENT, node, framework=left.framework)

    def note_categorical_product(self, *operands: ast.AST) -> None:
        for operand in operands:
            inner = operand
            while isinstance(inner, ast.Attribute) and inner.attr in ("T", "mT"):
                inner = inner.value
            if not isinstance(inner, ast.Call) or self.role_of(inner) is not Role.LOG:
                continue
            probabilities = _operand(inner, Role.LOG, self.imports)
            if probabilities is not None:
                self.pending_products.append((inner, probabilities))

    def note_complement(self, role: Role, operand: Optional[ast.AST]) -> None:
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
                self.complements.add(self.code(_unwrap(subtracted, self.analysis)))
        elif isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.USub):
            self.complements.add(self.code(_unwrap(operand.operand, self.analysis)))

    def finish(self) -> None:
        for log_call, probabilities in self.pending_products:
            if self.recording:
                self.analysis.facts.cross_entropy_logs[log_call] = probabilities
            if self.code(_unwrap(probabilities, self.analysis)) in self.complements:
                continue
            fact = self.local_values.get(probabilities) or self.local_values.get(_unwrap(probabilities, self.analysis))
            if fact is not None and id(fact.origin) in self.complement_origins:
                continue
            if fact is not None and fact.kind is Kind.PARAMETER:
                self.categorical_params.add(fact.index)
            if self.recording:
                self.analysis.facts.categorical_logs[log_call] = CategoricalLog(log_call, probabilities)

    # ----- calls

    def role_of(self, call: ast.Call) -> Optional[Role]:
        roles = self.analysis.facts.roles
        if call in roles:
            return roles[call]
        root = call.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and self.env.get(root.id) is not _MISSING and not self.imports.is_imported(root.id):
            role = apis.METHOD_ROLES.get(call.func.attr) if isinstance(call.func, ast.Attribute) else None
        elif isinstance(call.func, ast.Name) and call.func.id in self.analysis.functions:
            role = None
        else:
            role = _static_role(call, self.imports, self.analysis.knowledge)
        roles[call] = role
        return role

    def call(self, node: ast.Call) -> Optional[Fact]:
        callee_fact = self.expr(node.func) if not isinstance(node.func, ast.Name) else self.env.lookup(node.func.id)
        argument_facts = [self.expr(value) for value in argument_values(node)]
        if callee_fact is not None:
            return self.call_value(node, callee_fact)
        local = self.local_function(node.func)
        if local is not None:
            return self.call_local(node, local, argument_facts)
        role = self.role_of(node)
        qualified = self.imports.qualify(node.func)
        if qualified is not None:
            return self.call_library(node, apis.canonical(qualified), role)
        if isinstance(node.func, ast.Attribute):
            receiver = self.local_values.get(node.func.value)
            return self.call_method(node, node.func.attr, receiver, role)
        if role is not None:
            return self.apply_role(node, role, _operand(node, role, self.imports), "numpy")
        return self.activation_keyword(node)

    def local_function(self, func: ast.AST) -> Optional[_Function]:
        if isinstance(func, ast.Name):
            if self.env.get(func.id) is not _MISSING:
                return None
            return self.analysis.functions.get(func.id)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and self.function is not None
            and self.function.is_method
            and func.value.id == self.function.params[0]
        ):
            return self.analysis.functions.get(f"{self.function.class_name}.{func.attr}")
        return None

    def call_local(self, node: ast.Call, function: _Function, argument_facts: List[Optional[Fact]]) -> Optional[Fact]:
        offset = 1 if function.is_method and isinstance(node.func, ast.Attribute) else 0
        by_param: Dict[int, Tuple[ast.AST, Optional[Fact]]] = {}
        position = offset
        for arg, fact in zip(node.args, argument_facts):
            if isinstance(arg, ast.Starred):
                break
            by_param[position] = (arg, fact)
            position += 1
        else:
            for item, fact in zip(node.keywords, argument_facts[len(node.args) :]):
                if item.arg is None:
                    break
                if item.arg in function.params:
                    by_param[function.params.index(item.arg)] = (item.value, fact)
        bindings = tuple(
            sorted((index, string_value(value)) for index, (value, _) in by_param.items() if string_value(value) is not None)
        )
        if not self.recording:
            seen = [by_param[i][1] if i in by_param else None for i in range(len(function.params))]
            self.analysis.call_site_facts.setdefault(function.node, []).append(seen)
        summary = self.analysis.summary(function, bindings)
        if summary is None:
            return self.activation_keyword(node)
        name = function.node.name
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

    def call_value(self, node: ast.Call, callee: Fact) -> Optional[Fact]:
        if callee.kind is Kind.CALLABLE:
            return callee.returns
        if callee.kind is Kind.LOSS and callee.loss is not None:
            self.note_loss(node, callee.loss, callee.from_logits, callee.origin)
        if isinstance(node.func, ast.Attribute):
            receiver = self.local_values.get(node.func.value)
            if receiver is not None:
                return self.call_method(node, node.func.attr, receiver, None)
        return None

    def call_library(self, node: ast.Call, qualified: str, role: Optional[Role]) -> Optional[Fact]:
        framework = apis.framework_of(qualified)
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
            return Fact(Kind.LOSS, node, framework=framework, loss=spec, from_logits=from_logits)
        return self.apply_role(node, role, _operand(node, role, self.imports), framework)

    def call_method(self, node: ast.Call, method: str, receiver: Optional[Fact], role: Optional[Role]) -> Optional[Fact]:
        func = node.func
        if receiver is not None:
            handled, result = self.method_on_known(node, method, receiver)
            if handled:
                return result
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            if method in apis.TENSOR_ONLY_METHODS:
                return None
        if method in apis.KIND_KEEPING_METHODS:
            if receiver is None or receiver.kind in (Kind.CALLABLE, Kind.LOSS):
                return None
            return replace(receiver, guarded=True) if method.rstrip("_") in apis.GUARDING_FUNCTIONS else receiver
        if role is not None:
            framework = receiver.framework if receiver is not None else _framework_of_method(method)
            return self.apply_role(node, role, _operand(node, role, self.imports), framework)
        return self.activation_keyword(node)

    def method_on_known(self, node: ast.Call, method: str, receiver: Fact) -> Tuple[bool, Optional[Fact]]:
        kind = receiver.kind
        if kind is Kind.CALLABLE:
            if method in ("predict", "predict_on_batch", "forward", "__call__", "call"):
                return True, receiver.returns
            if method == "add" and argument_count(node):
                layer = self.local_values.get(argument_values(node)[0])
                returns = layer.returns if layer is not None and layer.kind is Kind.CALLABLE else None
                key = dotted_name(node.func.value)
                if key is not None:
                    self.env.values[key] = Fact(Kind.CALLABLE, receiver.origin, returns=returns)
                return True, None
            if method == "compile":
                self.note_compile(node, receiver)
                return True, None
            if method in ("fit", "train_on_batch", "evaluate", "test_on_batch"):
                if self.recording and receiver.loss is not None:
                    self.analysis.facts.fits[node] = ModelFit(node, receiver, argument(node, 1, "y"))
                return True, None
            if method in ("to", "cuda", "cpu", "eval", "train", "double", "float"):
                return True, receiver
            return True, None
        if kind is Kind.ENCODER:
            if method in ("fit_transform", "transform"):
                return True, Fact(Kind.ONE_HOT, node)
            return True, None
        if kind is Kind.RNG:
            if method in ("integers", "randint"):
                return True, self.random_labels(node, node)
            return True, None
        if kind is Kind.LOSS:
            return True, None
        return False, None

    def apply_role(self, node: ast.Call, role: Role, operand: Optional[ast.AST], framework: str) -> Optional[Fact]:
        operand_fact = self.local_values.get(operand) if operand is not None else None
        if role is Role.SOFTMAX:
            return Fact(Kind.SOFTMAX_PROBS, node, framework=framework)
        if role is Role.LOG_SOFTMAX:
            return Fact(Kind.LOG_PROBS, node, framework=framework)
        if role is Role.SIGMOID:
            return Fact(Kind.SIGMOID_PROBS, node, framework=framework)
        if role is Role.ONE_HOT:
            return Fact(Kind.ONE_HOT, node, framework=framework)
        if role is Role.ARGMAX:
            return Fact(Kind.CLASS_INDICES, node, framework=framework)
        if role is Role.RANDINT:
            return self.random_labels(node, node)
        if role is Role.RNG:
            return Fact(Kind.RNG, node, framework=framework)
        if role is Role.INT_ARRAY:
            labels = self.literal_labels(node, operand, framework)
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
                return Fact(Kind.LOG_PROBS, node, framework=framework)
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
                    axis=self.axis_of(node, operand),
                )
            return None
        if role is Role.MAX:
            base = self.code(operand) if operand is not None else ""
            return Fact(Kind.MAX, node, base=base, framework=framework, axis=self.axis_of(node, operand))
        if role is Role.LOGSUMEXP:
            return Fact(Kind.LOGSUMEXP, node, base=self.code(operand) if operand is not None else "", framework=framework)
        if role is Role.DIVIDE and argument_count(node) >= 2:
            first, second = first_values(node, 2)
            top, bottom = self.local_values.get(first), self.local_values.get(second)
            return self.quotient(node, first, second, top, bottom)
        if role is Role.SUBTRACT and argument_count(node) >= 2:
            first, second = first_values(node, 2)
            left, right = self.local_values.get(first), self.local_values.get(second)
            return self.difference(node, first, second, left, right)
        if role in (Role.MULTIPLY, Role.DOT) and argument_count(node) >= 2:
            self.note_categorical_product(*first_values(node, 2))
            return None
        if role is Role.WHERE and argument_count(node) >= 3:
            chosen = [self.local_values.get(value) for value in first_values(node, 3)[1:]]
            return chosen[0] if same_kind(chosen[0], chosen[1]) else None
        if role is Role.KEEP_KIND:
            kept = self.kept_kind(node)
            if kept is not None and self.last_segment(node.func) in apis.GUARDING_FUNCTIONS:
                return replace(kept, guarded=True)
            return kept
        if role is Role.LABELED_DATASET:
            return self.labeled_dataset(node)
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
            return Fact(Kind.CALLABLE, node, framework=framework, returns=Fact(kind, node, framework=framework))
        if role is Role.SEQUENTIAL:
            return self.sequential(node, framework)
        if role is Role.KERAS_LAYER:
            return self.keras_layer(node, keyword(node, "activation"), framework)
        if role is Role.KERAS_ACTIVATION_LAYER:
            return self.keras_layer(node, argument(node, 0, "activation"), framework)
        if role is Role.KERAS_MODEL:
            outputs_node = argument(node, 1, "outputs")
            outputs = self.local_values.get(outputs_node) if outputs_node else None
            return Fact(Kind.CALLABLE, node, framework=framework, returns=outputs)
        if role is Role.ENCODER:
            return Fact(Kind.ENCODER, node, framework=framework)
        return None

    def exponential(self, node, operand, operand_fact: Optional[Fact], framework: str) -> Fact:
        if operand_fact is not None and operand_fact.kind is Kind.LOG_PROBS:
            return Fact(Kind.SOFTMAX_PROBS, node, framework=framework)
        shifted = operand_fact is not None and operand_fact.kind in (Kind.SHIFTED, Kind.LOG_PROBS)
        if operand is not None and not shifted:
            shifted = _negated(operand) or any(sign < 0 for sign, _ in terms(operand, self.role_of))
        base = operand
        while isinstance(base, ast.Attribute) and base.attr in ("T", "mT"):
            base = base.value
        axis = operand_fact.axis if operand_fact is not None and operand_fact.kind is Kind.SHIFTED else None
        text = self.code(base) if base is not None else ""
        return Fact(Kind.EXP, node, base=text, shifted=shifted, framework=framework, axis=axis)

    def labeled_dataset(self, node: ast.Call) -> Optional[Fact]:
        labels = Fact(Kind.CLASS_INDICES, node)
        if self.last_segment(node.func).endswith("load_data"):
            pair = Fact(Kind.TUPLE, node, items=(None, labels))
            return Fact(Kind.TUPLE, node, items=(pair, pair))
        if _bool_keyword(node, "return_X_y"):
            return Fact(Kind.TUPLE, node, items=(None, labels))
        return None

    def kept_kind(self, node: ast.Call) -> Optional[Fact]:
        for value in first_values(node, 2):
            fact = self.local_values.get(value)
            if fact is not None and fact.kind not in (Kind.TUPLE, Kind.CALLABLE, Kind.LOSS):
                return fact
        return None

    def random_labels(self, node: ast.Call, origin: ast.AST) -> Optional[Fact]:
        bounds = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
        bounds = [b for b in bounds if not isinstance(b, (ast.Tuple, ast.List))]
        high = keyword(node, "high")
        if high is None and bounds:
            high = bounds[1] if len(bounds) >= 2 else bounds[0]
        value = number(high) if high is not None else None
        if value == 2:
            return Fact(Kind.BINARY_LABELS, origin)
        return Fact(Kind.CLASS_INDICES, origin)

    def literal_labels(self, node: ast.Call, operand, framework: str) -> Optional[Fact]:
        values = _integer_literals(operand)
        if not values or len(values) < 2:
            return None
        if set(values) <= {0, 1}:
            return Fact(Kind.BINARY_LABELS, node, framework=framework)
        if min(values) >= 0:
            return Fact(Kind.CLASS_INDICES, node, framework=framework)
        return None

    def sequential(self, node: ast.Call, framework: str) -> Fact:
        layers: List[ast.AST] = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
        named = keyword(node, "layers")
        if len(layers) == 1 and isinstance(layers[0], (ast.List, ast.Tuple)):
            layers = list(layers[0].elts)
        elif isinstance(named, (ast.List, ast.Tuple)):
            layers = list(named.elts)
        returns = None
        if layers:
            last = self.local_values.get(layers[-1])
            returns = last.returns if last is not None and last.kind is Kind.CALLABLE else None
        return Fact(Kind.CALLABLE, node, framework=framework, returns=returns)

    def keras_layer(self, node: ast.Call, activation: Optional[ast.AST], framework: str) -> Fact:
        output = None
        if activation is None:
            output = Fact(Kind.LOGITS, node, framework=framework)
        else:
            name = string_value(activation)
            if name is None:
                qualified = self.imports.qualify(activation)
                role = self.analysis.knowledge.function_role(qualified) if qualified else None
                name = role.value if role in (Role.SOFTMAX, Role.SIGMOID) else None
            role = apis.ACTIVATION_NAMES.get(name or "")
            if role is Role.SOFTMAX:
                output = Fact(Kind.SOFTMAX_PROBS, node, framework=framework)
            elif role is Role.SIGMOID:
                output = Fact(Kind.SIGMOID_PROBS, node, framework=framework)
            elif role is Role.KEEP_KIND:
                output = Fact(Kind.LOGITS, node, framework=framework)
        return Fact(Kind.CALLABLE, node, framework=framework, returns=output)

    def activation_keyword(self, node: ast.Call) -> Optional[Fact]:
        role = apis.ACTIVATION_NAMES.get(string_value(keyword(node, "activation")) or "")
        if role is Role.SOFTMAX:
            return Fact(Kind.SOFTMAX_PROBS, node, unpacks_first=True)
        if role is Role.SIGMOID:
            return Fact(Kind.SIGMOID_PROBS, node, unpacks_first=True)
        return None

    def last_segment(self, func: ast.AST) -> str:
        """The last dotted part of how a call is spelled: ``clip`` of ``np.clip`` or of ``f().clip``."""
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
        return self.code(func).rsplit(".", 1)[-1]

    def axis_of(self, call: ast.Call, operand: Optional[ast.AST]) -> str:
        for name in ("axis", "dim"):
            value = keyword(call, name)
            if value is not None:
                return self.code(value)
        on_value = isinstance(call.func, ast.Attribute) and operand is call.func.value
        value = positional(call, 0 if on_value else 1)
        if value is not None and (number(value) is not None or isinstance(value, (ast.Name, ast.Attribute, ast.Tuple))):
            return self.code(value)
        return ""

    # ----- losses

    def note_loss(self, node: ast.Call, spec: Optional[LossSpec], from_logits: Optional[bool], origin) -> None:
        if spec is None or not self.recording:
            return
        expects = spec.expects
        if spec.from_logits_keyword and from_logits is True:
            expects = Expects.LOGITS
        prediction = argument(node, spec.prediction.position, spec.prediction.keyword)
        target = argument(node, spec.target.position, spec.target.keyword)
        self.analysis.facts.loss_uses[node] = LossUse(node, spec, expects, prediction, target, origin)

    def note_compile(self, node: ast.Call, model: Fact) -> None:
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
        key = dotted_name(node.func.value) if isinstance(node.func, ast.Attribute) else None
        if key is not None:
            self.env.values[key] = replace(model, loss=spec, from_logits=expects is Expects.LOGITS)
        if self.recording:
            self.analysis.facts.compiles[node] = CompileUse(node, model, spec, expects, loss)


_STATEMENT_HANDLERS = {
    ast.Assign: _Run.assign,
    ast.AnnAssign: _Run.annotated_assign,
    ast.AugAssign: _Run.augmented_assignment,
    ast.Expr: _Run.expression_statement,
    ast.Return: _Run.return_statement,
    ast.Delete: _Run.nothing,
    ast.Raise: _Run.raise_statement,
    ast.Import: _Run.nothing,
    ast.ImportFrom: _Run.nothing,
    ast.If: _Run.if_statement,
    ast.For: _Run.loop,
    ast.AsyncFor: _Run.loop,
    ast.While: _Run.loop,
    ast.Try: _Run.try_statement,
    ast.With: _Run.with_statement,
    ast.AsyncWith: _Run.with_statement,
    ast.FunctionDef: _Run.function_definition,
    ast.AsyncFunctionDef: _Run.function_definition,
    ast.ClassDef: _Run.class_definition,
    ast.Match: _Run.match_statement,
}
if hasattr(ast, "TryStar"):
    _STATEMENT_HANDLERS[ast.TryStar] = _Run.try_statement

_EXPRESSION_HANDLERS = {
    ast.Constant: _Run.no_fact,
    ast.JoinedStr: _Run.no_fact,
    ast.Name: _Run.name,
    ast.Attribute: _Run.attribute,
    ast.Call: _Run.call,
    ast.BinOp: _Run.binary_operation,
    ast.Subscript: _Run.subscript,
    ast.Tuple: _Run.sequence,
    ast.List: _Run.sequence,
    ast.IfExp: _Run.conditional,
    ast.NamedExpr: _Run.walrus,
    ast.Compare: _Run.comparison,
    ast.Lambda: _Run.lambda_,
    ast.ListComp: _Run.comprehension,
    ast.SetComp: _Run.comprehension,
    ast.GeneratorExp: _Run.comprehension,
    ast.DictComp: _Run.comprehension,
}


def _bare_tuple(node: ast.AST) -> bool:
    """``a[i, j]`` (two elements, as LibCST counts them), not ``a[(i, j)]`` (one, a tuple)."""
    if not isinstance(node, ast.Tuple) or not node.elts:
        return False
    first = node.elts[0]
    return (first.lineno, first.col_offset) == (node.lineno, node.col_offset)


def _slice_width(node: ast.AST) -> int:
    return len(node.elts) if _bare_tuple(node) else 1


def _returned_by(fact: Optional[Fact], call: ast.Call) -> Optional[Fact]:
    if fact is None:
        return None
    if fact.kind is Kind.TUPLE:
        return replace(fact, items=tuple(_returned_by(item, call) for item in fact.items))
    if fact.kind not in _VALUE_KINDS:
        return fact
    return replace(fact, origin=call)


def _negated(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return True
    value = number(node)
    if value is not None:
        return value < 0
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        return _negated(node.left) != _negated(node.right)
    return False


def _bool_keyword(node: ast.Call, name: str) -> Optional[bool]:
    value = keyword(node, name)
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        return value.value
    return None


def _integer_literals(node: Optional[ast.AST]) -> List[int]:
    if node is None:
        return []
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        found: List[int] = []
        for element in node.elts:
            inner = _integer_literals(element)
            if not inner and not (isinstance(element, (ast.List, ast.Tuple)) and not element.elts):
                return []
            found.extend(inner)
        return found
    return []


def analyze(tree: ast.Module, source: str, knowledge: apis.Knowledge = apis.BUILT_IN) -> ScreenFacts:
    """What ``facts.analyze`` would know of the module ``source``, keyed by the nodes of ``tree``."""
    return _Analysis(tree, SourceText(source), AstImportTable.from_tree(tree), knowledge).run()
