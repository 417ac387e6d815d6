"""Shared helpers for the accuracy benchmarks: simulate, ingest, cache.

Cases are written under ``bench/out/cases/`` (git-ignored) and reused across
runs. Training uses seeds 0–999 only; reports use seeds ≥ 1000.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from fusioncell.ingest import ingest_case
from fusioncell.sim import simulate
from fusioncell.store import CaseStore

def _sim_version() -> str:
    """Hash of the simulator's source: cached cases are redone when it changes."""
    import hashlib

    import fusioncell.sim as sim_pkg

    h = hashlib.sha256()
    for f in sorted(Path(sim_pkg.__file__).parent.rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


import os  # noqa: E402

# FUSIONCELL_BENCH_CASES pins a case cache (e.g. while iterating on the analysis)
OUT = Path(os.environ.get("FUSIONCELL_BENCH_CASES") or Path(__file__).resolve().parent / "out" / f"cases-{_sim_version()}")


def _complete(store: Path) -> bool:
    try:
        with CaseStore.open(store, read_only=True) as cs:
            return bool(cs.con.execute("SELECT count(*) FROM case_info").fetchone()[0])
    except Exception:  # noqa: BLE001 - any unreadable store is redone
        return False


def partner_phone(truth: dict[str, Any]) -> str | None:
    pid = truth["roles"]["partner"]
    phones = truth["persons"][pid]["phones"]
    return phones[0]["identifier"] if phones else None


def case_for(seed: int, difficulty: str, track: list[str] | None, scale: str = "small", tag: str = "seed",
             family: str = "baseline") -> tuple[Path, dict[str, Any]]:
    """Simulate (once) and ingest; returns (store path, truth). ``family``: a world family (sim/families.py)."""
    prefix = "" if family in ("", "baseline") else f"{family}-"
    days = int(os.environ.get("FUSIONCELL_BENCH_DAYS") or 30)  # the period (bench --days); 30 keeps old names
    if days != 30:
        prefix = f"d{days}-{prefix}"
    folder = OUT / f"{prefix}{difficulty}-{seed}-{tag}"
    store = folder.with_suffix(".duckdb")
    truth_file = folder / "truth.json"
    if store.exists() and truth_file.exists() and not _complete(store):
        store.unlink()  # a run killed mid-ingest leaves an empty store behind: redo it
    if not (store.exists() and truth_file.exists()):
        if folder.exists():
            shutil.rmtree(folder)
        store.unlink(missing_ok=True)
        simulate(folder, seed=seed, scale=scale, days=days, difficulty=difficulty, track=track, family=family)
        with CaseStore.open(store, folder=folder) as cs:
            ingest_case(folder, cs, quiet=True)
    return store, json.loads(truth_file.read_text(encoding="utf-8"))


def seed_case(seed: int, difficulty: str, family: str = "baseline") -> tuple[Path, dict[str, Any]]:
    return case_for(seed, difficulty, None, tag="seed", family=family)


def partner_case(seed: int, difficulty: str, family: str = "baseline") -> tuple[Path, dict[str, Any]]:
    _, truth = seed_case(seed, difficulty, family)
    track = [truth["seed_lead_identifier"]]
    p = partner_phone(truth)
    if p and p not in track:
        track.append(p)
    return case_for(seed, difficulty, track, tag="partner", family=family)


def parse_seeds(text: str) -> list[int]:
    """``"0-9,15"`` -> ``[0, 1, …, 9, 15]``."""
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b) + 1) if b else [int(a)])
    return out
