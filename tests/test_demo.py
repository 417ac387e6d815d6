"""The demo's truth is read only for scoring: the analysis never opens truth.json."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "fusioncell"


def test_no_analysis_stage_reads_the_simulator_truth() -> None:
    offenders = []
    for stage in ("ingest", "resolve", "network", "spacetime", "infer", "security"):
        for f in (PKG / stage).rglob("*.py"):
            tree = ast.parse(f.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and "truth.json" in node.value:
                    offenders.append(str(f.relative_to(PKG)))
    assert offenders == []
