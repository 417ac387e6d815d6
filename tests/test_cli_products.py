"""The products read right at the command line (issue #15): a spinner on slow commands, "showing N of M" on every
cut text listing, and no "0%" printed."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

import fusioncell.cli as cli
from fusioncell.cli import app

PARTNER_PHONE = "+523312345678"  # the target's partner in examples/op-tapalpa


def _json(store_file: Path, *args: str) -> dict[str, Any]:
    r = CliRunner().invoke(app, [args[0], str(store_file), *args[1:], "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


def test_slow_commands_show_a_spinner_on_a_terminal_and_keep_stdout_clean(store_file: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    shown: list[str] = []

    @contextmanager
    def status(self: Console, label: str, *a: Any, **kw: Any) -> Iterator[None]:
        assert self.stderr  # never on stdout
        shown.append(label)
        yield

    monkeypatch.setattr(Console, "status", status)
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    runs = {"locate": [], "plan": [], "network": [], "meetings": [], "pattern": ["--id", PARTNER_PHONE]}
    for cmd, extra in runs.items():
        data = _json(store_file, cmd, *extra)  # stdout is still exactly the JSON
        assert data["case"] == "op-tapalpa"
    r = CliRunner().invoke(app, ["share", str(store_file), "--to", "PARTNER-US", "--format", "json",
                                 "--out", str(tmp_path / "p.json")])
    assert r.exit_code == 0, r.output
    assert [s.split(":")[0] for s in shown] == [*runs, "share"]


def test_away_from_a_terminal_no_spinner_is_started(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    def boom(*a: Any, **kw: Any) -> None:
        raise AssertionError("a spinner in a pipe")

    monkeypatch.setattr(Console, "status", boom)
    assert _json(store_file, "locate")["case"] == "op-tapalpa"


def _showing(text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"showing (\d+) of (\d+)", text)]


def test_a_cut_pattern_listing_says_showing_n_of_m(store_file: Path) -> None:
    from fusioncell.spacetime.report import TEXT_ROWS, render_pattern_text

    d = _json(store_file, "pattern", "--id", PARTNER_PHONE)
    assert d["places"], "the example partner has places"
    full = render_pattern_text(d)
    assert _showing(full) == [(TEXT_ROWS, len(rows)) for rows in (d["places"], d["anomalies"], d["dark"], d["meetings"])
                              if len(rows) > TEXT_ROWS]
    many = dict(d, places=d["places"] * 20, meetings=(d["meetings"] or []) * 40)
    got = _showing(render_pattern_text(many))
    assert (TEXT_ROWS, len(d["places"]) * 20) in got
    if d["meetings"]:
        assert (TEXT_ROWS, len(d["meetings"]) * 40) in got


def test_a_cut_locate_listing_says_showing_n_of_m_and_prints_no_zero_percent(store_file: Path) -> None:
    from fusioncell.infer.locate import render_text

    d = _json(store_file, "locate", "--top", "10")
    h = d["hypotheses"][0]
    tiny = dict(h, rank=2, probability=0.0004, evidence=h["evidence"] * 3)
    areas = [dict(rank=k, lat=20.0, lon=-103.0, radius_m=500, probability=0.001, places=1, hypotheses=[k])
             for k in range(1, 6)]
    text = render_text(dict(d, hypotheses=[h, tiny], areas=areas, elsewhere=0.0001))
    assert (3, 5) in _showing(text)  # the areas
    assert (4, len(h["evidence"]) * 3) in _showing(text)
    assert not re.search(r"(?<![\d.<>])0%|p=0\.00", text), text
    assert "<1%" in text


def test_an_area_names_the_places_below_it_by_their_numbers(store_file: Path) -> None:
    """A key judgment pointed at its places as "(hypotheses 1, 4)", a word the listing below never uses: it says
    "places 1, 4 below" (one place: "place 2 below")."""
    from fusioncell.infer.locate import render_text

    d = _json(store_file, "locate", "--top", "10")
    areas = [dict(rank=1, lat=20.0, lon=-103.0, radius_m=500, probability=0.4, places=2, hypotheses=[1, 4]),
             dict(rank=2, lat=20.5, lon=-103.0, radius_m=90, probability=0.1, places=1, hypotheses=[2])]
    text = render_text(dict(d, areas=areas))
    assert "2 places (places 1, 4 below)" in text and "1 place (place 2 below)" in text
    assert "hypotheses" not in text.split("Places:")[0]


def test_locate_names_the_target_by_his_name_and_id(store_file: Path) -> None:
    """The text asked "where is person-target?"; it names him as the case's entity file does, then the id."""
    from fusioncell.infer.locate import render_text
    from fusioncell.store import CaseStore

    d = _json(store_file, "locate")
    with CaseStore.open(store_file, read_only=True) as cs:
        caption = cs.con.execute("SELECT caption FROM entities WHERE entity_id = ?", [d["target"]]).fetchone()[0]
    assert caption and caption != d["target"]
    assert d["target_name"] == caption
    assert render_text(d).splitlines()[0].startswith(f"Case {d['case']} — where is {caption} ({d['target']})?")


def test_a_cut_list_of_hubs_says_showing_n_of_m() -> None:
    from fusioncell.network.report import render_text

    hubs = [{"identifier": f"+5233000000{k:02d}", "contacts": 100 + k} for k in range(14)]
    text = render_text({"case": "c", "focus": None, "close_circle": [], "key_players": [], "burner_successions": [],
                        "communities": [], "hubs": hubs})
    assert (10, 14) in _showing(text)


def _maps(store_file: Path, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], Any]:
    import xml.etree.ElementTree as ET

    g, k = tmp_path / "where.geojson", tmp_path / "where.kml"
    answer = _json(store_file, "locate", "--top", "5", "--geojson", str(g), "--kml", str(k))
    return answer, json.loads(g.read_text(encoding="utf-8")), ET.parse(k).getroot()


def test_locate_writes_geojson_and_kml_of_hypotheses_areas_and_tracks(store_file: Path, tmp_path: Path) -> None:
    from collections import Counter

    from fusioncell.products.gather import MAX_TRACKS

    answer, gj, kml = _maps(store_file, tmp_path)
    kinds = Counter(f["properties"]["kind"] for f in gj["features"])
    assert kinds["hypothesis"] == len(answer["hypotheses"]) and kinds["area"] == len(answer.get("areas") or [])
    hyps = [f for f in gj["features"] if f["properties"]["kind"] == "hypothesis"]
    for f, h in zip(hyps, answer["hypotheses"]):
        assert f["geometry"]["coordinates"] == [h["lon"], h["lat"]]  # GeoJSON is [lon, lat]
        assert f["properties"]["probability"] == h["probability"] and not f["properties"]["percent"].startswith("0")
    # locations.csv locates three things, each in several spellings: the partner's number
    # (5 spellings, 4+3+3+1+3 = 14 fixes), +52 33 3456 7890 (2 spellings, 10 fixes) and the plate JAL-4821-B (2 spellings, 10 fixes)
    assert kinds["track"] == 3 <= MAX_TRACKS
    tracks = {f["properties"]["identifier"]: f["properties"]["fixes"] for f in gj["features"]
              if f["properties"]["kind"] == "track"}
    assert tracks == {PARTNER_PHONE: 14, "+523334567890": 10, "plate:JAL-4821-B": 10}
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = kml.findall(".//k:Placemark", ns)
    assert len(marks) == len(gj["features"])
    lon, lat = (float(x) for x in marks[0].find(".//k:Point/k:coordinates", ns).text.split(","))
    assert (lon, lat) == (answer["hypotheses"][0]["lon"], answer["hypotheses"][0]["lat"])  # KML is lon,lat


def test_a_protected_persons_track_is_left_out_of_the_owners_map(store_file: Path, tmp_path: Path) -> None:
    from fusioncell.security.minimise import protect
    from fusioncell.store import CaseStore

    with CaseStore.open(store_file) as cs:
        tracked = {r[0] for r in cs.con.execute("SELECT DISTINCT identifier FROM locations").fetchall()}
        assert PARTNER_PHONE in tracked
        protect(cs, PARTNER_PHONE, "test: a cooperating partner")
    _, gj, _ = _maps(store_file, tmp_path)
    tracks = [f for f in gj["features"] if f["properties"]["kind"] == "track"]
    assert tracks and all(not f["properties"]["identifier"].startswith("masked:") for f in tracks)
    assert PARTNER_PHONE[3:] not in json.dumps(gj)
    assert {f["properties"]["identifier"] for f in tracks} == {"+523334567890", "plate:JAL-4821-B"}
