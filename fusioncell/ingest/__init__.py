"""Ingest: read a case folder, validate every file, fill the case store.

One reader per file (:mod:`.casefile`, :mod:`.csvfiles`, :mod:`.jsonl`),
identifier normalisation on distinct values (:mod:`.idnorm`), tables derived
at ingest (:mod:`.derived`), the orchestration with idempotence and
per-file transactions (:mod:`.pipeline`) and the case summary behind
``fusioncell info`` (:mod:`.summary`).
"""

from __future__ import annotations

from pathlib import Path

from fusioncell.ingest.pipeline import FileOutcome, IngestSummary, ingest_case

__all__ = ["FileOutcome", "IngestSummary", "example_case", "ingest_case"]


def example_case() -> Path:
    """The folder of the hand-written example case shipped with fusioncell.

    It lives in the repository's ``examples/op-tapalpa`` folder (docs, tests and
    ``make demo`` use it; the package is installed editable from the clone).
    """
    return Path(__file__).resolve().parents[2] / "examples" / "op-tapalpa"
