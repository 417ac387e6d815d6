"""Habits of a partner's delivery that are legal or recoverable, found on case folders another simulator wrote:
a FollowTheMoney entity with a property FtM does not know, sightings of things named in a scheme the format
does not list, and a bad line in a JSON-lines file under ``--quarantine``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from casefolder import CaseFolder, at
from fusioncell.errors import InvalidCase
from fusioncell.ingest import ingest_case
from fusioncell.ingest.pipeline import rejects
from fusioncell.store import CaseStore


def _case() -> CaseFolder:
    c = CaseFolder()
    c.source("geo", "GEOINT")
    c.source("imint", "IMINT")
    c.source("humint", "HUMINT")
    c.fix("+523312345678", at(1, 2.0), 19.95, -103.74)
    return c


def _ingest(c: CaseFolder, tmp_path: Path, quarantine: bool = False):
    folder = c.write(tmp_path / "case")
    cs = CaseStore.open(tmp_path / "s.duckdb", folder=folder)
    return cs, ingest_case(folder, cs, quarantine=quarantine, quiet=True)


def test_a_property_ftm_does_not_know_is_kept_not_refused(tmp_path: Path) -> None:
    """``color`` is no property of FtM's Vehicle: the case is loaded and the colour kept with the vehicle
    (locate reads vehicle descriptions from these properties), where it was refused whole before."""
    c = _case()
    c.entities.append({"id": "veh-1", "schema": "Vehicle", "properties": {
        "registrationNumber": ["JAL-4821-B"], "owner": ["person-target"], "type": ["pickup"], "color": ["white"]}})
    cs, _ = _ingest(c, tmp_path)
    with cs:
        props = json.loads(cs.con.execute("SELECT properties FROM entities WHERE entity_id = 'veh-1'").fetchone()[0])
        plate = cs.con.execute("SELECT identifier FROM entity_identifiers WHERE entity_id = 'veh-1'").fetchall()
    assert props["color"] == ["white"] and props["registrationNumber"] == ["JAL-4821-B"]
    assert plate == [("plate:JAL-4821-B",)]


def test_an_unknown_property_holding_an_object_is_still_a_problem(tmp_path: Path) -> None:
    c = _case()
    c.entities.append({"id": "veh-1", "schema": "Vehicle", "properties": {"color": [{"r": 255}]}})
    with pytest.raises(InvalidCase) as e:
        _ingest(c, tmp_path)
    assert "entities.jsonl:2" in str(e.value) and "properties.color" in str(e.value)


def test_a_scheme_the_format_does_not_list_is_kept_and_named_in_the_summary(tmp_path: Path) -> None:
    """Night imagery of a vehicle whose plate was not read, named ``vehicle:pickup-white``; and a typo
    ``plat:`` for ``plate:``. Both are loaded as given; the summary names both schemes, so the typo shows."""
    c = _case()
    c.sighting("vehicle:pickup-white", at(2, 23.0), 19.95, -103.74, 0.6, "plate not readable (IR)")
    c.sighting("Vehicle:Pickup-White", at(3, 23.0), 19.95, -103.74, 0.5)
    c.sighting("plat:JAL-4821-B", at(4, 11.0), 19.95, -103.74, 0.9)
    cs, summary = _ingest(c, tmp_path)
    with cs:
        subjects = sorted(r[0] for r in cs.con.execute("SELECT subject FROM sightings").fetchall())
    assert subjects == ["plat:JAL-4821-B", "vehicle:Pickup-White", "vehicle:pickup-white"]
    assert summary.other_schemes == [("vehicle", 2), ("plat", 1)]
    assert "vehicle: (2), plat: (1)" in str(summary)


def test_a_bare_word_is_still_an_unknown_entity_reference(tmp_path: Path) -> None:
    c = _case()
    c.sighting("p-ghost", at(2, 23.0), 19.95, -103.74, 0.6)
    with pytest.raises(InvalidCase) as e:
        _ingest(c, tmp_path)
    assert "sightings.csv:2" in str(e.value) and "unknown entity reference 'p-ghost'" in str(e.value)


def test_quarantine_sets_a_bad_report_aside_and_loads_the_others(tmp_path: Path) -> None:
    c = _case()
    c.report("humint", at(1, 10), 2, [{"subject": "person-target", "predicate": "located_near",
                                       "lat": 19.95, "lon": -103.74, "radius_m": 500}])
    c.report("humint", at(2, 10), 9, [{"subject": "person-target", "predicate": "visits", "lat": 19.9}])
    c.report("nobody", at(3, 10), 2, [])
    folder = c.write(tmp_path / "case")
    bad_lines = (folder / "reports.jsonl").read_text(encoding="utf-8").splitlines()[1:]
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "ingest", str(folder), "--store",
                        str(tmp_path / "strict.duckdb")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "reports.jsonl:2" in r.stderr and "--quarantine" in r.stderr and "Traceback" not in r.stderr
    with CaseStore.open(tmp_path / "s.duckdb", folder=folder) as cs:
        summary = ingest_case(folder, cs, quarantine=True, quiet=True)
        assert cs.count("reports") == 1 and cs.count("claims") == 1
        got = rejects(cs)
    assert summary.quarantined == 2
    assert [(r["file"], r["line"]) for r in got] == [("reports.jsonl", 2), ("reports.jsonl", 3)]
    assert [r["raw"] for r in got] == bad_lines  # whole and unchanged
    # one row a line, every rule the line broke named in it
    assert "credibility" in got[0]["rule"] and "lon" in got[0]["rule"] and "source_id" in got[1]["rule"]


def test_quarantine_sets_aside_a_bad_entity_and_every_entity_that_refers_to_it(tmp_path: Path) -> None:
    """Line 2 has an impossible birth date; line 3 (a vehicle) is owned by it, line 4 is fine. Loading line 3
    would leave a reference to nothing: both are set aside, line 4 and the target are loaded."""
    c = _case()
    c.entities.append({"id": "p-1", "schema": "Person", "properties": {"name": ["Uno"], "birthDate": ["1990-13-45"]}})
    c.entities.append({"id": "veh-1", "schema": "Vehicle", "properties": {"registrationNumber": ["AB-1"],
                                                                         "owner": ["p-1"]}})
    c.entities.append({"id": "p-2", "schema": "Person", "properties": {"name": ["Dos"]}})
    cs, summary = _ingest(c, tmp_path, quarantine=True)
    with cs:
        ids = sorted(r[0] for r in cs.con.execute("SELECT entity_id FROM entities").fetchall())
        idents = cs.con.execute("SELECT count(*) FROM entity_identifiers WHERE entity_id = 'veh-1'").fetchone()[0]
        got = rejects(cs)
    assert ids == ["p-2", "person-target"] and idents == 0
    assert [(r["file"], r["line"]) for r in got] == [("entities.jsonl", 2), ("entities.jsonl", 3)]
    assert got[0]["field"] == "properties.birthDate" and "as a date" in got[0]["rule"]
    assert got[1]["field"] == "properties.owner" and "set aside on line 2" in got[1]["rule"]
    assert summary.quarantined == 2


def test_a_description_in_an_unlisted_scheme_meets_no_one(tmp_path: Path) -> None:
    """Two people seen together met; a ``vehicle:pickup-white`` seen beside them is a description (every white
    pickup), not someone who was there: kept as a row, never a party to a sighted meeting (before: the network's
    top key player of a clean-room case was ``person:unidentified``, then ``vehicle:pickup-white``)."""
    from fusioncell.spacetime.sighted import sighted_meetings

    c = _case()
    c.person("p-1")
    c.person("p-2")
    for subject in ("p-1", "p-2", "vehicle:pickup-white", "person:unidentified"):
        c.sighting(subject, at(2, 15.0), 19.95, -103.74, 0.9)
    cs, _ = _ingest(c, tmp_path)
    with cs:
        pairs = sighted_meetings(cs).select(["id_a", "id_b"]).to_pylist()
    assert pairs == [{"id_a": "p-1", "id_b": "p-2"}]
