"""A carrier file with a few bad rows: strict by default (and says how to go on), --quarantine loads the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import copy_example
from fusioncell.ingest import ingest_case
from fusioncell.ingest.pipeline import rejects
from fusioncell.store import CaseStore


def _negative_durations(tmp_path: Path) -> tuple[Path, list[str]]:
    case = copy_example(tmp_path / "case")
    lines = (case / "comms.csv").read_text(encoding="utf-8").splitlines()
    bad = []
    for k in (2, 4):  # lines 3 and 5 of the file
        f = lines[k].split(",")
        f[3] = "-" + f[3]
        lines[k] = ",".join(f)
        bad.append(lines[k])
    (case / "comms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return case, bad


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fusioncell.cli", *args], capture_output=True, text=True, timeout=120)


def test_strict_by_default_and_the_message_names_the_way_forward(tmp_path: Path) -> None:
    case, _ = _negative_durations(tmp_path)
    r = _cli("ingest", str(case))
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert "comms.csv:3" in last and "duration_s" in last and "--quarantine" in last


def test_quarantine_loads_every_good_row_and_keeps_each_bad_one_whole(tmp_path: Path) -> None:
    case, bad = _negative_durations(tmp_path)
    total = len((case / "comms.csv").read_text().splitlines()) - 1
    with CaseStore.open(tmp_path / "s.duckdb", folder=case) as cs:
        summary = ingest_case(case, cs, quarantine=True)
        assert cs.count("comms") == total - 2
        got = rejects(cs)
    assert summary.quarantined == 2 and "quarantined 2" in str(summary)
    assert [(r["file"], r["line"], r["field"]) for r in got] == [("comms.csv", 3, "duration_s"), ("comms.csv", 5, "duration_s")]
    assert [r["raw"] for r in got] == bad  # whole and unchanged
    assert all("negative" in r["rule"] for r in got)


def test_rejects_and_info_report_them(tmp_path: Path) -> None:
    case, _ = _negative_durations(tmp_path)
    assert _cli("ingest", str(case), "--quarantine").returncode == 0
    r = _cli("rejects", str(case), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["n_rejects"] == 2
    info = _cli("info", str(case), "--format", "json")
    assert json.loads(info.stdout)["quarantined"] == 2
