"""Where a view builds the queryset its template or serializer iterates, read from its source.

Pure: the view's file text in, a QuerysetSite out. A class-based view (Django's generic views,
DRF's) builds it in `queryset = ...` or `get_queryset()`; a function view in an assignment or a
context entry whose expression starts at the model (`posts = Post.objects...`,
`"posts": Post.objects...`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from kit.analysis.pysource import parse_source

__all__ = [
    "QuerysetSite",
    "class_line",
    "class_queryset",
    "enclosing_function",
    "function_queryset",
    "loop_variable",
]

_FOR = re.compile(r"^\{%\s*for\s+.+?\s+in\s+([^\s|]+)")


@dataclass(frozen=True, slots=True)
class QuerysetSite:
    """A queryset expression in a view: its line, the code before it, and the expression.

    head is what the line says before the expression ("queryset = ", "return ", "posts = ",
    '"posts": '); expression is None when the view names only its model (`model = Post`).
    """

    lineno: int
    head: str
    expression: str | None
    model_only: str | None = None


def loop_variable(template_code: str | None) -> str | None:
    """The variable a `{% for x in posts %}` tag iterates ("posts"), else None."""
    match = _FOR.match(template_code or "")
    return match.group(1).split(".")[0] if match else None


def _expression(text: str, node: ast.expr) -> str:
    """The expression as written, on one line (a multi-line one is unparsed)."""
    segment = ast.get_source_segment(text, node)
    if segment is None or "\n" in segment:
        return ast.unparse(node)
    return segment


def _find_class(tree: ast.Module, dotted: str) -> ast.ClassDef | None:
    """The class whose qualified name ends the dotted name (module.Outer.Inner)."""
    parts = dotted.split(".")
    for start in range(len(parts)):
        body: list[ast.stmt] = tree.body
        found: ast.ClassDef | None = None
        for name in parts[start:]:
            found = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == name), None)
            if found is None:
                break
            body = found.body
        if found is not None:
            return found
    return None


def enclosing_function(text: str | None, lineno: int) -> tuple[str, int] | None:
    """(name, `def` line) of the innermost function whose body holds the line, else None."""
    tree = parse_source(text)
    found = None
    for node in ast.walk(tree) if tree else ():
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.lineno <= lineno <= (node.end_lineno or node.lineno)
            and (found is None or node.lineno > found.lineno)
        ):
            found = node
    return None if found is None else (found.name, found.lineno)


def class_line(text: str | None, dotted: str, attribute: str | None = None) -> int | None:
    """The line of a class (by its dotted name), or of one of its class attributes."""
    tree = parse_source(text)
    cls = _find_class(tree, dotted) if tree else None
    if cls is None or attribute is None:
        return None if cls is None else cls.lineno
    for node in cls.body:
        if _assigned(node)[0] == attribute:
            return node.lineno
    return cls.lineno


def class_queryset(text: str | None, dotted: str) -> QuerysetSite | None:
    """Where a class-based view sets its queryset: `queryset = ...`, the one `return` of its
    get_queryset(), or `model = X` (expression None); None when the class says none of these."""
    tree = parse_source(text)
    cls = _find_class(tree, dotted) if tree else None
    if cls is None or text is None:
        return None
    model_only = None
    for node in cls.body:
        target, value = _assigned(node)
        if target == "queryset" and value is not None:
            return QuerysetSite(node.lineno, "queryset = ", _expression(text, value))
        if target == "model" and isinstance(value, ast.Name | ast.Attribute):
            model_only = QuerysetSite(node.lineno, "queryset = ", None, _expression(text, value))
        if isinstance(node, ast.FunctionDef) and node.name == "get_queryset":
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
            if len(returns) == 1 and returns[0].value is not None:
                return QuerysetSite(
                    returns[0].lineno, "return ", _expression(text, returns[0].value)
                )
            return QuerysetSite(node.lineno, "def get_queryset", None)
    return model_only


def _assigned(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _starts_at(node: ast.expr, model: str) -> bool:
    """True for an expression whose chain begins at the model's class (Post.objects...)."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                return node.value.id == model
            node = node.value
        else:
            return False


def function_queryset(
    text: str | None, lineno: int, model: str, name: str | None = None
) -> QuerysetSite | None:
    """Where the function view defined at lineno builds a queryset of model (a class name):
    the assignment or context entry named `name` when there is one, else the last one."""
    tree = parse_source(text)
    if tree is None or text is None:
        return None
    function = next(
        (
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and lineno in (n.lineno, *(d.lineno for d in n.decorator_list))
        ),
        None,
    )
    if function is None:
        return None
    found: list[tuple[str, QuerysetSite]] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target, value = _assigned(node)
            if target and value is not None and _starts_at(value, model):
                site = QuerysetSite(node.lineno, f"{target} = ", _expression(text, value))
                found.append((target, site))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and _starts_at(value, model)
                ):
                    site = QuerysetSite(
                        value.lineno, f"{_expression(text, key)}: ", _expression(text, value)
                    )
                    found.append((key.value, site))
    if not found:
        return _helper_return(tree, function, text, model)
    found.sort(key=lambda item: item[1].lineno)
    named_sites = [site for target, site in found if target == name]
    return (named_sites or [site for _, site in found])[-1]


def _helper_return(
    tree: ast.Module, function: ast.FunctionDef | ast.AsyncFunctionDef, text: str, model: str
) -> QuerysetSite | None:
    """The `return Model.objects...` of a function of the same file that the view calls to
    build its queryset (`{"posts": get_popular_posts()}`), when it has one return."""
    called = {
        node.func.id
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in called:
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
            value = returns[0].value if len(returns) == 1 else None
            if value is not None and _starts_at(value, model):
                return QuerysetSite(returns[0].lineno, "return ", _expression(text, value))
    return None
