"""Court-record style data: calls plus surveillance sightings. A sighting of several subjects at one place
and time is a meeting (once `meetings` found 0 of 456 such meetings in real court records)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from casefolder import CaseFolder, at
from fusioncell.cli import app
from fusioncell.spacetime.report import meetings_report
from fusioncell.store import open_case

BAR = (38.1157, 13.3615)  # a café in Palermo
PEOPLE = ["person-boss", "person-consigliere", "person-soldier", "person-passerby"]


def _court_case(tmp_path: Path) -> Path:
    c = CaseFolder(target="person-boss")
    c.source("cdr", "SIGINT")
    c.source("police", "HUMINT", "A")
    for p in PEOPLE[1:]:
        c.person(p)
    c.call("+393331110001", "+393331110002", at(0, 10.0))
    # day 3, 18:00: boss, consigliere and soldier logged entering the café within five minutes
    for k, p in enumerate(PEOPLE[:3]):
        c.sighting(p, at(3, 18.0 + k / 30), BAR[0] + 0.0001 * k, BAR[1], 0.9, "osservazione", source_id="police")
    # the same evening a passer-by is logged 2 km away; the soldier alone at home on day 5
    c.sighting("person-passerby", at(3, 18.05), BAR[0] + 0.018, BAR[1], 0.9, source_id="police")
    c.sighting("person-soldier", at(5, 9.0), BAR[0] - 0.01, BAR[1], 0.9, source_id="police")
    return c.write(tmp_path / "case")


def test_subjects_seen_together_are_a_meeting_and_others_are_not(tmp_path: Path) -> None:
    with open_case(_court_case(tmp_path)) as cs:
        r = meetings_report(cs, None)
    seen = {(m["id_a"], m["id_b"]) for m in r["meetings"] if m["source"] == "sighting"}
    assert seen == {("person-boss", "person-consigliere"), ("person-boss", "person-soldier"),
                    ("person-consigliere", "person-soldier")}
    m = next(m for m in r["meetings"] if m["id_b"] == "person-consigliere")
    assert abs(m["p"] - 0.81) < 1e-9  # both observations right: 0.9 x 0.9
    assert r["by_source"]["sighting"] == 3


def test_the_cli_lists_sighted_meetings_with_their_source(tmp_path: Path) -> None:
    case = _court_case(tmp_path)
    out = CliRunner().invoke(app, ["meetings", str(case), "--format", "json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.stdout)
    assert d["n_meetings"] == 3 and {m["source"] for m in d["meetings"]} == {"sighting"}
    text = CliRunner().invoke(app, ["meetings", str(case), "--format", "text"]).stdout
    assert "3 seen directly" in text and "[sighting]" in text


def test_observed_meetings_feed_the_network_and_say_so(tmp_path: Path) -> None:
    """The boss phones nobody, but is seen with two men: the meetings layer makes him a key player,
    and the calls layer alone does not see him."""
    case = _court_case(tmp_path)
    both = json.loads(CliRunner().invoke(app, ["network", str(case), "--format", "json"]).stdout)
    top = {p["person"] or p["identifier"]: p for p in both["key_players"]}
    assert "person-boss" in top and "meetings" in top["person-boss"]["layers"]
    calls = CliRunner().invoke(app, ["network", str(case), "--format", "json", "--layers", "calls"])
    assert "person-boss" not in calls.stdout
    bad = CliRunner().invoke(app, ["network", str(case), "--layers", "rumours"])
    assert bad.exit_code != 0 and "unknown layer" in str(bad.exception or bad.output)
