"""network/ uses resolve's public API only (so an analyst's merge or split reaches it the way it reaches others)."""

from __future__ import annotations

import ast
from pathlib import Path

import fusioncell.network


def test_network_imports_nothing_private_from_resolve() -> None:
    pkg = Path(fusioncell.network.__file__).parent
    private = []
    for f in sorted(pkg.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fusioncell.resolve."):
                private.append(f"{f.name}: {node.module}")
    assert private == []
