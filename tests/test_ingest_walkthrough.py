"""docs/ingest.md's watch walkthrough, replayed command by command on a copy of the example case.

The day's two files are the ones the walkthrough prints; the alerts expected
follow from the planted rows: the partner calls a number never in her
contacts (w-1 new-contact), a fix puts her 60 m from the ranch at 21:35 and
the courier's call is served there at 21:40 (w-2 place, once per file; w-3
meeting, once).
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from conftest import copy_example
from fusioncell.cli import app

COMMS_DAY = """event_id,source_id,start,duration_s,channel,caller,callee,caller_lat,caller_lon,callee_lat,callee_lon,content
c-0901,sigint-01,2026-02-22T10:02:00-06:00,95,call,33 1234 5678,33 9876 5432,,,,,
c-0902,sigint-01,2026-02-22T21:40:00-06:00,40,call,(33) 2345-6789,+52 33 3640 1122,19.9415,-103.7525,,,
"""
LOCATIONS_DAY = """event_id,source_id,observed,identifier,lat,lon,accuracy_m
l-0901,geo-01,2026-02-22T21:35:00-06:00,33 1234 5678,19.9410,-103.7518,50
"""


def _run(*args: str) -> str:
    r = CliRunner().invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def test_the_documented_walkthrough_raises_exactly_its_four_alerts(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "op-tapalpa")
    _run("ingest", str(case))
    assert _run("watch", "add", str(case), "new-contact", "person-partner").startswith("w-1 new-contact")
    assert _run("watch", "add", str(case), "place", "19.9412,-103.752", "--radius-m", "300",
                "--note", "Rancho El Ocote").startswith("w-2 place")
    assert _run("watch", "add", str(case), "meeting", "person-partner", "person-courier").startswith("w-3 meeting")
    (case / "comms-2026-02-22.csv").write_text(COMMS_DAY, encoding="utf-8")
    (case / "locations-2026-02-22.csv").write_text(LOCATIONS_DAY, encoding="utf-8")
    out = _run("ingest", str(case))
    assert "ingested 2 files (comms-2026-02-22.csv 2 rows, locations-2026-02-22.csv 1 rows)" in out
    assert "4 alerts (see: fusioncell alerts)" in out
    fired = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.startswith("  w-"))
    assert fired == ["w-1 new-contact in comms-2026-02-22.csv", "w-2 place in comms-2026-02-22.csv",
                     "w-2 place in locations-2026-02-22.csv", "w-3 meeting in locations-2026-02-22.csv"]
    assert "person-partner in contact with masked:phone-" in out  # a one-off number stays pseudonymised
    listed = _run("alerts", str(case))
    assert listed.startswith("4 alert(s)")
    # the ingest's audit entry lists the ids of the alerts it raised
    from fusioncell.security import audit
    from fusioncell.store import CaseStore
    from fusioncell.watch import list_alerts

    with CaseStore.open(case / ".fusioncell" / "case.duckdb", read_only=True) as cs:
        ids = sorted(a.alert_id for a in list_alerts(cs))
        last_ingest = [e for e in audit.entries(cs) if "ingest" in (e.what or "") + e.action][-1]
    assert len(ids) == 4 and all(i in (last_ingest.what or "") for i in ids), last_ingest
    # the same folder again: nothing new, nothing fires
    again = _run("ingest", str(case))
    assert "alert" not in again
