"""The project's rule "no function over 100 lines" (STYLE.md), checked on every module of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import fusioncell

PKG = Path(fusioncell.__file__).parent
#: Most lines a function may span, from its ``def`` (or first decorator) to its last line, nested functions included.
MAX_LINES = 100


def function_lengths(source: str) -> list[tuple[str, int, int]]:
    """``(qualified name, first line, lines)`` of every function and method in ``source``, nested ones too."""
    out: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                name = f"{prefix}{child.name}"
                out.append((name, first, (child.end_lineno or child.lineno) - first + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return out


def test_the_measure_counts_decorators_and_nested_functions() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(3))
    src = f"@dec\ndef f():\n{body}\n    def g():\n        return 1\n    return g\n\nclass C:\n    def m(self):\n        pass\n"
    assert function_lengths(src) == [("f", 1, 8), ("f.g", 6, 2), ("C.m", 11, 2)]


def test_no_function_in_the_package_is_over_100_lines() -> None:
    long = [f"{p.relative_to(PKG)}:{line} {name} ({n} lines)"
            for p in sorted(PKG.rglob("*.py"))
            for name, line, n in function_lengths(p.read_text(encoding="utf-8")) if n > MAX_LINES]
    assert not long, "functions over 100 lines:\n" + "\n".join(long)
