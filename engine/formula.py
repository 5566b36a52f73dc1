"""Profile formulas: simpleeval expressions over whole exact columns.

A formula such as ``minimum(1, presence_days * part_time / 250)`` is checked
once when the profile is loaded (:func:`check`) and evaluated once per
population (:func:`evaluate`), with each name bound to a :class:`~smvp_engine.exact.Q`
column. The sandbox allows only: numbers, names, ``+ - * /``, comparisons,
``&`` / ``|`` / ``~`` on conditions, and calls of the whitelisted functions
below. No attribute access, no subscripts, no strings, no ``**``, no
conditional expressions, no imports; expressions are limited in length and
node count so a profile can never run code or unbounded work.

Number literals are read exactly from the formula text (``0.4`` is 2/5).
"""

from __future__ import annotations

import ast
import functools
import operator
import warnings
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
from simpleeval import SimpleEval

from . import exact
from .errors import Msg
from .exact import Q
from .library_text import formula_evaluation_problem, syntax_problem

MAX_LENGTH = 500  # characters
MAX_NODES = 120  # AST nodes
MAX_DEPTH = 50  # AST depth (nested calls and operators: a sum of n terms is n deep)

FUNCTIONS: dict[str, Callable] = {
    "minimum": exact.minimum,
    "maximum": exact.maximum,
    "where": exact.where,
    "mean": exact.mean,
    "sum": exact.total,
    "count": exact.count,
}
FUNCTION_HELP = {
    "minimum": "minimum(a, b): elementwise smaller value",
    "maximum": "maximum(a, b): elementwise larger value",
    "where": "where(condition, a, b): a where the condition holds, else b",
    "mean": "mean(x): mean of x over the population the formula applies to",
    "sum": "sum(x): total of x over the population",
    "count": "count(condition): how many of the population satisfy the condition",
}

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_CMPOPS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: lambda a, b: Q.of(a).eq(b) if isinstance(a, Q) else Q.of(b).eq(a)}
_BOOLOPS = {ast.BitAnd: np.logical_and, ast.BitOr: np.logical_or}
_ALLOWED = (ast.Expression, ast.Expr, ast.Name, ast.Load, ast.Constant, ast.BinOp, ast.UnaryOp,
            ast.Compare, ast.Call, ast.USub, ast.UAdd, ast.Invert, ast.BitAnd, ast.BitOr,
            *_BINOPS, *_CMPOPS)


class FormulaError(ValueError):
    """A formula that is not allowed or cannot be evaluated; the message says why."""


def _literal(expr: str, node: ast.Constant) -> Q:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaError(Msg('only numbers are allowed as literals, found {value!r}', value=value))
    if isinstance(value, int):
        return Q(value)
    text = ast.get_source_segment(expr, node) or repr(value)
    return Q.of(Decimal(text.replace("_", "")))


def check(expr: str, names: set[str]) -> list[str]:
    """Check a formula without evaluating it.

    Args:
        expr: the formula text.
        names: the quantities it may use.
    Returns:
        list of problems (empty when the formula is acceptable).
    """
    if not isinstance(expr, str):
        return [Msg('a formula must be text, found {kind}', kind=type(expr).__name__)]
    if len(expr) > MAX_LENGTH:
        return [Msg('formula longer than {n} characters', n=MAX_LENGTH)]
    try:
        tree = _parse(expr)
    except SyntaxError as e:
        return [Msg('not a valid formula: {problem} at column {column}', problem=syntax_problem(e.msg), column=e.offset)]
    problems: list[str] = []
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        return [Msg('formula nested too deeply ({depth} levels, at most {n})', depth=depth, n=MAX_DEPTH)]
    nodes = list(ast.walk(tree))
    called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    if len(nodes) > MAX_NODES:
        problems.append(Msg('formula too complex ({parts} parts, at most {n})', parts=len(nodes), n=MAX_NODES))
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            what = type(node).__name__
            hint = {"Attribute": Msg('attribute access is not allowed'),
                    "Pow": Msg('use multiplication instead of **'),
                    "IfExp": Msg('use where(condition, a, b)'),
                    "BoolOp": Msg('use & and | between conditions in parentheses'),
                    "Subscript": Msg('indexing is not allowed')}.get(what, Msg('not allowed in a profile formula'))
            problems.append(Msg('{what}: {hint}', what=what, hint=hint))
        elif isinstance(node, ast.Constant):
            try:
                _literal(expr.strip(), node)
            except FormulaError as e:
                problems.append(e.args[0] if isinstance(e.args[0], Msg) else str(e))
        elif isinstance(node, ast.Name) and id(node) not in called and node.id not in names and node.id not in FUNCTIONS:
            import difflib

            close = difflib.get_close_matches(node.id, sorted(names), n=1)
            problems.append(Msg('unknown name {name!r}; did you mean {near!r}?', name=node.id, near=close[0])
                            if close else Msg('unknown name {name!r}; available: {names}', name=node.id,
                                              names=", ".join(sorted(names))))
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                fname = getattr(node.func, "id", "?")
                problems.append(Msg('unknown function {name!r}; available: {names}', name=fname,
                                    names=", ".join(FUNCTIONS)))
            if node.keywords:
                problems.append(Msg('keyword arguments are not allowed'))
    return problems


def _parse(expr: str) -> ast.Expression:
    """``ast.parse`` in eval mode, without Python's SyntaxWarnings (e.g. ``1total``) on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(expr.strip(), mode="eval")


def _depth(tree: ast.AST) -> int:
    """Depth of an AST, without recursion (a hostile formula cannot exhaust the stack)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


@functools.lru_cache(maxsize=4096)
def names_in(expr: str) -> frozenset[str]:
    """The names a formula mentions (function names included; empty when it does not parse)."""
    try:
        tree = _parse(expr)
    except SyntaxError:
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> ast.AST:
    """simpleeval's tree of a formula text, parsed once a process (evaluation only reads it:
    the profiles of a national roll-out share their formulas). Raises SyntaxError."""
    return SimpleEval.parse(text)


class _Evaluator(SimpleEval):
    def __init__(self, names: Mapping[str, object]):
        operators: dict[Any, Any] = {**_BINOPS, **_CMPOPS, **_BOOLOPS,
                                      ast.USub: operator.neg, ast.UAdd: operator.pos,
                                      ast.Invert: np.logical_not}
        super().__init__(operators=operators,
                         functions=dict(FUNCTIONS), names=dict(names))
        for banned in (ast.Attribute, ast.Subscript, ast.IfExp, ast.BoolOp, ast.Assign, ast.AugAssign,
                       ast.Import, ast.JoinedStr, ast.FormattedValue, ast.Slice, ast.keyword):
            self.nodes.pop(banned, None)
        self.nodes[ast.Constant] = self._exact_constant
        self.nodes[ast.Compare] = self._vector_compare

    def _exact_constant(self, node):
        return _literal(self.expr.strip(), node)

    def _vector_compare(self, node):
        left = self._eval(node.left)
        result = None
        for op, comp in zip(node.ops, node.comparators):
            right = self._eval(comp)
            if not isinstance(left, Q):
                left = Q.of(left)
            part = self.operators[type(op)](left, right)
            result = part if result is None else np.logical_and(result, part)
            left = right
        return result


def evaluate(expr: str, names: Mapping[str, object], size: int | None = None):
    """Evaluate a checked formula over columns.

    Args:
        expr: formula text.
        names: name → :class:`Q` column (or bool array).
        size: population size; scalar results are broadcast to it.
    Returns:
        a :class:`Q` (numbers) or a bool array (conditions), one value per row.
    Raises:
        FormulaError: when evaluation fails (e.g. division by zero), with the formula.
    """
    ev = _Evaluator(names)
    text = expr.strip()
    try:
        result = ev.eval(text, _parsed(text))
    except ZeroDivisionError:
        raise FormulaError(Msg('formula {expr!r}: division by zero', expr=expr)) from None
    except Exception as e:  # simpleeval's own errors: their text is the library's, said through the catalogue
        raise FormulaError(Msg('formula {expr!r} cannot be evaluated: {problem}', expr=expr,
                               problem=formula_evaluation_problem(e))) from None
    if isinstance(result, (bool, np.bool_)):
        result = np.full(size or 1, bool(result))
    if isinstance(result, np.ndarray) and result.dtype == bool:
        return result if size is None or result.shape == (size,) else np.broadcast_to(result, (size,))
    q = Q.of(result) if not isinstance(result, Q) else result
    if size is not None:
        q = q.broadcast(size)
    return q
