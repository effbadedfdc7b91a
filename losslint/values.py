"""What each operation makes of the kinds of its operands: the meaning side of the value-kind analysis.

``Interpreter`` holds the rules of the analysis that do not depend on the tree:
``e / e.sum()`` with ``e = exp(z)`` is a softmax, ``A - Y`` with ``A`` a
probability is the gradient with respect to the logits, ``Y * log(A)`` is a
cross-entropy term, a library call does what ``apis.py`` says, a layer or loss
object does what it was built to do. A tree's walker (``facts.py`` for LibCST,
``screen/facts.py`` for ``ast``) subclasses it: it visits the statements and
expressions and calls these methods, and reads nodes through ``syntax``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional, Set, Tuple

from losslint import apis
from losslint.apis import Expects, LossSpec, Role
from losslint.kinds import Fact, Kind, same_kind
from losslint.records import (
    CategoricalLog,
    CompileUse,
    DerivativeTwice,
    LossUse,
    ModelFit,
    Node,
    UserLossCall,
    static_role,
)
from losslint.scopes import INHERITABLE, MISSING, Analysis, Env, Function

_LABEL_KINDS = frozenset({Kind.CLASS_INDICES, Kind.ONE_HOT, Kind.BINARY_LABELS})
_VALUE_KINDS = INHERITABLE - {Kind.CALLABLE, Kind.LOSS}
_TORCH_ONLY_METHODS = frozenset({"softmax", "log_softmax", "sigmoid", "exp", "log", "log1p", "logsumexp", "clamp", "amax"})


class Interpreter:
    """One interpretation of one scope (the module, or a function body)."""

    def __init__(
        self,
        analysis: Analysis,
        function: Optional[Function],
        recording: bool,
        bindings: Optional[Dict[int, str]] = None,
        parent: Optional[Env] = None,
    ) -> None:
        self.analysis = analysis
        self.imports = analysis.imports
        self.syntax = analysis.syntax
        self.code = analysis.code
        self.function = function
        self.recording = recording
        self.bindings = bindings or {}
        self.env = Env(parent)
        self.returns: List[Optional[Fact]] = []
        self.categorical_params: Set[int] = set()
        self.derivative_params: Set[int] = set()
        self.none_attributes: Set[str] = set()
        # `Y * log(A)` terms wait for the end of the scope: a `log(1 - A)` may come later.
        self.pending_products: List[Tuple[Node, Node]] = []
        self.complements: Set[str] = set()
        self.complement_origins: Set[int] = set()
        # Facts of sub-expressions are needed to recognise shapes even when not recording.
        self.local_values: Dict[Node, Fact] = analysis.facts.values if recording else {}

    # ----- what a walker provides

    def expr(self, node: Optional[Node]) -> Optional[Fact]:
        raise NotImplementedError

    def block(self, statements) -> None:
        raise NotImplementedError

    def function_statements(self, node: Node) -> None:
        """Interpret the body of the function definition ``node``."""
        raise NotImplementedError

    # ----- scopes

    def function_body(self, function: Function, inherit_call_sites: bool) -> None:
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
        for name in function.unknown_params:
            self.env.values[name] = None
        if function.is_method:
            self_name = function.params[0]
            self.env.values[self_name] = None
            for attribute, fact in self.analysis.class_attributes.get(function.class_name, {}).items():
                self.env.values[f"{self_name}.{attribute}"] = fact
        self.function_statements(node)
        self.finish()

    def nested_function(self, node: Node) -> None:
        """A ``def`` met in a body: interpreted where facts are recorded; its name now shadows imports."""
        if self.recording or self.function is None:
            function = self.analysis.by_node.get(node) or self.analysis.make_function(node, None)
            if not self.recording and not function.calls_local:
                return  # it adds no call site, and computes no summary
            run = self.analysis.new_run(function, recording=self.recording, parent=self.env.copy())
            run.function_body(function, inherit_call_sites=True)

    def merged_returns(self) -> Optional[Fact]:
        known = [r for r in self.returns if r is not None]
        if not known or len(known) != len(self.returns):
            return None
        first = known[0]
        return first if all(same_kind(first, other) for other in known[1:]) else None

    def record(self, node: Node, fact: Optional[Fact]) -> Optional[Fact]:
        if fact is not None:
            self.local_values[node] = fact
        return fact

    def branch(self, action) -> Env:
        saved = self.env
        self.env = saved.copy()
        try:
            action()
            return self.env
        finally:
            self.env = saved

    # ----- control flow: a walker says how to run each part, these join the paths

    def choose(self, test: Node, decided: Optional[bool], body, orelse) -> None:
        """``if test: body() else: orelse()``; ``decided`` when the test is known (see ``static_test``)."""
        if decided is None:
            self.expr(test)
        if decided is True:
            body()
        elif decided is False:
            orelse()
        else:
            self.env.merge([self.branch(body), self.branch(orelse)])

    def repeat(self, header: Node, body, orelse) -> None:
        """A loop: ``header`` (the iterable or the test) once, ``body`` zero or more times, then ``orelse``."""
        self.expr(header)
        self.env.merge([self.branch(body), self.env.copy()])
        orelse()

    def attempt(self, body, orelse, handlers, finalbody) -> None:
        """``try``: each handler (a callable) starts from the state before ``body``."""
        before = self.env.copy()
        body()
        orelse()
        paths = [self.env.copy()]
        for handler in handlers:
            saved = self.env
            self.env = before.copy()
            handler()
            paths.append(self.env)
            self.env = saved
        self.env.merge(paths)
        finalbody()

    def alternatives(self, subject: Node, cases) -> None:
        """``match``: one path per case (a callable), and the path where none matched."""
        self.expr(subject)
        branches = [self.branch(case) for case in cases]
        branches.append(self.env.copy())
        self.env.merge(branches)

    def static_test(self, left: Node, right: Node, operator: str) -> Optional[bool]:
        """``activation == "softmax"`` when the function was specialised on ``activation``.

        ``operator`` is ``==``, ``!=``, ``in`` or ``not in``; ``right`` may be a string literal or a literal list.
        """
        syntax = self.syntax
        if syntax.is_string_literal(left):
            left, right = right, left
        name = syntax.name(left)
        bound = self.env.lookup(name) if name is not None else None
        if bound is None or bound.kind is not Kind.STRING:
            return None
        if operator in ("in", "not in"):
            options = syntax.collection_items(right)
            if options is None:
                return None
            inside = bound.base in [syntax.string_value(option) for option in options]
            return inside if operator == "in" else not inside
        constant = syntax.string_value(right)
        if constant is None:
            return None
        if operator == "==":
            return bound.base == constant
        if operator == "!=":
            return bound.base != constant
        return None

    # ----- assignments

    def augmented(self, node: Node, operator: str, target: Node, current: Optional[Fact], value: Optional[Fact]) -> None:
        """``target -= value`` or ``target /= value`` (``operator`` "-" or "/"); another operator forgets the name."""
        key = self.syntax.dotted_name(target)
        if key is None:
            return
        result: Optional[Fact] = None
        if operator == "-" and value is not None:
            if value.kind is Kind.MAX and value.base == self.code(target):
                result = Fact(Kind.SHIFTED, node, base=self.code(target), framework=value.framework, axis=value.axis)
            elif value.kind is Kind.LOGSUMEXP and value.base == self.code(target):
                result = Fact(Kind.LOG_PROBS, node, how="`z - logsumexp(z)`", framework=value.framework)
        elif operator == "/":
            result = self.normalised_exponential(current, value, node)
        self.env.values[key] = result

    def forget_subscripted(self, target_value: Node) -> None:
        """``probs[range(N), y] -= 1`` turns the probabilities into a gradient."""
        base = self.syntax.dotted_name(target_value)
        if base is not None and self.env.get(base) is not MISSING:
            self.env.values[base] = None

    def bind(self, target: Node, fact: Optional[Fact], value: Optional[Node] = None) -> None:
        syntax = self.syntax
        name = syntax.name(target)
        if name is not None:
            self.env.values[name] = fact
            self.record(target, fact)
            return
        if syntax.attribute(target) is not None:
            key = syntax.dotted_name(target)
            if key is not None:
                self.env.values[key] = fact
                if fact is None and syntax.is_none(value):
                    self.none_attributes.add(key.split(".", 1)[-1])
                self.record(target, fact)
            else:
                self.expr(syntax.attribute(target)[0])
            return
        elements = syntax.target_elements(target)
        if elements is not None:
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
            return
        starred = syntax.starred_target(target)
        if starred is not None:
            self.bind(starred, None)
            return
        subscript = syntax.subscript_target(target)
        if subscript is not None:
            self.subscript_assignment(target, *subscript, value)

    def subscript_assignment(self, target: Node, array: Node, indices: List[Node], width: int, value: Optional[Node]) -> None:
        """``Y[y, np.arange(m)] = 1`` on an array of zeros builds one-hot labels.

        ``indices`` are the plain indices of the subscript (not its ranges), ``width`` counts both.
        """
        current = self.expr(array)
        for index in indices:
            self.expr(index)
        key = self.syntax.dotted_name(array)
        if key is None or current is None:
            return
        if current.kind is Kind.ZEROS and value is not None and self.syntax.is_one(value) and width == 2:
            self.env.values[key] = Fact(Kind.ONE_HOT, target, how="zeros with a 1 set per example", framework=current.framework)

    # ----- expressions

    def attribute(self, node: Node) -> Optional[Fact]:
        key = self.syntax.dotted_name(node)
        if key is not None:
            known = self.env.get(key)
            if known is not MISSING:
                return known
        value, attr = self.syntax.attribute(node)
        receiver = self.expr(value)
        if attr in ("T", "mT", "data", "values") and receiver is not None:
            return receiver
        return None

    def subscripted(self, node: Node, value: Optional[Fact], index: Optional[Node]) -> Optional[Fact]:
        """``value[...]``; ``index`` is the subscript when it is a single plain index (no slice, no comma)."""
        if value is None:
            return None
        if value.kind is Kind.EYE:
            return Fact(Kind.ONE_HOT, node, how="`eye(C)[y]`", framework=value.framework)
        if value.kind is Kind.MAX:
            return value
        if value.kind is Kind.TUPLE and index is not None:
            position = self.syntax.number(index)
            if position is not None and position == int(position) and -len(value.items) <= int(position) < len(value.items):
                return value.items[int(position)]
            return None
        if value.kind is Kind.TUPLE:
            return None
        if value.kind in _LABEL_KINDS:
            return value
        return None

    def compared(self, node: Node, facts: List[Optional[Fact]], single_equality: bool) -> Optional[Fact]:
        """``y[:, None] == arange(C)`` is one-hot labels."""
        if single_equality:
            for fact in facts[:2]:
                if fact is not None and fact.kind is Kind.ARANGE:
                    return Fact(Kind.ONE_HOT, node, how="`y[:, None] == arange(C)`", framework=fact.framework)
        return None

    def conditional(self, body: Optional[Fact], orelse: Optional[Fact]) -> Optional[Fact]:
        return body if same_kind(body, orelse) else None

    def if_expression(self, node: Node) -> Optional[Fact]:
        """``a if test else b``: both trees name the parts ``test``, ``body`` and ``orelse``."""
        self.expr(node.test)
        return self.conditional(self.expr(node.body), self.expr(node.orelse))

    def walrus(self, node: Node) -> Optional[Fact]:
        """``(target := value)``: both trees name the parts ``target`` and ``value``."""
        fact = self.expr(node.value)
        self.bind(node.target, fact)
        return fact

    def sequence(self, node: Node) -> Fact:
        """A tuple or list literal: a tuple of its items' facts."""
        return Fact(Kind.TUPLE, node, items=tuple(self.expr(item) for item in self.syntax.elements(node)))

    def nested_scope(self, names: List[str], expressions: List[Node]) -> None:
        """A lambda's body, with its parameters unknown and the enclosing names visible."""
        saved = self.env
        self.env = Env(saved, {name: None for name in names})
        try:
            for expression in expressions:
                self.expr(expression)
        finally:
            self.env = saved

    def binary(self, node: Node, operator: str, left_node: Node, right_node: Node) -> Optional[Fact]:
        """``left <operator> right`` for ``/ - @ * +``; other operators only evaluate their operands."""
        left = self.expr(left_node)
        right = self.expr(right_node)
        if operator == "/":
            return self.quotient(node, left_node, right_node, left, right)
        if operator == "-":
            return self.difference(node, left_node, right_node, left, right) or self.logit_gradient(node, left, right)
        if operator == "@":
            self.note_categorical_product(left_node, right_node)
        if operator == "*":
            self.note_categorical_product(left_node, right_node)
            return self.product(node)
        if operator == "+":
            for fact in (left, right):
                # `1 - A + eps` is still the complement of `A`; `A + eps` is a guarded probability.
                if fact is not None and fact.kind is Kind.COMPLEMENT:
                    return fact
                if fact is not None and fact.kind in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
                    other = right if fact is left else left
                    if other is None:
                        return replace(fact, guarded=True)
        return None

    def product(self, node: Node) -> Optional[Fact]:
        """``s * (1 - s)`` is the sigmoid's derivative; multiplying ``A - Y`` by it applies it twice."""
        parts = self.syntax.factors(node, self.role_of)
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
        is_one = self.syntax.is_one
        parts = self.syntax.terms(denominator, self.role_of)
        if len(parts) != 2 or not any(sign > 0 and is_one(term) for sign, term in parts):
            return False
        exps = [self.local_values.get(term) for sign, term in parts if sign > 0 and not is_one(term)]
        if len(exps) != 1 or exps[0] is None or exps[0].kind is not Kind.EXP:
            return False
        if is_one(numerator):
            return True
        return top is not None and top.kind is Kind.EXP and top.base == exps[0].base

    def _framework_of_exp(self, denominator) -> str:
        for _, term in self.syntax.terms(denominator, self.role_of):
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

    def difference(self, node, left_node, right_node, left: Optional[Fact], right: Optional[Fact]) -> Optional[Fact]:
        if self.syntax.is_one(left_node):
            return Fact(
                Kind.COMPLEMENT,
                node,
                base=self.code(self.unwrap(right_node)),
                derived_from=right.origin if right is not None else None,
            )
        if right is None:
            return None
        if right.kind is Kind.MAX and right.base == self.code(left_node):
            return Fact(Kind.SHIFTED, node, base=self.code(left_node), framework=right.framework, axis=right.axis)
        if right.kind is Kind.LOGSUMEXP and right.base == self.code(left_node):
            return Fact(Kind.LOG_PROBS, node, how="`z - logsumexp(z)`", framework=right.framework)
        return None

    def logit_gradient(self, node, left: Optional[Fact], right: Optional[Fact]) -> Optional[Fact]:
        """``A - Y`` with ``A`` a probability: the gradient with respect to the logits, already complete."""
        if left is None or left.kind not in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS):
            return None
        if right is not None and right.kind in (Kind.SOFTMAX_PROBS, Kind.SIGMOID_PROBS, Kind.MAX, Kind.LOGSUMEXP):
            return None
        return Fact(Kind.LOGIT_GRADIENT, node, how=f"`{self.code(node)}`", framework=left.framework)

    def untransposed(self, node: Node) -> Node:
        """``z`` of ``z.T``: a transpose holds the same values."""
        parts = self.syntax.attribute(node)
        while parts is not None and parts[1] in ("T", "mT"):
            node = parts[0]
            parts = self.syntax.attribute(node)
        return node

    def note_categorical_product(self, *operands: Node) -> None:
        """``Y * log(A)``: the term of categorical cross-entropy, unless ``log(1 - A)`` stands beside it."""
        for operand in operands:
            inner = self.untransposed(operand)
            if not self.syntax.is_call(inner) or self.role_of(inner) is not Role.LOG:
                continue
            probabilities = self.operand(inner, Role.LOG)
            if probabilities is not None:
                self.pending_products.append((inner, probabilities))

    def note_complement(self, role: Role, operand: Optional[Node]) -> None:
        """``log(1 - A)`` or ``log1p(-A)``: the binary half of a cross-entropy on ``A``."""
        if operand is None:
            return
        for candidate in (operand, self.unwrap(operand)):
            fact = self.local_values.get(candidate)
            if fact is not None and fact.kind is Kind.COMPLEMENT:
                self.complements.add(fact.base)
                if fact.derived_from is not None:
                    self.complement_origins.add(id(fact.derived_from))
        operand = self.unwrap(operand)
        if role is Role.LOG:
            for subtracted in self.syntax.one_minus(operand, self.role_of):
                self.complements.add(self.code(self.unwrap(subtracted)))
            return
        negated = self.syntax.minus_operand(operand)
        if negated is not None:
            self.complements.add(self.code(self.unwrap(negated)))

    def finish(self) -> None:
        """Decide the scope's ``Y * log(A)`` terms now that every ``log(1 - A)`` in it is known."""
        for log_call, probabilities in self.pending_products:
            if self.recording:
                self.analysis.facts.cross_entropy_logs[log_call] = probabilities
            if self.code(self.unwrap(probabilities)) in self.complements:
                continue
            fact = self.local_values.get(probabilities) or self.local_values.get(self.unwrap(probabilities))
            if fact is not None and id(fact.origin) in self.complement_origins:
                continue  # `1 - x` of the same value, reached under another name
            if fact is not None and fact.kind is Kind.PARAMETER:
                self.categorical_params.add(fact.index)
            if self.recording:
                self.analysis.facts.categorical_logs[log_call] = CategoricalLog(log_call, probabilities)

    # ----- the array a call acts on

    def unwrap(self, node: Node) -> Node:
        """The array inside kind-keeping wrappers: ``np.clip(A, eps, 1 - eps)`` -> ``A``, ``A.T`` -> ``A``."""
        syntax = self.syntax
        while True:
            parts = syntax.attribute(node)
            if parts is not None and parts[1] in ("T", "mT", "data"):
                node = parts[0]
            elif syntax.is_call(node) and syntax.argument_count(node):
                qualified = self.imports.qualify(node.func)
                method = syntax.attribute(node.func)
                if qualified is not None and self.analysis.knowledge.function_role(qualified) is Role.KEEP_KIND:
                    node = syntax.first_values(node, 1)[0]
                elif qualified is None and method is not None and method[1] in ("clip", "clamp", "copy", "clone", "detach"):
                    node = method[0]
                else:
                    return node
            else:
                return node

    def operand(self, call: Node, role: Optional[Role]) -> Optional[Node]:
        """The array a role acts on: the first argument of a function, the receiver of a method."""
        syntax = self.syntax
        first = syntax.positional(call, 0)
        method = syntax.attribute(call.func)
        if self.imports.qualify(call.func) is None and method is not None and role in apis.METHOD_ROLES.values():
            # `x.exp()`, `x.sum(1)`: the receiver. `xp.exp(y)`, `self.xp.max(y, axis=1)`: an array module's function.
            if first is None or syntax.number(first) is not None:
                return method[0]
            return first
        if first is not None:
            return first
        for name in ("x", "input", "a", "logits", "features"):
            found = syntax.keyword(call, name)
            if found is not None:
                return found
        return None

    def spelling(self, func: Node) -> str:
        """How a call names what it calls, for messages: ``np.exp``, or the code of ``f(x).exp``."""
        return self.syntax.dotted_name(func) or self.code(func)

    # ----- calls

    def role_of(self, call: Node) -> Optional[Role]:
        """The library role of a call, unless a local definition shadows the name."""
        roles = self.analysis.facts.roles
        if call in roles:
            return roles[call]
        syntax = self.syntax
        root = call.func
        parts = syntax.attribute(root)
        while parts is not None:
            root = parts[0]
            parts = syntax.attribute(root)
        root_name = syntax.name(root)
        method = syntax.attribute(call.func)
        if root_name is not None and self.env.get(root_name) is not MISSING and not self.imports.is_imported(root_name):
            role = apis.METHOD_ROLES.get(method[1]) if method is not None else None
        elif syntax.name(call.func) in self.analysis.functions:
            role = None
        else:
            role = static_role(call, self.imports, self.analysis.knowledge, syntax)
        roles[call] = role
        return role

    def call(self, node: Node) -> Optional[Fact]:
        syntax = self.syntax
        func_name = syntax.name(node.func)
        callee_fact = self.expr(node.func) if func_name is None else self.env.lookup(func_name)
        arguments = syntax.call_arguments(node)
        argument_facts = [self.expr(value) for _, value, _ in arguments]
        if callee_fact is not None:
            return self.call_value(node, callee_fact)
        local = self.local_function(node.func)
        if local is not None:
            return self.call_local(node, local, arguments, argument_facts)
        role = self.role_of(node)
        qualified = self.imports.qualify(node.func)
        if qualified is not None:
            return self.call_library(node, apis.canonical(qualified), role)
        method = syntax.attribute(node.func)
        if method is not None:
            receiver = self.local_values.get(method[0])
            return self.call_method(node, method[1], receiver, role)
        if role is not None:
            return self.apply_role(node, role, self.operand(node, role), "numpy", self.code(node.func))
        return self.activation_keyword(node)

    def local_function(self, func: Node) -> Optional[Function]:
        name = self.syntax.name(func)
        if name is not None:
            if self.env.get(name) is not MISSING:
                return None
            return self.analysis.functions.get(name)
        method = self.syntax.attribute(func)
        if (
            method is not None
            and self.function is not None
            and self.function.is_method
            and self.syntax.name(method[0]) == self.function.params[0]
        ):
            return self.analysis.functions.get(f"{self.function.class_name}.{method[1]}")
        return None

    def call_local(self, node: Node, function: Function, arguments, argument_facts: List[Optional[Fact]]) -> Optional[Fact]:
        syntax = self.syntax
        offset = 1 if function.is_method and syntax.attribute(node.func) is not None else 0
        by_param: Dict[int, Tuple[Node, Optional[Fact]]] = {}
        position = offset
        for (keyword, value, starred), fact in zip(arguments, argument_facts):
            if starred:
                break
            if keyword is None:
                by_param[position] = (value, fact)
                position += 1
            elif keyword in function.params:
                by_param[function.params.index(keyword)] = (value, fact)
        bindings = tuple(
            sorted(
                (index, syntax.string_value(value))
                for index, (value, _) in by_param.items()
                if syntax.string_value(value) is not None
            )
        )
        if not self.recording:
            seen = [by_param[i][1] if i in by_param else None for i in range(len(function.params))]
            self.analysis.call_site_facts.setdefault(function.node, []).append(seen)
        summary = self.analysis.summary(function, bindings)
        if summary is None:
            return self.activation_keyword(node)
        name = function.name
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
        return self.returned_by(summary.returns, node)

    def returned_by(self, fact: Optional[Fact], call: Node) -> Optional[Fact]:
        """A value a module function returns, re-anchored at the call so messages point to the nearest cause."""
        if fact is None:
            return None
        if fact.kind is Kind.TUPLE:
            return replace(fact, items=tuple(self.returned_by(item, call) for item in fact.items))
        if fact.kind not in _VALUE_KINDS:
            return fact
        return replace(fact, origin=call, how=f"returned by `{self.code(call.func)}(...)`")

    def call_value(self, node: Node, callee: Fact) -> Optional[Fact]:
        """Calling something the analysis knows: a layer, a module, a model or a loss object."""
        if callee.kind is Kind.CALLABLE:
            return callee.returns
        if callee.kind is Kind.LOSS and callee.loss is not None:
            self.note_loss(node, callee.loss, callee.from_logits, callee.origin)
        method = self.syntax.attribute(node.func)
        if method is not None:
            receiver = self.local_values.get(method[0])
            if receiver is not None:
                return self.call_method(node, method[1], receiver, None)
        return None

    def call_library(self, node: Node, qualified: str, role: Optional[Role]) -> Optional[Fact]:
        framework = apis.framework_of(qualified)
        short = self.spelling(node.func)
        if role is None and qualified.startswith("keras.layers.") and self.syntax.keyword(node, "activation") is not None:
            role = Role.KERAS_LAYER
        if role is None:
            return None if framework != "numpy" else self.activation_keyword(node)
        if role in (Role.LOSS, Role.LOSS_CLASS):
            spec = self.analysis.knowledge.loss_spec(qualified)
            from_logits = self.syntax.bool_keyword(node, "from_logits")
            if role is Role.LOSS:
                self.note_loss(node, spec, from_logits, node)
                return None
            return Fact(Kind.LOSS, node, how=f"`{short}(...)`", framework=framework, loss=spec, from_logits=from_logits)
        return self.apply_role(node, role, self.operand(node, role), framework, short)

    def call_method(self, node: Node, method: str, receiver: Optional[Fact], role: Optional[Role]) -> Optional[Fact]:
        if receiver is not None:
            handled, result = self.method_on_known(node, method, receiver)
            if handled:
                return result
        owner = self.syntax.attribute(node.func)
        if owner is not None and self.syntax.name(owner[0]) in ("self", "cls"):
            if method in apis.TENSOR_ONLY_METHODS:
                return None
        if method in apis.KIND_KEEPING_METHODS:
            if receiver is None or receiver.kind in (Kind.CALLABLE, Kind.LOSS):
                return None
            return replace(receiver, guarded=True) if method.rstrip("_") in apis.GUARDING_FUNCTIONS else receiver
        if role is not None:
            framework = receiver.framework if receiver is not None else _framework_of_method(method)
            short = self.syntax.dotted_name(node.func) or f"<value>.{method}"
            return self.apply_role(node, role, self.operand(node, role), framework, short)
        return self.activation_keyword(node)

    def method_on_known(self, node: Node, method: str, receiver: Fact) -> Tuple[bool, Optional[Fact]]:
        syntax = self.syntax
        kind = receiver.kind
        if kind is Kind.CALLABLE:
            if method in ("predict", "predict_on_batch", "forward", "__call__", "call"):
                return True, receiver.returns
            if method == "add" and syntax.argument_count(node):
                layer = self.local_values.get(syntax.first_values(node, 1)[0])
                returns = layer.returns if layer is not None and layer.kind is Kind.CALLABLE else None
                key = syntax.dotted_name(syntax.attribute(node.func)[0])
                if key is not None:
                    self.env.values[key] = Fact(Kind.CALLABLE, receiver.origin, how=receiver.how, returns=returns)
                return True, None
            if method == "compile":
                self.note_compile(node, receiver)
                return True, None
            if method in ("fit", "train_on_batch", "evaluate", "test_on_batch"):
                if self.recording and receiver.loss is not None:
                    labels = syntax.argument(node, 1, "y")
                    self.analysis.facts.fits[node] = ModelFit(node, receiver, labels)
                return True, None
            if method in ("to", "cuda", "cpu", "eval", "train", "double", "float"):
                return True, receiver
            return True, None
        if kind is Kind.ENCODER:
            if method in ("fit_transform", "transform"):
                return True, Fact(Kind.ONE_HOT, node, how=f"`{self.code(node.func)}(...)`")
            return True, None
        if kind is Kind.RNG:
            if method in ("integers", "randint"):
                return True, self.random_labels(node, node)
            return True, None
        if kind is Kind.LOSS:
            return True, None
        return False, None

    def apply_role(self, node: Node, role: Role, operand: Optional[Node], framework: str, short: str) -> Optional[Fact]:
        syntax = self.syntax
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
                    axis=self.axis_of(node, operand),
                )
            return None
        if role is Role.MAX:
            base = self.code(operand) if operand is not None else ""
            return Fact(Kind.MAX, node, base=base, framework=framework, axis=self.axis_of(node, operand))
        if role is Role.LOGSUMEXP:
            return Fact(Kind.LOGSUMEXP, node, base=self.code(operand) if operand is not None else "", framework=framework)
        if role is Role.DIVIDE and syntax.argument_count(node) >= 2:
            first, second = syntax.first_values(node, 2)
            return self.quotient(node, first, second, self.local_values.get(first), self.local_values.get(second))
        if role is Role.SUBTRACT and syntax.argument_count(node) >= 2:
            first, second = syntax.first_values(node, 2)
            return self.difference(node, first, second, self.local_values.get(first), self.local_values.get(second))
        if role in (Role.MULTIPLY, Role.DOT) and syntax.argument_count(node) >= 2:
            self.note_categorical_product(*syntax.first_values(node, 2))
            return None
        if role is Role.WHERE and syntax.argument_count(node) >= 3:
            chosen = [self.local_values.get(value) for value in syntax.first_values(node, 3)[1:]]
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
            return self.keras_layer(node, syntax.keyword(node, "activation"), how, framework)
        if role is Role.KERAS_ACTIVATION_LAYER:
            return self.keras_layer(node, syntax.argument(node, 0, "activation"), how, framework)
        if role is Role.KERAS_MODEL:
            outputs_node = syntax.argument(node, 1, "outputs")
            outputs = self.local_values.get(outputs_node) if outputs_node else None
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
            shifted = self.negated(operand) or any(sign < 0 for sign, _ in self.syntax.terms(operand, self.role_of))
        axis = operand_fact.axis if operand_fact is not None and operand_fact.kind is Kind.SHIFTED else None
        text = self.code(self.untransposed(operand)) if operand is not None else ""
        return Fact(Kind.EXP, node, base=text, shifted=shifted, framework=framework, axis=axis)

    def labeled_dataset(self, node: Node, short: str) -> Optional[Fact]:
        """``(x, y), (x_test, y_test) = mnist.load_data()``; ``X, y = load_iris(return_X_y=True)``."""
        labels = Fact(Kind.CLASS_INDICES, node, how=f"`{short}()` labels")
        if short.endswith("load_data"):
            pair = Fact(Kind.TUPLE, node, items=(None, labels))
            return Fact(Kind.TUPLE, node, items=(pair, pair))
        if self.syntax.bool_keyword(node, "return_X_y"):
            return Fact(Kind.TUPLE, node, items=(None, labels))
        return None

    def kept_kind(self, node: Node) -> Optional[Fact]:
        for value in self.syntax.first_values(node, 2):
            fact = self.local_values.get(value)
            if fact is not None and fact.kind not in (Kind.TUPLE, Kind.CALLABLE, Kind.LOSS):
                return fact
        return None

    def random_labels(self, node: Node, origin: Node) -> Optional[Fact]:
        """``randint(0, C, size)``: labels, binary when the upper bound is 2."""
        syntax = self.syntax
        bounds = [value for value in syntax.unkeyworded_values(node) if syntax.elements(value) is None]
        high = syntax.keyword(node, "high")
        if high is None and bounds:
            high = bounds[1] if len(bounds) >= 2 else bounds[0]
        value = syntax.number(high) if high is not None else None
        how = f"`{self.code(node.func)}(...)`"
        if value == 2:
            return Fact(Kind.BINARY_LABELS, origin, how=how)
        return Fact(Kind.CLASS_INDICES, origin, how=how)

    def literal_labels(self, node: Node, operand, how: str, framework: str) -> Optional[Fact]:
        values = self.integer_literals(operand)
        if not values or len(values) < 2:
            return None
        if set(values) <= {0, 1}:
            return Fact(Kind.BINARY_LABELS, node, how=how, framework=framework)
        if min(values) >= 0:
            return Fact(Kind.CLASS_INDICES, node, how=f"an integer literal with values up to {max(values)}", framework=framework)
        return None

    def integer_literals(self, node: Optional[Node]) -> List[int]:
        """The integers of a nested list or tuple literal; empty when anything else is inside."""
        if node is None:
            return []
        value = self.syntax.integer(node)
        if value is not None:
            return [value]
        items = self.syntax.elements(node)
        if items is None:
            return []
        found: List[int] = []
        for item in items:
            inner = self.integer_literals(item)
            if not inner and self.syntax.elements(item) != []:
                return []
            found.extend(inner)
        return found

    def negated(self, node: Node) -> bool:
        """``-x``, ``-0.5 * x``, ``-(a + b) / c``: an expression whose sign is flipped at the top."""
        if self.syntax.minus_operand(node) is not None:
            return True
        value = self.syntax.number(node)
        if value is not None:
            return value < 0
        parts = self.syntax.binary_parts(node)
        return parts is not None and parts[0] in ("*", "/") and self.negated(parts[1]) != self.negated(parts[2])

    def sequential(self, node: Node, how: str, framework: str) -> Fact:
        syntax = self.syntax
        layers: List[Node] = syntax.unkeyworded_values(node)
        named = syntax.keyword(node, "layers")
        if len(layers) == 1 and syntax.elements(layers[0]) is not None:
            layers = syntax.elements(layers[0])
        elif named is not None and syntax.elements(named) is not None:
            layers = syntax.elements(named)
        returns = None
        if layers:
            last = self.local_values.get(layers[-1])
            returns = last.returns if last is not None and last.kind is Kind.CALLABLE else None
        return Fact(Kind.CALLABLE, node, how=how, framework=framework, returns=returns)

    def keras_layer(self, node: Node, activation: Optional[Node], how: str, framework: str) -> Fact:
        output = None
        if activation is None:
            output = Fact(Kind.LOGITS, node, how=f"{how} with no activation", framework=framework)
        else:
            name = self.syntax.string_value(activation)
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

    def activation_keyword(self, node: Node) -> Optional[Fact]:
        """``f(..., activation="softmax")`` of a function the analysis cannot see: its first result."""
        name = self.syntax.string_value(self.syntax.keyword(node, "activation"))
        role = apis.ACTIVATION_NAMES.get(name or "")
        if role is Role.SOFTMAX:
            kind = Kind.SOFTMAX_PROBS
        elif role is Role.SIGMOID:
            kind = Kind.SIGMOID_PROBS
        else:
            return None
        return Fact(kind, node, how=f'`{self.code(node.func)}(..., activation="{name}")`', unpacks_first=True)

    def axis_of(self, call: Node, operand: Optional[Node]) -> str:
        """The axis text of a reduction (``axis=0``, ``dim=1``, a positional ``1``); "" when it has none."""
        syntax = self.syntax
        for name in ("axis", "dim"):
            value = syntax.keyword(call, name)
            if value is not None:
                return self.code(value)
        method = syntax.attribute(call.func)
        on_value = method is not None and operand is method[0]
        value = syntax.positional(call, 0 if on_value else 1)
        if value is not None and (
            syntax.number(value) is not None
            or syntax.name(value) is not None
            or syntax.attribute(value) is not None
            or syntax.is_tuple(value)
        ):
            return self.code(value)
        return ""

    # ----- losses

    def note_loss(self, node: Node, spec: Optional[LossSpec], from_logits: Optional[bool], origin) -> None:
        if spec is None or not self.recording:
            return
        expects = spec.expects
        if spec.from_logits_keyword and from_logits is True:
            expects = Expects.LOGITS
        prediction = self.syntax.argument(node, spec.prediction.position, spec.prediction.keyword)
        target = self.syntax.argument(node, spec.target.position, spec.target.keyword)
        self.analysis.facts.loss_uses[node] = LossUse(node, spec, expects, prediction, target, origin)

    def note_compile(self, node: Node, model: Fact) -> None:
        syntax = self.syntax
        loss = syntax.keyword(node, "loss")
        if loss is None:
            return
        spec, from_logits = None, None
        name = syntax.string_value(loss)
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
        method = syntax.attribute(node.func)
        key = syntax.dotted_name(method[0]) if method is not None else None
        if key is not None:
            self.env.values[key] = replace(model, loss=spec, from_logits=expects is Expects.LOGITS)
        if self.recording:
            self.analysis.facts.compiles[node] = CompileUse(node, model, spec, expects, loss)


def _framework_of_method(method: str) -> str:
    """NumPy arrays have no ``.softmax()``, ``.exp()`` or ``.log()``: on an unknown value those are PyTorch's."""
    return "torch" if method in _TORCH_ONLY_METHODS else "numpy"
