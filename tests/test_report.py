"""The intelligence product: offline HTML, ICD 203 key judgments, graceful degradation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fusioncell.errors import NotFound, UsageError
from fusioncell.products import report as R
from fusioncell.products.language import mixes_likelihood_and_confidence
from fusioncell.store import CaseStore
from tests.rows import case_store, put_select

T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)


def hyp(rank: int, p: float, label: str, **kw: Any) -> dict[str, Any]:
    return {"rank": rank, "lat": 19.94 + 0.01 * rank, "lon": -103.75, "radius_m": 150, "probability": p,
            "label": label, "windows": [], "evidence": [], **kw}


def make_ctx(**over: Any) -> dict[str, Any]:
    """A complete fabricated context (every section present)."""
    rng = np.random.default_rng(0)
    track = (19.95 + np.cumsum(rng.normal(0, 0.002, 100)), -103.72 + np.cumsum(rng.normal(0, 0.002, 100)))
    ctx: dict[str, Any] = {
        "case": {"case_id": "op-test", "title": "Location of subject X", "owner_agency": "AG-1",
                 "legal_authority": "Court order 1/2026", "timezone": "America/Mexico_City"},
        "target": "person-target",
        "generated": T0,
        "locate": {"as_of": "2026-02-21T23:59:00-06:00", "hypotheses": [
            hyp(1, 0.81, "rural compound", windows=[{"from": "2026-02-18T21:00:00-06:00", "to": "2026-02-19T06:30:00-06:00"}],
                evidence=[
                    {"kind": "meeting", "summary": "partner and courier co-located 3 nights", "weight": 2.3,
                     "event_ids": ["loc-1", "loc-2"], "source_ids": ["geo-01"]},
                    {"kind": "claim", "summary": "informant: he hides near the dam, see https://evil.example/x.js",
                     "weight": 1.1, "event_ids": ["r-017"], "source_ids": ["humint-07"]},
                    {"kind": "sighting", "summary": "his pickup seen at the gate", "weight": -0.4,
                     "event_ids": ["s-3"], "source_ids": ["img-02"]},
                ]),
            hyp(2, 0.09, "town house"),
        ]},
        "plan": {"recommendations": [{"rank": 1, "identifier": "+523312345678", "person": "alias:La Güera",
                                      "expected_gain": 0.74, "why": "partner of target; not yet tracked"}]},
        "network": {"focus": "person-target",
                    "close_circle": [{"rank": 1, "identifier": "+523312345678", "person": "alias:La Güera", "strength": 0.93,
                                      "relationship": "partner", "relationship_p": 0.62, "why": "daily late-night calls"}],
                    "key_players": [{"rank": 1, "identifier": "+523398765432", "person": None, "score": 0.88,
                                     "measures": {"degree": 41, "betweenness": 0.31}}],
                    "burner_successions": [{"old": "+523322223333", "new": "+523344445555", "score": 0.94,
                                            "handover": "2026-01-14T10:00:00-06:00", "why": "11 of 13 contacts shared"}]},
        "ties": [{"a": "person-target", "b": "+523312345678", "strength": 0.93, "relationship": "partner"},
                 {"a": "+523312345678", "b": "+523398765432", "strength": 0.3, "relationship": "work"}],
        "tracks": {"+523312345678": track},
        "places": [{"place_id": "p1", "lat": 19.95, "lon": -103.75, "n_visits": 12, "label": "home", "remote": False}],
        "visits": [{"identifier": "+523312345678", "start": T0, "end": T0 + timedelta(hours=9), "overnight": True, "remote": True}],
        "dark": [{"identifier": "+523312345678", "start": T0 + timedelta(days=3), "end": T0 + timedelta(days=4)}],
        "meetings": [{"start": T0 + timedelta(days=1), "end": T0 + timedelta(days=1, hours=2),
                      "participants": ["+523312345678", "+523398765432"], "place": "compound", "probability": 0.9}],
        "towers": (np.array([19.9, 20.0]), np.array([-103.8, -103.7])),
        "areas": [{"lat": 19.95, "lon": -103.73, "radius_m": 8000}],
        "sightings": [{"lat": 19.951, "lon": -103.751, "subject": "plate:JAL4821-B"}],
        "sources": {"geo-01": {"agency": "AG-1", "discipline": "GEOINT", "reliability": "A"},
                    "humint-07": {"agency": "PARTNER-US", "discipline": "HUMINT", "reliability": "B"},
                    "img-02": {"agency": "AG-1", "discipline": "IMINT", "reliability": "C"}},
        "credibility": {"r-017": 2},
        "missing": {},
    }
    ctx.update(over)
    return ctx


def _fake_module(monkeypatch: pytest.MonkeyPatch, name: str, **funcs: Any) -> None:
    import sys
    import types

    mod = types.ModuleType(name)
    for k, v in funcs.items():
        setattr(mod, k, v)
    monkeypatch.setitem(sys.modules, name, mod)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action", "background"):
                self.refs.append((tag, name, value or ""))


@pytest.fixture(scope="module")
def full_html() -> str:
    return R.render_report(make_ctx())


def test_html_references_nothing_outside_itself(full_html: str) -> None:
    parser = _Refs()
    parser.feed(full_html)
    assert parser.refs, "figures should be embedded as <img src=data:...>"
    for tag, name, value in parser.refs:
        assert value.startswith("data:image/png;base64,") or value.startswith("#"), (tag, name, value[:60])
    assert not re.search(r"https?://", full_html, re.IGNORECASE)
    assert "script" not in parser.tags and "link" not in parser.tags and "iframe" not in parser.tags
    assert "@import" not in full_html and not re.search(r"url\((?!data:)", full_html)


def test_urls_in_case_text_are_defanged(full_html: str) -> None:
    assert "hxxps://evil.example/x.js" in full_html


def test_every_figure_is_embedded(full_html: str) -> None:
    assert full_html.count("data:image/png;base64,") == 4  # map, hypotheses, network, timeline
    assert "not available" not in full_html


def test_key_judgments_come_first_and_use_icd203_words(full_html: str) -> None:
    body = full_html[full_html.index("<main>"):]
    assert body.index('id="kj"') < body.index('id="map"') < body.index('id="evidence"')
    kjs = R.key_judgments(make_ctx())
    assert kjs[0]["text"].startswith("It is very likely (81%) that person-target is at or near rural compound")
    alt = [k["text"] for k in kjs if k["kind"] == "alternative"]
    assert alt[0].startswith("It is very unlikely (9%) that he is instead at town house")
    # 1 - 0.81 - 0.09 = 0.10 left for "elsewhere"
    assert alt[1].startswith("It is very unlikely (10%) that he is somewhere other than the 2 places")
    assert any(k["text"].startswith("It is likely (62%) that alias:La Güera (+523312345678) is the romantic partner of "
                                    "person-target") for k in kjs)


def test_the_partner_is_named_before_the_identifier_that_stands_for_her() -> None:
    """When her plate is the circle's closest trace of her, the judgment is about her, not the plate (a clean-room
    report read "plate:JL-6951-C (La Muñeca) is the romantic partner of ...")."""
    net = make_ctx()["network"]
    net = dict(net, close_circle=[{"rank": 1, "identifier": "plate:JL-6951-C", "person": "alias:La Muñeca",
                                   "strength": 0.6, "relationship": "partner", "relationship_p": 0.98}])
    texts = [k["text"] for k in R.key_judgments(make_ctx(network=net)) if k["kind"] == "network"]
    assert texts[0].startswith("It is almost certain (98%) that alias:La Muñeca (plate:JL-6951-C) is the romantic partner")


@pytest.mark.parametrize(("p", "word"), [(0.05, "very unlikely"), (0.2, "unlikely"), (0.45, "roughly even chance"),
                                         (0.55, "roughly even chance"), (0.8, "likely"), (0.95, "very likely"),
                                         (0.96, "almost certain"), (0.04, "almost no chance")])
def test_leading_judgment_word_at_band_boundaries(p: float, word: str) -> None:
    ctx = make_ctx(locate={"hypotheses": [hyp(1, p, "farm")]})
    first = R.key_judgments(ctx)[0]["text"]
    assert re.match(rf"(It is|There is a?) ?{word} \(", first), first


def test_confidence_stands_in_its_own_sentence() -> None:
    kjs = R.key_judgments(make_ctx())
    conf = [k["text"] for k in kjs if k["kind"] == "confidence"]
    assert len(conf) == 1
    # 3 sources, 3 disciplines, 2 agencies, margin 0.72 -> high
    assert conf[0].startswith("We have high confidence in the location assessment")
    assert "3 sources in 3 disciplines held by 2 agencies" in conf[0]
    assert mixes_likelihood_and_confidence(" ".join(k["text"] for k in kjs)) == []


def test_confidence_is_no_higher_than_moderate_when_he_may_have_moved() -> None:
    """The same broad evidence (3 sources, 3 disciplines, margin 0.72: high), but locate says her visits to the
    leading place have stopped (``support.may_have_moved``): the evidence may describe where he was, and
    analytic confidence covers currency, so the sentence says moderate and why."""
    ctx = make_ctx()
    ctx["locate"]["hypotheses"][0]["support"] = {"may_have_moved": True}
    conf = [k["text"] for k in R.key_judgments(ctx) if k["kind"] == "confidence"]
    assert conf[0].startswith("We have moderate confidence in the location assessment")
    assert "may describe where he was" in conf[0]
    assert mixes_likelihood_and_confidence(" ".join(conf)) == []


def test_hypotheses_are_listed_by_probability_whatever_the_input_order() -> None:
    ctx = make_ctx(locate={"hypotheses": [hyp(1, 0.2, "second"), hyp(2, 0.1, "third"), hyp(3, 0.6, "first")]})
    assert [h["label"] for h in R.sort_hypotheses(ctx["locate"]["hypotheses"])] == ["first", "second", "third"]
    assert [h["rank"] for h in R.sort_hypotheses(ctx["locate"]["hypotheses"])] == [1, 2, 3]
    html = R.render_report(ctx, figures={})
    table = html[html.index('id="hyp"'):html.index('id="net"')]
    assert table.index("first") < table.index("second") < table.index("third")
    assert R.key_judgments(ctx)[0]["text"].startswith("It is likely (60%) that person-target is at or near first")


def test_evidence_rows_carry_grades_and_agencies() -> None:
    rows, more = R.evidence_rows(make_ctx())
    assert more == 0
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["claim"]["kind_words"] == "claim"  # a kind with no analyst's name keeps its own
    assert by_kind["claim"]["grade"] == "B2"  # reliability from the source, credibility from the report
    assert by_kind["claim"]["agencies"] == "PARTNER-US"
    assert by_kind["meeting"]["grade"] == "A–"  # an observation has no credibility grade
    assert [r["kind"] for r in rows] == ["meeting", "claim", "sighting"]  # strongest |weight| first


def test_evidence_table_is_capped_and_says_so() -> None:
    ev = [{"kind": "k", "summary": f"item {i}", "weight": float(i), "event_ids": [], "source_ids": []} for i in range(20)]
    rows, more = R.evidence_rows(make_ctx(locate={"hypotheses": [hyp(1, 0.5, "x", evidence=ev)]}))
    assert len(rows) == R.EVIDENCE_PER_HYPOTHESIS and more == 20 - R.EVIDENCE_PER_HYPOTHESIS
    assert rows[0]["summary"] == "item 19"


def test_missing_sections_degrade_to_not_available() -> None:
    ctx = {"case": make_ctx()["case"], "target": "person-target",
           "missing": {"locate": "stage not installed (fusioncell.infer.locate)", "network": "stage failed (KeyError)"}}
    html = R.render_report(ctx)
    assert "No location hypotheses: stage not installed (fusioncell.infer.locate)" in html
    assert "Network chart not available: stage failed (KeyError)" in html
    assert "No collection plan" in html and "Map not available" in html and "Timeline not available" in html
    assert "data:image/png" not in html
    assert R.key_judgments(ctx)[0]["text"].startswith("No location judgment can be made")


def test_identifiers_are_shown_through_the_display_names() -> None:
    html = R.render_report(make_ctx(names={"+523398765432": "masked:7f3a"}, masked=True), figures={})
    assert "+523398765432" not in html
    assert "masked:7f3a" in html


def _store_with_case(tmp_path: Path, n: int = 300) -> CaseStore:
    cs = CaseStore.open(tmp_path / "case.duckdb")
    case_store("op-mini", owner="AG-1", store=cs, title="Mini case", legal_authority="order 7", phone_region="MX",
               raw_toml="", sources=[{"source_id": "geo-01", "discipline": "GEOINT", "method": "carrier",
                                      "reliability": "A", "line": 2}])
    put_select(cs.con, "locations",
               """SELECT 'loc-' || i AS event_id, 'geo-01' AS source_id, 'AG-1' AS agency,
                         TIMESTAMPTZ '2026-02-01 00:00:00+00' + i * INTERVAL 10 MINUTE AS observed,
                         '+523312345678' AS identifier, 19.9 + 0.00001 * i AS lat, -103.7 AS lon, 50.0 AS accuracy_m,
                         i + 2 AS line FROM range(?) t(i)""", [n])
    return cs


def test_tracks_are_thinned_in_time_order(tmp_path: Path) -> None:
    with _store_with_case(tmp_path, n=9000) as cs:
        tracks = R._tracks(cs)
    lat, lon = tracks["+523312345678"]
    assert 2000 <= len(lat) <= R.MAX_FIXES_PER_TRACK + 1
    assert np.all(np.diff(lat) > 0)  # latitude grows with time in this track
    assert lat[0] == pytest.approx(19.9)


def test_write_report_on_a_store_writes_offline_html_and_pdf(tmp_path: Path) -> None:
    with _store_with_case(tmp_path) as cs:
        stages: list[str] = []
        paths = R.write_report(cs, tmp_path / "out", progress=stages.append)
    assert [p.name for p in paths] == ["report.html", "report.pdf"]
    # progress is reported stage by stage (the CLI shows it on stderr only)
    assert stages == ["running the analyses", "drawing the figures", "writing report.html", "writing report.pdf"]
    html = paths[0].read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert "Mini case" in html
    assert paths[1].read_bytes()[:5] == b"%PDF-"


def test_write_report_refuses_unknown_target_and_file_as_out(tmp_path: Path) -> None:
    with _store_with_case(tmp_path) as cs:
        with pytest.raises(NotFound):
            R.write_report(cs, tmp_path / "out", target="person-nobody")
        (tmp_path / "file").write_text("x")
        with pytest.raises(UsageError):
            R.write_report(cs, tmp_path / "file")


@pytest.fixture
def light_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the network and spacetime stages by empty ones (gather tests stay fast)."""
    import fusioncell.spacetime as st

    _fake_module(monkeypatch, "fusioncell.network.report", network_report=lambda store, focus=None, hops=2: {})
    for fn in ("places", "visits", "meetings", "dark_intervals"):
        monkeypatch.setattr(st, fn, lambda store, ids=None: [], raising=False)


@pytest.mark.usefixtures("light_stages")
def test_gather_degrades_when_a_stage_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    broken = types.ModuleType("fusioncell.infer.locate")

    def locate(*a: Any, **k: Any) -> Any:
        raise KeyError("boom")

    broken.locate = locate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fusioncell.infer.locate", broken)
    _fake_module(monkeypatch, "fusioncell.infer.plan", plan=lambda store, target=None, budget=3: {})
    with _store_with_case(tmp_path) as cs:
        ctx = R.gather(cs)
    assert ctx["locate"] is None
    assert ctx["missing"]["locate"].startswith("stage failed (KeyError")
    assert "+523312345678" in ctx["tracks"]


def test_defang() -> None:
    assert R.defang("HTTPS://a http://b") == "HxxPS://a hxxp://b"


@pytest.mark.usefixtures("light_stages")
def test_gather_masks_bystanders_in_identifiers_and_free_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bystander = "+523300000001"
    _fake_module(monkeypatch, "fusioncell.infer.locate", locate=lambda store, target=None, top=5: {"hypotheses": [
        hyp(1, 0.7, "farm", evidence=[{"kind": "call", "summary": f"tracked phone called {bystander} once", "weight": 0.1,
                                         "event_ids": ["c-1"], "source_ids": ["geo-01"]}])]})
    _fake_module(monkeypatch, "fusioncell.infer.plan", plan=lambda store, target=None, budget=3: {"recommendations": [
        {"rank": 1, "identifier": bystander, "person": None, "expected_gain": 0.1, "why": "x"}]})
    with _store_with_case(tmp_path) as cs:
        cs.con.execute("""INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee)
                          VALUES ('c-1', 'geo-01', 'AG-1', TIMESTAMPTZ '2026-02-01 10:00:00+00', 30, 'call',
                                  '+523312345678', ?)""", [bystander])
        cs.con.execute("INSERT INTO identifiers (identifier, scheme) VALUES (?, 'phone'), ('+523312345678', 'phone')",
                       [bystander])
        ctx = R.gather(cs)
        html = R.render_report(ctx)
    assert ctx["masked"] is True
    assert bystander not in html
    assert "masked:phone-" in ctx["locate"]["hypotheses"][0]["evidence"][0]["summary"]
    assert ctx["plan"]["recommendations"][0]["identifier"].startswith("masked:phone-")
    assert "+523312345678" in ctx["tracks"]  # the tracked phone is pertinent: shown in clear


@pytest.mark.usefixtures("light_stages")
def test_gather_keeps_only_probable_meetings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fusioncell.spacetime as st

    _fake_module(monkeypatch, "fusioncell.infer.locate", locate=lambda store, target=None, top=5: {"hypotheses": []})
    _fake_module(monkeypatch, "fusioncell.infer.plan", plan=lambda store, target=None, budget=3: {})

    rows = [{"id_a": "+523312345678", "id_b": "+523399999999", "start": T0, "end": T0 + timedelta(hours=1), "p_any": p,
             "lat": 19.9, "lon": -103.7} for p in (0.05, 0.19, 0.2, 0.9)]
    monkeypatch.setattr(st, "meetings", lambda store, ids=None: rows, raising=False)
    with _store_with_case(tmp_path) as cs:
        ctx = R.gather(cs)
    assert [m["probability"] for m in ctx["meetings"]] == [0.2, 0.9]
    assert ctx["weak_meetings"] == 2
    assert ctx["meetings"][0]["participants"] == ["+523312345678", "+523399999999"]


def test_cli_report_unknown_target_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from fusioncell.cli import main

    with _store_with_case(tmp_path, n=10) as cs:
        path = cs.path
    monkeypatch.setattr("sys.argv", ["fusioncell", "report", str(path), "--out", str(tmp_path / "o"), "--target", "nobody"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nobody" in err[0] and err[0].startswith("fusioncell: error:")
    assert not (tmp_path / "o").exists()


def test_partner_is_judged_before_the_closest_tie() -> None:
    net = make_ctx()["network"]
    net = dict(net, close_circle=[
        {"rank": 1, "identifier": "alias:El Tuerto", "person": None, "strength": 0.6, "relationship": "friend", "relationship_p": 0.63},
        {"rank": 2, "identifier": "ent-7", "person": "ent-7", "strength": 0.5, "relationship": "partner", "relationship_p": 0.58},
    ])
    texts = [k["text"] for k in R.key_judgments(make_ctx(network=net, names={"ent-7": "Adriana C."})) if k["kind"] == "network"]
    assert texts == ["It is likely (58%) that Adriana C. is the romantic partner of person-target.",
                     "It is likely (63%) that alias:El Tuerto is a friend of person-target."]


@pytest.mark.usefixtures("light_stages")
def test_a_slow_pattern_of_life_section_is_interrupted_and_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import fusioncell.spacetime as st

    def slow_meetings(store: CaseStore, ids: Any = None) -> Any:
        # minutes of work for DuckDB unless interrupted
        return store.con.execute("SELECT count(*) FROM range(2000000000) a, range(50) b WHERE a.range % 7 = b.range").fetchall()

    monkeypatch.setattr(st, "meetings", slow_meetings, raising=False)
    _fake_module(monkeypatch, "fusioncell.infer.locate", locate=lambda store, target=None, top=5: {"hypotheses": []})
    _fake_module(monkeypatch, "fusioncell.infer.plan", plan=lambda store, target=None, budget=3: {})
    with _store_with_case(tmp_path) as cs:
        started = time.perf_counter()
        ctx = R.gather(cs, section_budget_s=0.5)
        elapsed = time.perf_counter() - started
        assert cs.con.execute("SELECT count(*) FROM locations").fetchone() == (300,)  # connection still usable
    assert ctx["missing"]["meetings"] == "skipped: took longer than 0.5 s"
    assert ctx["meetings"] == [] and "+523312345678" in ctx["tracks"]
    assert elapsed < 30


def test_module_doctests_pass() -> None:
    import doctest

    result = doctest.testmod(R)
    assert result.attempted >= 2 and result.failed == 0


def test_an_area_of_overlapping_places_is_judged_as_one() -> None:
    """Four places within 500 m holding 46% together: the key judgments say so, not just "very unlikely 15%"."""
    hyps = [hyp(k, p, f"place {k}") for k, p in enumerate((0.15, 0.12, 0.11, 0.08), start=1)]
    ctx = make_ctx(locate={"as_of": "2026-02-21T23:59:00-06:00", "hypotheses": hyps,
                           "areas": [{"rank": 1, "lat": 19.96, "lon": -103.75, "radius_m": 480, "probability": 0.46,
                                      "places": 4, "hypotheses": [1, 2, 3, 4]}]})
    texts = [kj["text"] for kj in R.key_judgments(ctx)]
    area = [t for t in texts if "within 480 m" in t]
    assert area and "roughly even chance (46%)" in area[0] and "4 of the places" in area[0]  # ICD 203: 45-55%


def test_a_single_place_area_adds_no_judgment() -> None:
    ctx = make_ctx()
    ctx["locate"]["areas"] = [{"rank": 1, "lat": 19.95, "lon": -103.75, "radius_m": 150, "probability": 0.81,
                               "places": 1, "hypotheses": [1]}]
    assert not [kj for kj in R.key_judgments(ctx) if "an area holding" in kj["text"]]


def test_pdf_evidence_listing_says_showing_n_of_m(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "evidence_rows", lambda ctx: ([{"rank": 1, "grade": "B2", "weight": 1.0, "kind": "fix",
                                                           "agencies": "AG", "summary": "s"}], 4))
    text = "\n".join(t for _, t in R.pdf_blocks(make_ctx()))
    assert "showing 1 of 5 items" in text


def test_the_elsewhere_judgment_counts_the_places_where_they_are_listed() -> None:
    # five places, of which the key judgments name three: "the 5 places listed" sent the reader looking for two more
    ctx = make_ctx(locate={"hypotheses": [hyp(k, p, f"place {k}") for k, p in enumerate((0.5, 0.2, 0.1, 0.05, 0.05), 1)]})
    texts = [k["text"] for k in R.key_judgments(ctx)]
    assert sum("place " in t for t in texts) == 3
    assert "It is very unlikely (10%) that he is somewhere other than the 5 places in the hypotheses table." in texts


def test_the_close_circles_why_names_people_not_entity_ids() -> None:
    net = dict(make_ctx()["network"], close_circle=[
        {"rank": 1, "identifier": "+523312345678", "person": "ent-7", "strength": 0.57, "relationship": "friend",
         "relationship_p": 0.4, "why": "no communications seen; report r-9 (B3): person-target partner_of ent-7"}])
    html = R.render_report(make_ctx(network=net, names={"ent-7": "Adriana C.", "person-target": "Rubén Á."}), figures={})
    assert "report r-9 (B3): Rubén Á. partner_of Adriana C.</td>" in html


def test_the_plans_why_names_people_not_entity_ids() -> None:
    plan = {"recommendations": [{"rank": 1, "identifier": "+523312345678", "person": None, "expected_gain": 0.09,
                                 "why": "associate of the target (ent-7); not yet tracked"}]}
    ctx = make_ctx(plan=plan, names={"ent-7": "Adriana C."})
    assert "associate of the target (Adriana C.); not yet tracked</td>" in R.render_report(ctx, figures={})
    assert any("associate of the target (Adriana C.)" in k["text"] for k in R.key_judgments(ctx))


def test_key_player_measures_read_as_words_not_python_values() -> None:
    net = dict(make_ctx()["network"], key_players=[
        {"rank": 1, "identifier": "+523398765432", "person": None, "score": 1.0,
         "measures": {"degree": 29, "weighted_degree": 16.5721, "kpp_pos": True, "kpp_neg": False}}])
    html = R.render_report(make_ctx(network=net), figures={})
    assert "<td>degree 29 · weighted degree 16.572 · in the reach set</td>" in html
    assert "kpp_" not in html and "=True" not in html and "=False" not in html


def test_an_evidence_line_shows_the_number_its_phone_handle_stands_for() -> None:
    # "the partner's phone P-16ff5b" appears nowhere else: the map legend and the timeline name +52… numbers
    ctx = make_ctx()
    ctx["locate"]["hypotheses"][0]["evidence"].append(
        {"kind": "nights_partner", "summary": "phone P-16ff5b (3×): night(s) located here", "weight": 1.6,
         "event_ids": ["loc-3"], "source_ids": ["geo-01"], "identifiers": ["+523312345678"]})
    html = R.render_report(ctx, figures={})
    assert ("phone P-16ff5b (3×): night(s) located here<br>"
            "<span class=\"small\">+523312345678</span></td>") in html  # the number alone: a cell the minimiser masks


def test_meetings_say_the_times_are_local_and_list_who_met_as_identifiers_alone() -> None:
    # "+52… · name" in a meetings cell broke the rule that a run of text carrying a number carries identifiers
    # only (the shape the exit minimiser masks whole: tests/test_protected_root.py)
    html = R.render_report(make_ctx(), figures={})
    assert "<th>From (local)</th><th>To (local)</th>" in html
    assert "<td>+523312345678, +523398765432</td>" in html


def test_the_plans_gain_is_given_in_bits_to_three_places() -> None:
    # "0.02", "0.01", "0.01": 0.016, 0.012 and 0.011 bits read as a tie, and without a unit
    plan = {"recommendations": [{"rank": k, "identifier": f"+52331234567{k}", "person": None, "expected_gain": g,
                                 "why": "not yet tracked"} for k, g in ((1, 0.016), (2, 0.012), (3, 0.011))]}
    ctx = make_ctx(plan=plan)
    # 0.016 bits is no step worth a judgment that it matters: the judgment says the picture will not change much
    assert [k["text"] for k in R.key_judgments(ctx) if k["kind"] == "plan"] == [
        "No phone left to track is expected to change the picture much: the best, +523312345671, would gain "
        "0.016 bits of the uncertainty about where he is."]
    html = R.render_report(ctx, figures={})
    assert "<th>Expected gain (bits)</th>" in html
    assert [g in html for g in ('<td class="num">0.016</td>', '<td class="num">0.012</td>', '<td class="num">0.011</td>')] == [True] * 3


def test_the_headers_as_of_names_its_time_zone() -> None:
    # "As of 2026-02-21 23:59" beside "Produced … UTC": the reader took the case's local time for UTC
    html = R.render_report(make_ctx(), figures={})
    assert "<span>As of 2026-02-21 23:59 (America/Mexico_City)</span>" in html


def test_the_collection_judgment_says_what_to_do_and_leaves_the_measures_to_the_plan_section() -> None:
    """A key judgment is a sentence an analyst acts on: who, that her phone must be confirmed first or that
    it continues a tracking; the lead probability, nights away and the succession's evidence are the
    collection plan's detail (they made the ninth key judgment five lines long)."""
    why = ("the likeliest phone of alias:La Güera (his partner, known by alias only): p=0.25 hers, 53% that one of "
           "the 5 candidates is; confirm it first (subscriber check or a short intercept), then track it — valued as "
           "tracking her; partner of the target (alias:La Güera); leads to his place with p≈0.40 if tracked; away "
           "from its usual cell site on 25% of nights; takes over from +523300000001, which the investigation "
           "tracks: tracking it continues that tracking (a new number: 15 of 16 contacts shared, weighted Jaccard "
           "0.78); not yet tracked")
    ctx = make_ctx(plan={"recommendations": [{"rank": 1, "identifier": "+523312345678", "person": "alias:La Güera",
                                              "expected_gain": 0.95, "why": why}]})
    text = next(k["text"] for k in R.key_judgments(ctx) if k["kind"] == "plan")
    assert "confirm it first (subscriber check or a short intercept)" in text
    assert "takes over from +523300000001, which the investigation tracks: tracking it continues that tracking" in text
    for detail in ("leads to his place", "away from its usual cell site", "15 of 16 contacts", "not yet tracked"):
        assert detail not in text


def test_the_evidence_table_names_a_kind_in_words_and_keeps_the_feature_in_its_tooltip() -> None:
    ev = [{"kind": "nights_partner_coarse", "summary": "the partner's phone P-1: night(s) on cell sites covering this "
           "place", "weight": 0.4, "event_ids": ["c1"], "source_ids": ["geo-01"]}]
    html = R.render_report(make_ctx(locate={"hypotheses": [hyp(1, 0.5, "x", evidence=ev)]}))
    assert '<td title="nights_partner_coarse">her nights (cell sites)</td>' in html
    assert ">nights_partner_coarse<" not in html


def test_the_pdf_evidence_listing_says_each_item_whole() -> None:
    """The PDF cut each summary at 70 characters ("(isolatio", "this pla"): it now says it whole, under a line
    with its grade, weight, kind in words and agencies."""
    summary = ("isolated place, and his circle spends nights or is seen here (isolation adds weight to that evidence, "
               "never replaces it)")
    ev = [{"kind": "isolated_presence", "summary": summary, "weight": 1.39, "event_ids": [], "source_ids": []}]
    text = "\n".join(t for _, t in R.pdf_blocks(make_ctx(locate={"hypotheses": [hyp(1, 0.5, "x", evidence=ev)]})))
    assert "#1 –    +1.39  isolated place in use · –" in text
    assert summary in text


def test_plans_aerial_tasks_are_in_the_product_and_a_confirm_task_is_judged_before_the_next_tracking() -> None:
    """plan's imagery tasks were in the CLI only. The product lists them under the collection plan, and a
    task to confirm the leading place before acting on it is a key judgment ahead of the next tracking."""
    why = ("it leads (81%) but is held below 0.85 (only one source type "
           "(GEOINT) supports it and nobody saw him there); daytime low-altitude passes (plates readable) on two "
           "days or more would show whether it is lived in and by whose vehicles (no vehicle seen parked here yet); "
           "a sighting of him there lifts every hold, an empty or unrelated house says the answer is wrong")
    plan = dict(make_ctx()["plan"], imagery=[
        {"lat": 19.95, "lon": -103.75, "radius_m": 300, "area_km2": 0.3, "kind": "confirm", "why": why},
        {"lat": 20.1, "lon": -103.9, "radius_m": 12000, "area_km2": 450.0, "kind": "coverage hole",
         "why": "4 of his partner's 5 silent nights are explained by this coverage hole"}])
    ctx = make_ctx(plan=plan)
    kinds = [(k["kind"], k["text"]) for k in R.key_judgments(ctx)]
    first_plan = [t for k, t in kinds if k == "plan"]
    assert first_plan[0] == ("Before anyone acts on the first place, confirm it from the air: it leads (81%) "
                             "but is held below 0.85 (only one source type (GEOINT) supports it and nobody saw him "
                             "there); daytime low-altitude passes (plates readable) on two days or more would show "
                             "whether it is lived in and by whose vehicles (no vehicle seen parked here yet).")
    assert first_plan[1].startswith("Monitoring +523312345678")
    html = R.render_report(ctx, figures={})
    assert "<td>confirm the leading place</td><td class=\"num\">19.9500, -103.7500 within 0.3 km</td>" in html
    assert "<td>look inside a coverage hole</td><td class=\"num\">20.1000, -103.9000 within 12.0 km</td>" in html
    pdf = "\n".join(text for _, text in R.pdf_blocks(ctx))
    assert "Aerial task (confirm the leading place): 19.9500, -103.7500 within 0.3 km — it leads (81%)" in pdf
    assert not [k for k in R.key_judgments(make_ctx()) if "from the air" in k["text"]]  # no task, no judgment


def test_alternatives_at_almost_no_chance_are_left_to_the_table() -> None:
    """The demo's product judged "There is almost no chance (<1%) that he is instead at …" twice: noise beside
    the judgments that matter. An alternative is judged from 5% ("very unlikely") up; the table lists all."""
    loc = dict(make_ctx()["locate"])
    loc["hypotheses"] = [*loc["hypotheses"], hyp(3, 0.004, "ranch")]
    ctx = make_ctx(locate=loc)
    alts = [k["text"] for k in R.key_judgments(ctx) if k["kind"] == "alternative"]
    assert len(alts) == 2 and "town house" in alts[0] and "somewhere other than the 3 places" in alts[1], alts
    assert "ranch" in R.render_report(ctx, figures={})  # still in the hypotheses table


def test_the_elsewhere_judgment_says_where_her_unexplained_silent_trips_point() -> None:
    """locate gave most of the probability to "elsewhere" because her silent trips point at a coverage hole no
    listed place lies in (session 26): the judgment says where they point, so the analyst reads "somewhere
    other" as "the hole at X", not as "nowhere we know"."""
    loc = {"hypotheses": [hyp(1, 0.34, "remote site")], "unexplained_silent_trips": 2.1,
           "blind_spots": [{"lat": 20.3883, "lon": -103.5723, "radius_m": 12200, "area_km2": 470.0,
                            "silent_nights": 7, "of_silent_nights": 7, "last_night": "2026-02-23T07:00-06:00"}]}
    texts = [k["text"] for k in R.key_judgments(make_ctx(locate=loc))]
    assert ("It is likely (66%) that he is somewhere other than the 1 place in the hypotheses table. His partner's "
            "silent trips, which none of the listed places explains, point at a coverage hole around 20.3883, "
            "-103.5723 (within 12 km; 7 of her 7 silent nights).") in texts, texts
    loc["unexplained_silent_trips"] = 0.0  # trips the listed places explain: the hole is the table's, not this line's
    assert not [t for t in (k["text"] for k in R.key_judgments(make_ctx(locate=loc))) if "coverage hole" in t]


def test_when_elsewhere_leads_the_plan_judgment_sends_the_aerial_pass_to_the_hole_first() -> None:
    """Her unexplained silent trips leave the first place at 34% and elsewhere at 66%: the first aerial task a
    key judgment names is plan's pass over the coverage hole, before the confirm pass over the 34% place."""
    loc = {"hypotheses": [hyp(1, 0.34, "remote site")], "unexplained_silent_trips": 2.1, "blind_spots": []}
    imagery = [{"kind": "confirm", "lat": 20.83, "lon": -103.08, "radius_m": 75, "why": "it leads (34%)"},
               {"kind": "coverage hole", "lat": 20.322, "lon": -103.6201, "radius_m": 12200,
                "why": "7 of his partner's 7 silent nights are explained by this coverage hole"}]
    ctx = make_ctx(locate=loc, plan=dict(make_ctx()["plan"], imagery=imagery))
    plans = [k["text"] for k in R.key_judgments(ctx) if k["kind"] == "plan"]
    assert plans[0] == ("The likeliest answer is none of the listed places, so the aerial pass over the coverage hole "
                        "at 20.3220, -103.6201 within 12.2 km comes first: 7 of his partner's 7 silent nights are "
                        "explained by this coverage hole."), plans
    assert plans[1].startswith("Before anyone acts on the first place, confirm it from the air"), plans
    loc["hypotheses"] = [hyp(1, 0.6, "remote site")]  # the first place outweighs elsewhere: no such judgment
    assert not [k for k in R.key_judgments(ctx) if "none of the listed places" in k["text"]]
