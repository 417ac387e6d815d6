"""Listings mask bystanders by default; locate and plan never mask (issue 7).

Premise, read off examples/op-tapalpa by hand: +52 33 1111 2222 appears only
in comms.csv, twice, both times with La Güera's phone (+523312345678). It is
in no entity, no location, no sighting and no report: by the pertinence rule
(fewer than 3 events with the investigated circle) it is a bystander. The
focus person-target's close circle (partner, lieutenant, courier) are
reference entities, hence pertinent.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.security.minimise import PSEUDONYM_RE

from conftest import EXAMPLE

BYSTANDER = "+523311112222"
PARTNER_PHONE = "+523312345678"


def _run(args: list[str], code: int = 0) -> str:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == code, (res.output, res.exception)
    return res.stdout


def test_premise_the_bystander_is_in_two_calls_and_nowhere_else() -> None:
    hits = {}
    for f in EXAMPLE.iterdir():
        if f.is_file():
            lines = f.read_text(encoding="utf-8").splitlines()
            hits[f.name] = sum("3311112222" in re.sub(r"\D", "", line) for line in lines)
    assert hits.pop("comms.csv") == 2
    assert set(hits.values()) == {0}


def test_network_masks_the_bystander_keeps_the_close_circle_and_unmask_reveals_it(store_file: Path) -> None:
    s = str(store_file)
    args = ["network", s, "--focus", "person-target", "--format", "json"]
    out = _run(args)
    d = json.loads(out)
    assert BYSTANDER not in out
    pseudonyms = set(PSEUDONYM_RE.findall(out))
    assert pseudonyms and all(p.startswith("masked:phone-") for p in pseudonyms)
    # the focus and its close circle (pertinent) appear as themselves
    assert d["focus"] == "person-target"
    circle = {c["identifier"] for c in d["close_circle"]}
    assert PARTNER_PHONE in circle
    assert not any(PSEUDONYM_RE.fullmatch(i) for i in circle)
    # stable: the same pseudonym on a second run (and in the text listing)
    assert set(PSEUDONYM_RE.findall(_run(args))) == pseudonyms
    text = _run(["network", s, "--focus", "person-target", "--format", "text"])
    assert BYSTANDER not in text and pseudonyms & set(PSEUDONYM_RE.findall(text))

    # unmask one pseudonym: it names the bystander (the only other one is +52 33 5555 0101)
    revealed = {_run(["unmask", s, p, "--reason", "relay for the courier"]).strip() for p in pseudonyms}
    assert BYSTANDER in revealed
    after = _run(args)
    assert BYSTANDER in after and not PSEUDONYM_RE.search(after)


def test_the_focus_itself_is_never_masked(store_file: Path) -> None:
    d = json.loads(_run(["network", str(store_file), "--focus", BYSTANDER, "--hops", "1", "--format", "json"]))
    assert d["focus"] == BYSTANDER
    members = [m for c in d["communities"] for m in c["members"]]
    assert BYSTANDER in members


def test_graph_files_are_masked_too(store_file: Path, tmp_path: Path) -> None:
    g, x = tmp_path / "g.graphml", tmp_path / "g.gexf"
    _run(["network", str(store_file), "--format", "json", "--graphml", str(g), "--gexf", str(x)])
    for f in (g, x):
        body = f.read_text(encoding="utf-8")
        assert BYSTANDER not in body and PSEUDONYM_RE.search(body), f.name
        assert PARTNER_PHONE in body


def test_locate_and_plan_do_not_minimise_bystanders_but_mask_protected_people(store_file: Path) -> None:
    """Bystanders stay in clear where an analyst tasks collection; a person the owner marked protected does
    not (issue: a protected person never leaks, not even in the owner's own output, until unmasked)."""
    from fusioncell.security.minimise import protect
    from fusioncell.store import CaseStore

    s = str(store_file)
    plan0 = json.loads(_run(["plan", s, "--budget", "2"]))
    first = plan0["recommendations"][0]["identifier"]
    assert "masked:" not in json.dumps(plan0)  # nothing protected yet: nothing masked
    with CaseStore.open(store_file) as cs:
        protect(cs, first, "test: a cooperating witness")
    plan = _run(["plan", s, "--budget", "2"])
    assert first not in plan and PSEUDONYM_RE.search(plan)
    loc = _run(["locate", s, "--top", "5"])
    assert first not in loc
    # while the network listing masks them too (protected beats pertinent, except targets)
    net = _run(["network", s, "--format", "json"])
    assert first not in net


# -- pattern and meetings: a protected tracked phone on a small store ----------------

D0 = datetime(2026, 1, 6, 11, 0, tzinfo=timezone.utc)
A, B = "+523311110000", "+523399998888"


@pytest.fixture()
def pair_store(tmp_path: Path) -> Path:
    from fusioncell.security.minimise import protect
    from fusioncell.spacetime.synth import StoreBuilder

    path = tmp_path / "pair.duckdb"
    b = StoreBuilder(path=path)
    for day in range(5):
        s = D0 + timedelta(days=day)
        b.dwell(A, s, 8, 20.0, -103.0, seed=day)
        b.dwell(A, s + timedelta(hours=10), 3, 20.3, -103.4, seed=day)
        b.dwell(B, s + timedelta(hours=10, minutes=5), 3, 20.3002, -103.4, seed=day)
    for ident in (A, B):
        b.store.con.execute("INSERT INTO identifiers (identifier, scheme) VALUES (?, 'phone')", [ident])
    protect(b.store, B, "test: a protected person")  # tracked, hence pertinent, but protected
    b.store.close()
    return path


def test_pattern_and_meetings_mask_a_protected_contact_even_when_the_analyst_names_her(pair_store: Path) -> None:
    s = str(pair_store)
    pat = _run(["pattern", s, "--id", A, "--format", "json"])
    d = json.loads(pat)
    assert d["identifier"] == A
    assert B not in pat
    masked_b = {m["with"] for m in d["meetings"]}
    assert len(masked_b) == 1 and PSEUDONYM_RE.fullmatch(next(iter(masked_b)))
    assert B not in _run(["pattern", s, "--id", A])

    meet = _run(["meetings", s, "--format", "json"])
    pairs = {(m["id_a"], m["id_b"]) for m in json.loads(meet)["meetings"]}
    assert pairs and B not in meet and all(A in p for p in pairs)
    assert B not in _run(["meetings", s])
    # identifiers the analyst names are shown as named — but a protected one stays masked (issue #15: only
    # `unmask` with a reason shows her), also when typed in national format
    named = _run(["meetings", s, "--ids", f"{A},{B}", "--format", "json"])
    assert {(m["id_a"], m["id_b"]) for m in json.loads(named)["meetings"]} == {(A, *masked_b)}
    named = _run(["meetings", s, "--ids", "33 1111 0000,33 9999 8888", "--format", "json"])
    assert {(m["id_a"], m["id_b"]) for m in json.loads(named)["meetings"]} == {(A, *masked_b)}
    assert "9999 8888" not in named and B not in named
    # after an unmask, in clear everywhere
    _run(["unmask", s, B, "--reason", "deconfliction"])
    assert any(m["with"] == B for m in json.loads(_run(["pattern", s, "--id", A, "--format", "json"]))["meetings"])
