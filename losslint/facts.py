"""The value-kind analysis on LibCST's tree: what each expression of a module holds.

``analyze(module, imports)`` interprets the module once per scope, in statement
order (``scopes.py``), and records a ``Fact`` for every expression whose kind it
knows; what each operation makes of the kinds is ``values.py``'s, shared with
the screen's walk of Python's ``ast`` (``screen/facts.py``). This module only
walks LibCST's statements and expressions. Rules then ask ``facts.of(node)``;
they never guess from names.

Knowledge flows in from four places, in order of confidence: the library
tables of ``apis.py``; hand-written shapes (``e / e.sum()``, ``1 / (1 + exp(-z))``,
``np.eye(C)[y]``); summaries of the module's own functions (what they return,
which parameter they treat as categorical probabilities), specialised on string
arguments such as ``activation="softmax"``; and, for a function every call of
which in the module passes the same kind, that kind for its parameter.
"""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Dict, Iterable, Optional, Tuple

import libcst as cst

from losslint import apis, patterns
from losslint.imports import ImportTable, dotted_name
from losslint.kinds import Fact
from losslint.patterns import code
from losslint.records import FileFacts
from losslint.scopes import Analysis, Env, Function
from losslint.values import Interpreter

_BINARY_OPERATORS = {
    cst.Divide: "/",
    cst.Subtract: "-",
    cst.MatrixMultiply: "@",
    cst.Multiply: "*",
    cst.Add: "+",
}
_AUGMENTED_OPERATORS = {cst.SubtractAssign: "-", cst.DivideAssign: "/"}
_COMPARISONS = {cst.Equal: "==", cst.NotEqual: "!=", cst.In: "in", cst.NotIn: "not in"}


class _Run(Interpreter):
    """One interpretation of one scope, walking LibCST's nodes."""

    # ----- statements

    def function_statements(self, node: cst.FunctionDef) -> None:
        self.suite(node.body)

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
            for decorator in node.decorators:
                self.expr(decorator.decorator)
            self.nested_function(node)
            # A local def shadows an import of the same name; its calls go through the summary.
            self.env.values.pop(node.name.value, None)
        elif isinstance(node, cst.ClassDef):
            for base in node.bases:
                self.expr(base.value)
            self.suite(node.body)
            self.env.values[node.name.value] = None
        elif isinstance(node, cst.Match):
            self.alternatives(node.subject, [lambda case=case: self.suite(case.body) for case in node.cases])

    def suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.small_statement(small)

    def small_statement(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Assign):
            fact = self.expr(node.value)
            for target in node.targets:
                self.bind(target.target, fact, node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.expr(node.value), node.value)
        elif isinstance(node, cst.AugAssign):
            current = self.expr(node.target)
            value = self.expr(node.value)
            if isinstance(node.target, cst.Subscript):
                self.forget_subscripted(node.target.value)
            else:
                self.augmented(node, _AUGMENTED_OPERATORS.get(type(node.operator), ""), node.target, current, value)
        elif isinstance(node, cst.Expr):
            self.expr(node.value)
        elif isinstance(node, cst.Return):
            fact = self.expr(node.value) if node.value is not None else None
            if not patterns.is_none(node.value):
                self.returns.append(fact)
        elif isinstance(node, cst.Del):
            pass
        else:
            for child in node.children:
                if isinstance(child, cst.BaseExpression):
                    self.expr(child)

    def if_statement(self, node: cst.If) -> None:
        self.choose(node.test, self.decided(node.test), lambda: self.suite(node.body), lambda: self.else_part(node.orelse))

    def decided(self, test: cst.BaseExpression) -> Optional[bool]:
        if not self.bindings or not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        target = test.comparisons[0]
        return self.static_test(test.left, target.comparator, _COMPARISONS.get(type(target.operator), ""))

    def else_part(self, orelse) -> None:
        """An ``elif`` chain, or the block of an ``else:`` or ``finally:``; nothing for None."""
        if isinstance(orelse, cst.If):
            self.if_statement(orelse)
        elif orelse is not None:
            self.suite(orelse.body)

    def loop(self, node) -> None:
        def body() -> None:
            if isinstance(node, cst.For):
                self.bind(node.target, None)
            self.suite(node.body)

        header = node.iter if isinstance(node, cst.For) else node.test
        self.repeat(header, body, lambda: self.else_part(node.orelse))

    def try_statement(self, node) -> None:
        def handler_path(handler) -> None:
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name is not None:
                self.bind(handler.name.name, None)
            self.suite(handler.body)

        self.attempt(
            lambda: self.suite(node.body),
            lambda: self.else_part(node.orelse),
            [lambda handler=handler: handler_path(handler) for handler in node.handlers],
            lambda: self.else_part(node.finalbody),
        )

    # ----- expressions

    def expr(self, node: Optional[cst.BaseExpression]) -> Optional[Fact]:
        if node is None:
            return None
        handler = _EXPRESSION_HANDLERS.get(type(node))
        if handler is None:
            self.children(node)
            return None
        return self.record(node, handler(self, node))

    def children(self, node: cst.CSTNode) -> None:
        """Evaluate the expressions inside a node the analysis has no rule for, so their facts are known."""
        for name in _expression_fields(type(node)):
            value = getattr(node, name)
            for child in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(child, cst.BaseExpression):
                    self.expr(child)
                elif isinstance(child, cst.CSTNode):
                    self.children(child)

    def no_fact(self, node: cst.BaseExpression) -> None:
        """Strings hold no arrays; long implicit concatenations are deeply nested and need no walk."""
        return None

    def name(self, node: cst.Name) -> Optional[Fact]:
        return self.env.lookup(node.value)

    def lambda_(self, node: cst.Lambda) -> None:
        self.nested_scope([p.name.value for p in node.params.params], [node.body])

    def comprehension(self, node) -> None:
        saved = self.env
        self.env = Env(saved)
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

    def subscript(self, node: cst.Subscript) -> Optional[Fact]:
        value = self.expr(node.value)
        for element in node.slice:
            self.children(element)
        single = node.slice[0].slice if len(node.slice) == 1 else None
        return self.subscripted(node, value, single.value if isinstance(single, cst.Index) else None)

    def comparison(self, node: cst.Comparison) -> Optional[Fact]:
        found = [self.expr(node.left)] + [self.expr(c.comparator) for c in node.comparisons]
        single_equality = len(node.comparisons) == 1 and isinstance(node.comparisons[0].operator, cst.Equal)
        return self.compared(node, found, single_equality)

    def binary_operation(self, node: cst.BinaryOperation) -> Optional[Fact]:
        return self.binary(node, _BINARY_OPERATORS.get(type(node.operator), ""), node.left, node.right)

_EXPRESSION_HANDLERS = {
    cst.SimpleString: _Run.no_fact,
    cst.ConcatenatedString: _Run.no_fact,
    cst.FormattedString: _Run.no_fact,
    cst.Name: _Run.name,
    cst.Attribute: Interpreter.attribute,
    cst.Call: Interpreter.call,
    cst.BinaryOperation: _Run.binary_operation,
    cst.Subscript: _Run.subscript,
    cst.Tuple: Interpreter.sequence,
    cst.List: Interpreter.sequence,
    cst.IfExp: Interpreter.if_expression,
    cst.NamedExpr: Interpreter.walrus,
    cst.Comparison: _Run.comparison,
    cst.Lambda: _Run.lambda_,
    cst.ListComp: _Run.comprehension,
    cst.SetComp: _Run.comprehension,
    cst.GeneratorExp: _Run.comprehension,
    cst.DictComp: _Run.comprehension,
}

_NOT_EXPRESSIONS = (
    "lpar", "rpar", "comma", "operator", "semicolon", "whitespace", "equal", "colon", "star", "dot", "keyword", "attr"
)


@lru_cache(maxsize=None)
def _expression_fields(node_type: type) -> Tuple[str, ...]:
    """The fields of a node type that can hold expressions (not parentheses, commas or whitespace)."""
    return tuple(f.name for f in fields(node_type) if not f.name.startswith(_NOT_EXPRESSIONS))


def _function(node: cst.FunctionDef, class_name: Optional[str]) -> Function:
    params = node.params
    positional = [p.name.value for p in list(params.posonly_params) + list(params.params)]
    unknown = [p.name.value for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    unknown += [p.name.value for p in params.kwonly_params]
    if class_name is not None and any(dotted_name(d.decorator) == "staticmethod" for d in node.decorators):
        class_name = None
    return Function(node, node.name.value, positional, unknown, class_name)


def _module_functions(module: cst.Module) -> Dict[str, Function]:
    """The module's functions and the methods of its classes (``Class.method``), first definition first."""
    functions: Dict[str, Function] = {}
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            functions.setdefault(statement.name.value, _function(statement, None))
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for item in statement.body.body:
                if isinstance(item, cst.FunctionDef):
                    key = f"{statement.name.value}.{item.name.value}"
                    functions.setdefault(key, _function(item, statement.name.value))
    return functions


def analyze(
    module: cst.Module, imports: Optional[ImportTable] = None, knowledge: apis.Knowledge = apis.BUILT_IN
) -> FileFacts:
    """Every fact the rules may ask about ``module``; ``knowledge`` may add a project's own APIs."""
    imports = imports or ImportTable.from_module(module)
    functions = _module_functions(module)
    return Analysis(module.body, imports, knowledge, patterns, code, _Run, functions, _function).run()
