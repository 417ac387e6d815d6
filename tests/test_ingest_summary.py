"""`fusioncell info`: counts per discipline and source, time span, identifiers, targets."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from fusioncell.ingest import example_case, ingest_case
from fusioncell.ingest.summary import case_summary, render_summary
from fusioncell.store import CaseStore


def _summary() -> dict:
    store = CaseStore.memory()
    ingest_case(example_case(), store)
    return case_summary(store)


def test_counts_per_source_match_the_files() -> None:
    d = _summary()
    case = example_case()
    by_source: dict[str, int] = {}
    for f in ("comms.csv", "locations.csv", "sightings.csv"):
        with (case / f).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                by_source[row["source_id"]] = by_source.get(row["source_id"], 0) + 1
    for line in (case / "reports.jsonl").read_text(encoding="utf-8").splitlines():
        sid = json.loads(line)["source_id"]
        by_source[sid] = by_source.get(sid, 0) + 1
    got = {s["source_id"]: s["comms"] + s["locations"] + s["sightings"] + s["reports"] for s in d["sources"]}
    assert {k: v for k, v in got.items() if v} == by_source
    assert sum(x["rows"] for x in d["disciplines"]) == sum(by_source.values())
    assert {x["discipline"] for x in d["disciplines"]} == {"SIGINT", "GEOINT", "IMINT", "HUMINT", "OSINT"}


def test_time_span_is_the_earliest_and_latest_observation_in_case_time() -> None:
    d = _summary()
    case = example_case()
    times = []
    for f, col in (("comms.csv", "start"), ("locations.csv", "observed"), ("sightings.csv", "observed")):
        with (case / f).open(encoding="utf-8") as fh:
            times += [datetime.fromisoformat(r[col].replace("Z", "+00:00")) for r in csv.DictReader(fh)]
    times += [datetime.fromisoformat(json.loads(ln)["reported"].replace("Z", "+00:00"))
              for ln in (case / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    assert datetime.fromisoformat(d["time_span"]["from"]) == min(times)
    assert datetime.fromisoformat(d["time_span"]["to"]) == max(times)
    assert d["time_span"]["from"].endswith("-06:00")  # shown in America/Mexico_City in February


def test_targets_identifiers_and_entities() -> None:
    d = _summary()
    assert d["targets"] == [{"entity_id": "person-target", "caption": "Rogelio Cervantes Ibarra"}]
    assert d["entities"]["by_schema"]["Person"] == 6
    assert d["identifiers"]["total"] == sum(d["identifiers"]["by_scheme"].values())
    assert d["identifiers"]["by_scheme"]["plate"] == 2  # JAL-4821-B and JAL-1030-C


def test_text_rendering_names_the_case_and_every_source() -> None:
    d = _summary()
    text = render_summary(d)
    assert "op-tapalpa" in text and "Federal court order 113/2026" in text
    for s in d["sources"]:
        assert s["source_id"] in text


def test_cli_info_json(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "fusioncell.cli", "info", str(example_case()),
                          "--store", str(tmp_path / "s.duckdb"), "--format", "json"],
                         capture_output=True, text=True, check=True)
    d = json.loads(out.stdout)
    assert d["case"] == "op-tapalpa" and d["counts"]["comms"] == 35
