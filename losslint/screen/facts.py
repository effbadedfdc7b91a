"""The value-kind analysis on Python's own ``ast``, for the screen.

The same passes (``scopes.py``) and the same meaning of every operation
(``values.py``) as ``facts.py``; only the walk of the statements and
expressions is ``ast``'s, and it visits what ``facts.py`` visits in LibCST's
tree, so that both know the same kinds of the same expressions (the tests
compare them).
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from typing import Dict, Iterable, List, Optional

from losslint import apis
from losslint.kinds import Fact
from losslint.records import FileFacts
from losslint.scopes import Analysis, Env, Function
from losslint.screen import syntax
from losslint.screen.imports import AstImportTable
from losslint.screen.syntax import SourceText, dotted_name, is_none, slice_parts
from losslint.values import Interpreter

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BINARY_OPERATORS = {ast.Div: "/", ast.Sub: "-", ast.MatMult: "@", ast.Mult: "*", ast.Add: "+"}
_AUGMENTED_OPERATORS = {ast.Sub: "-", ast.Div: "/"}
_COMPARISONS = {ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}
_NOT_WALKED = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


class _Run(Interpreter):
    """One interpretation of one scope, walking ``ast`` nodes."""

    # ----- statements

    def function_statements(self, node) -> None:
        self.block(node.body)

    def block(self, statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            handler = _STATEMENT_HANDLERS.get(type(statement))
            if handler is not None:
                handler(self, statement)
            else:
                # Assert and the like: only their expressions matter.
                for child in ast.iter_child_nodes(statement):
                    if isinstance(child, ast.expr):
                        self.expr(child)

    def assign(self, node: ast.Assign) -> None:
        fact = self.expr(node.value)
        for target in node.targets:
            self.bind(target, fact, node.value)

    def annotated_assign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.bind(node.target, self.expr(node.value), node.value)

    def augmented_assign(self, node: ast.AugAssign) -> None:
        current = self.expr(node.target)
        value = self.expr(node.value)
        if isinstance(node.target, ast.Subscript):
            self.forget_subscripted(node.target.value)
        else:
            self.augmented(node, _AUGMENTED_OPERATORS.get(type(node.op), ""), node.target, current, value)

    def expression_statement(self, node: ast.Expr) -> None:
        self.expr(node.value)

    def return_statement(self, node: ast.Return) -> None:
        fact = self.expr(node.value) if node.value is not None else None
        if not is_none(node.value):
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
        self.alternatives(node.subject, [lambda case=case: self.block(case.body) for case in node.cases])

    def if_statement(self, node: ast.If) -> None:
        self.choose(node.test, self.decided(node.test), lambda: self.block(node.body), lambda: self.block(node.orelse))

    def decided(self, test: ast.AST) -> Optional[bool]:
        if not self.bindings or not isinstance(test, ast.Compare) or len(test.ops) != 1:
            return None
        return self.static_test(test.left, test.comparators[0], _COMPARISONS.get(type(test.ops[0]), ""))

    def loop(self, node) -> None:
        is_for = not isinstance(node, ast.While)

        def body() -> None:
            if is_for:
                self.bind(node.target, None)
            self.block(node.body)

        self.repeat(node.iter if is_for else node.test, body, lambda: self.block(node.orelse))

    def try_statement(self, node) -> None:
        def handler_path(handler: ast.ExceptHandler) -> None:
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name is not None:
                self.env.values[handler.name] = None
            self.block(handler.body)

        self.attempt(
            lambda: self.block(node.body),
            lambda: self.block(node.orelse),
            [lambda handler=handler: handler_path(handler) for handler in node.handlers],
            lambda: self.block(node.finalbody),
        )

    def function_definition(self, node) -> None:
        for decorator in node.decorator_list:
            self.expr(decorator)
        self.nested_function(node)
        # A local def shadows an import of the same name; its calls go through the summary.
        self.env.values.pop(node.name, None)

    def class_definition(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            self.expr(base.value if isinstance(base, ast.Starred) else base)
        self.block(node.body)
        self.env.values[node.name] = None

    # ----- expressions

    def expr(self, node: Optional[ast.AST]) -> Optional[Fact]:
        if node is None:
            return None
        handler = _EXPRESSION_HANDLERS.get(type(node))
        if handler is None:
            self.children(node)
            return None
        fact = handler(self, node)
        if fact is not None:
            self.local_values[node] = fact
        return fact

    def children(self, node: ast.AST) -> None:
        """Evaluate the expressions inside a node the analysis has no rule for, so their facts are known."""
        for name in node._fields:
            value = getattr(node, name, None)
            for child in value if type(value) is list else (value,):
                if isinstance(child, ast.expr):
                    self.expr(child)
                elif isinstance(child, ast.AST) and not isinstance(child, _NOT_WALKED):
                    self.children(child)

    def no_fact(self, node: ast.AST) -> None:
        return None

    def name(self, node: ast.Name) -> Optional[Fact]:
        return self.env.lookup(node.id)

    def lambda_(self, node: ast.Lambda) -> None:
        self.nested_scope([a.arg for a in node.args.args], [node.body])

    def comprehension(self, node) -> None:
        saved = self.env
        self.env = Env(saved)
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

    def subscript(self, node: ast.Subscript) -> Optional[Fact]:
        value = self.expr(node.value)
        parts = slice_parts(node.slice)
        for part in parts:
            if isinstance(part, ast.Slice):
                self.children(part)
            else:
                self.expr(part)
        single = parts[0] if len(parts) == 1 and not isinstance(parts[0], ast.Slice) else None
        return self.subscripted(node, value, single)

    def comparison(self, node: ast.Compare) -> Optional[Fact]:
        found = [self.expr(node.left)] + [self.expr(c) for c in node.comparators]
        return self.compared(node, found, len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq))

    def binary_operation(self, node: ast.BinOp) -> Optional[Fact]:
        return self.binary(node, _BINARY_OPERATORS.get(type(node.op), ""), node.left, node.right)


_STATEMENT_HANDLERS = {
    ast.Assign: _Run.assign,
    ast.AnnAssign: _Run.annotated_assign,
    ast.AugAssign: _Run.augmented_assign,
    ast.Expr: _Run.expression_statement,
    ast.Return: _Run.return_statement,
    ast.Raise: _Run.raise_statement,
    ast.Delete: _Run.nothing,
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
    ast.Attribute: Interpreter.attribute,
    ast.Call: Interpreter.call,
    ast.BinOp: _Run.binary_operation,
    ast.Subscript: _Run.subscript,
    ast.Tuple: Interpreter.sequence,
    ast.List: Interpreter.sequence,
    ast.IfExp: Interpreter.if_expression,
    ast.NamedExpr: Interpreter.walrus,
    ast.Compare: _Run.comparison,
    ast.Lambda: _Run.lambda_,
    ast.ListComp: _Run.comprehension,
    ast.SetComp: _Run.comprehension,
    ast.GeneratorExp: _Run.comprehension,
    ast.DictComp: _Run.comprehension,
}


def _function(node, class_name: Optional[str]) -> Function:
    arguments = node.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args]
    unknown = [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    unknown += [a.arg for a in arguments.kwonlyargs]
    if class_name is not None and any(dotted_name(d) == "staticmethod" for d in node.decorator_list):
        class_name = None
    return Function(node, node.name, positional, unknown, class_name)


def _module_functions(tree: ast.Module) -> Dict[str, Function]:
    functions: Dict[str, Function] = {}
    for statement in tree.body:
        if isinstance(statement, _FUNCTIONS):
            functions.setdefault(statement.name, _function(statement, None))
        elif isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if isinstance(item, _FUNCTIONS):
                    functions.setdefault(f"{statement.name}.{item.name}", _function(item, statement.name))
    return functions


def _mark_bodies_without_local_calls(functions: Dict[str, Function], calls: List[ast.Call]) -> None:
    """Find, from the file's calls and line spans, the functions that surely call no module function."""
    names = {key for key in functions if "." not in key}
    methods = {key.split(".", 1)[1] for key in functions if "." in key}
    lines = sorted(
        {
            call.lineno
            for call in calls
            if (type(call.func) is ast.Name and call.func.id in names)
            or (type(call.func) is ast.Attribute and call.func.attr in methods)
        }
    )
    for function in functions.values():
        first = bisect_left(lines, function.node.lineno)
        function.calls_local = first < len(lines) and lines[first] <= function.node.end_lineno


def analyze(
    tree: ast.Module,
    source: str,
    knowledge: apis.Knowledge = apis.BUILT_IN,
    index: Optional[Dict[type, List[ast.AST]]] = None,
) -> FileFacts:
    """What ``facts.analyze`` would know of the module ``source``, keyed by the nodes of ``tree``.

    ``index``, every node of the file by type (``reduce.reduce_tree``'s), lets it skip work that cannot matter.
    """
    imports = AstImportTable.from_tree(tree)
    code = SourceText(source).code
    functions = _module_functions(tree)
    if index is not None:
        _mark_bodies_without_local_calls(functions, index.get(ast.Call, []))
    return Analysis(tree.body, imports, knowledge, syntax, code, _Run, functions, _function).run()
