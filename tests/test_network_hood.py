"""Ties built for a neighbourhood only (network/hood.py) equal the whole-graph ties cut to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_network_factory import Case, at, scenario

from fusioncell.network import ties as T
from fusioncell.network.hood import ties_around
from fusioncell.resolve import persons_table
from fusioncell.store import CaseStore


def _rows(store: CaseStore, sql: str) -> list[tuple]:
    return sorted(store.con.execute(sql).fetchall(), key=repr)


def _whole_cut(store: CaseStore, level: str, seeds: list[str] | dict[str, int],
               hops: int) -> tuple[list[str], list[tuple]]:
    """The reference: the whole-graph table, breadth-first from the seeds in Python, cut to the nodes reached."""
    T.build_ties(store, level)
    table = T.TABLES[level]
    pairs = store.con.execute(f"SELECT a, b FROM {table}").fetchall()
    adj: dict[str, set[str]] = {}
    for a, b in pairs:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    want = dict(seeds) if isinstance(seeds, dict) else {f: hops for f in seeds}
    seen: set[str] = set()
    for f, k in want.items():  # each focus on its own: the union of the balls
        ball, frontier = {f}, {f}
        for _ in range(k):
            frontier = {y for x in frontier for y in adj.get(x, ())} - ball
            ball |= frontier
        seen |= ball
    cols = [r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "run_id"]
    nodes = sorted(seen)
    rows = _rows(store, f"SELECT {', '.join(cols)} FROM {table} WHERE a IN (SELECT unnest(?::VARCHAR[])) "
                        f"AND b IN (SELECT unnest(?::VARCHAR[]))".replace("?", f"{nodes!r}".replace('"', "'")))
    return nodes, rows


def _same(store: CaseStore, level: str, seeds: list[str] | dict[str, int], hops: int = 0) -> int:
    nodes, want = _whole_cut(store, level, seeds, hops)
    h = ties_around(store, seeds, hops=hops, level=level)
    cols = [r[0] for r in store.con.execute(f"DESCRIBE {h.table}").fetchall() if r[0] != "run_id"]
    got = _rows(store, f"SELECT {', '.join(cols)} FROM {h.table}")
    assert h.nodes == nodes
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == pytest.approx(w) if all(isinstance(x, float) for x in g if x is not None) else g == w
    return h.rounds


def chain_and_hotline() -> tuple[Case, tuple[str, str, str, str, str]]:
    """A chain x-y-z-w of daily calls, and the number of a hotline nobody has called yet."""
    c = Case()
    x, y, z, w, hot = "+523310000001", "+523310000002", "+523310000003", "+523310000004", "+523319999999"
    for d in range(6):
        c.call(x, y, at(d, 23.0), 300)
        c.call(y, z, at(d, 10.0), 60)
        c.call(z, w, at(d, 14.0), 30)
    return c, (x, y, z, w, hot)


@pytest.mark.parametrize("busy", [False, True])
def test_hubs_as_on_the_whole_graph(busy: bool) -> None:
    # a chain x-y-z-w plus a hotline called by 260 phones, x and y among them. Alone, the callers have one
    # contact each: the median is 1 and the hotline (262 contacts >= 200 and >= 20 x 1) is a hub. When
    # every caller also calls its 8 next callers (busy: 17 contacts each, median 17, 20 x 17 > 262) it is
    # not. One hop from x the neighbourhood's own pairs would give the callers 1 contact in both cases:
    # the case's median must come from all calls.
    c, (x, y, z, w, hot) = chain_and_hotline()
    callers = [f"+5233200{i:05d}" for i in range(260)]
    for i, p in enumerate(callers):
        c.call(p, hot, at(i % 7, 9.0 + (i % 8)), 20)
        if busy:
            for j in range(1, 9):
                c.call(p, callers[(i + j) % 260], at(j % 7, 12.0), 30)
    c.call(x, hot, at(2, 11.0), 15)
    c.call(y, hot, at(3, 12.0), 15)
    s = c.store()
    _same(s, "identifier", [x], 1)
    row = s.con.execute("SELECT hub FROM _net_ties_hood WHERE b = ? OR a = ?", [hot, hot]).fetchall()
    assert len(row) == 2 and all(r[0] is (not busy) for r in row)


def _claim_case() -> tuple[CaseStore, tuple[str, ...]]:
    """x calls y; an informant says x is v's partner; v calls u, u calls t."""
    c = Case()
    x, y, v, u, t = (f"+52331000010{i}" for i in range(5))
    for d in range(3):
        c.call(x, y, at(d, 20.0), 120)
        c.call(v, u, at(d, 21.0), 200)
        c.call(u, t, at(d, 9.0), 40)
    c.claim(x, "partner_of", v)
    return c.store(), (x, y, v, u, t)


def test_a_claim_widens_the_neighbourhood() -> None:
    # x calls y; an informant says x is v's partner; v calls u, u calls t. Two hops from x: y, v (the claim)
    # and u (v's calls). The calls alone reach y only: the claim brings v (round 2 takes v's calls), whose
    # call brings u (round 3 takes u's calls, so the u-v tie's node figures are whole); t is three hops away.
    s, (x, y, v, u, t) = _claim_case()
    assert _same(s, "identifier", [x], 2) == 3
    assert ties_around(s, [x], hops=2).nodes == sorted([x, y, v, u])
    # foci with their own hops: two around x and one around t (u, t); none around t (t alone)
    _same(s, "identifier", {x: 2, t: 1})
    assert ties_around(s, {x: 2, t: 1}).nodes == sorted([x, y, v, u, t])
    assert ties_around(s, {x: 1, t: 0}).nodes == sorted([x, y, v, t])


def test_person_level_scenario_identical_to_whole_graph() -> None:
    # the hand-written scenario: persons with two phones, aliases, claims, meetings
    s = scenario().store()
    persons_table(s)
    for p in [r[0] for r in s.con.execute("SELECT DISTINCT person FROM attributions ORDER BY 1").fetchall()]:
        for hops in (1, 2):
            _same(s, "person", [p], hops)
    _same(s, "identifier", [r[0] for r in s.con.execute("SELECT caller FROM comms LIMIT 1").fetchall()], 2)


def test_simulated_case_identical_to_whole_graph(tmp_path: Path) -> None:
    from fusioncell.ingest.pipeline import ingest_case
    from fusioncell.sim import simulate

    simulate(tmp_path / "case", seed=5, scale=300, days=10, difficulty="normal", track=None)
    s = CaseStore.open(tmp_path / "case.duckdb")
    ingest_case(tmp_path / "case", s)
    foci = [r[0] for r in s.con.execute(
        "SELECT caller FROM comms GROUP BY caller ORDER BY count(*) DESC, caller LIMIT 3").fetchall()]
    _same(s, "identifier", foci, 2)
    persons_table(s)
    persons = [r[0] for r in s.con.execute("SELECT DISTINCT person FROM attributions ORDER BY 1 LIMIT 2").fetchall()]
    _same(s, "person", persons, 2)


def test_rounds_that_do_not_settle_fall_back_to_the_whole_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    # the claim case needs three rounds; allowed one, the answer comes from the whole-graph table, cut the same
    import fusioncell.network.hood as hood

    s, (x, y, v, u, t) = _claim_case()
    monkeypatch.setattr(hood, "MAX_ROUNDS", 1)
    h = ties_around(s, [x], hops=2)
    assert h.whole_graph and h.nodes == sorted([x, y, v, u])
    _same(s, "identifier", [x], 2)
