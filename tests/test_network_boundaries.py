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


def test_network_reads_persons_through_resolve_and_caches_through_the_store() -> None:
    """No SQL of network/ names the attributions table: it asks resolve.persons_table; the cache is store.derived."""
    pkg = Path(fusioncell.network.__file__).parent
    text = {f.name: f.read_text() for f in sorted(pkg.glob("*.py"))}
    assert not [n for n, t in text.items() if "FROM attributions" in t or "JOIN attributions" in t]
    assert "persons_table" in text["api.py"] and "persons_table" in text["ties.py"]
    assert not [n for n, t in text.items() if "derived_table" in t or "query_arrow" in t]
