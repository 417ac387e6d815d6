"""Property tests: any valid generated case ingests, and ingest is idempotent."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusioncell.ingest import ingest_case
from fusioncell.store import CaseStore

SOURCES = [("sig", "SIGINT", "B"), ("geo", "GEOINT", "A"), ("img", "IMINT", "C"), ("hum", "HUMINT", "F")]
PEOPLE = ["p-a", "p-b", "p-c"]
# national number digits (MX, area 33) and how they may be written
numbers = st.integers(min_value=20000000, max_value=99999999)
spelling = st.sampled_from(["+5233{d}", "33 {a} {b}", "33{d}", "+52 33 {a} {b}", "(33) {a}-{b}", "0052 33{d}"])
offsets = st.sampled_from([timedelta(0), timedelta(hours=-6), timedelta(hours=5, minutes=30)])
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1))
free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(["\n", ",", '"']), max_size=20)


@st.composite
def phone(draw: Any) -> tuple[str, str]:
    """(raw spelling, expected E.164)."""
    d = str(draw(numbers))
    return draw(spelling).format(d=d, a=d[:4], b=d[4:]), "+5233" + d


@st.composite
def when(draw: Any) -> tuple[str, datetime]:
    t = draw(instants).replace(microsecond=0)
    off = draw(offsets)
    aware = t.replace(tzinfo=timezone(off))
    text = aware.isoformat() if off or draw(st.booleans()) else t.isoformat() + "Z"
    return text, aware


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    files: dict[str, str] = {}
    files["case.toml"] = ('[case]\nid = "prop"\nowner_agency = "AG"\nlegal_authority = "order 1"\n'
                          'timezone = "America/Mexico_City"\nphone_region = "MX"\n\n[[targets]]\nentity_id = "p-a"\n')
    files["sources.csv"] = _csv(["source_id", "agency", "discipline", "method", "reliability", "releasable_to"],
                                [[s, "AG", d, "m", r, draw(st.sampled_from(["", "AG-B", "AG-B;AG-C"]))] for s, d, r in SOURCES])
    phones = {p: draw(phone()) for p in PEOPLE}
    files["entities.jsonl"] = "".join(
        json.dumps({"id": p, "schema": "Person", "properties": {"name": [f"Persona {p}"], "phone": [phones[p][0]]}}) + "\n"
        for p in PEOPLE)
    party = st.one_of(phone(), st.sampled_from([(p, p) for p in PEOPLE]))
    comms, expect_ids = [], set()
    for i in range(draw(st.integers(0, 12))):
        (a, ea), (b, eb) = draw(party), draw(party)
        t, _ = draw(when())
        ch = draw(st.sampled_from(["call", "sms", "message", "CALL"]))
        comms.append([f"c{i}", "sig", t, draw(st.integers(0, 3600)), ch, a, b, "", "", "", "", draw(free_text)])
        expect_ids |= {ea, eb}
    files["comms.csv"] = _csv(["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee",
                               "caller_lat", "caller_lon", "callee_lat", "callee_lon", "content"], comms)
    locs = []
    for i in range(draw(st.integers(0, 8))):
        (a, ea), (t, _) = draw(party), draw(when())
        lat, lon = draw(st.floats(-90, 90)), draw(st.floats(-180, 180))
        locs.append([f"l{i}", "geo", t, a, repr(lat), repr(lon), draw(st.integers(1, 5000))])
        expect_ids.add(ea)
    files["locations.csv"] = _csv(["event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"], locs)
    reports = []
    for i in range(draw(st.integers(0, 3))):
        t, _ = draw(when())
        claims = [{"subject": draw(st.sampled_from(PEOPLE)), "predicate": "uses", "object": phones[PEOPLE[0]][0]}]
        reports.append(json.dumps({"report_id": f"r{i}", "source_id": "hum", "reported": t,
                                   "credibility": draw(st.integers(1, 6)), "text": draw(free_text), "claims": claims}))
    files["reports.jsonl"] = "".join(r + "\n" for r in reports)
    return {"files": files, "n": {"comms": len(comms), "locations": len(locs), "reports": len(reports)},
            "ids": expect_ids}


def _snapshot(store: CaseStore) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for t in ("sources", "comms", "locations", "reports", "claims", "entities", "entity_identifiers", "identifiers"):
        out[t] = sorted(store.con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_valid_cases_ingest_and_reingest_is_a_no_op(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        folder.mkdir()
        for name, text in case["files"].items():
            (folder / name).write_text(text, encoding="utf-8")
        store = CaseStore.open(Path(tmp) / "s.duckdb")
        ingest_case(folder, store)
        for table, n in case["n"].items():
            assert store.count(table) == n
        got = {r[0] for r in store.con.execute(
            "SELECT caller FROM comms UNION SELECT callee FROM comms UNION SELECT identifier FROM locations").fetchall()}
        assert got == case["ids"]
        before = _snapshot(store)
        again = ingest_case(folder, store)
        assert not again.changed
        assert _snapshot(store) == before
        store.close()
