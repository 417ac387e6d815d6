"""``fusioncell network --focus`` reads the ties of the focus's neighbourhood only (net9, issue #13).

The CLI must not build the whole-case ties table (``net_ties_person``) for a
focused question, and its JSON must equal the answer read from that table:
the reference below is the same report with the neighbourhood replaced by the
whole-case table and a breadth-first search on it in Python.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_network_factory import at
from test_network_hood import chain_and_hotline
from typer.testing import CliRunner

import fusioncell.network.report as report_mod
from fusioncell.cli import app
from fusioncell.network import ties as T
from fusioncell.network.hood import HoodTies, hub_nodes_sql
from fusioncell.network.report import network_report
from fusioncell.store import CaseStore


def _whole_around(store: CaseStore, seeds: list[str], hops: int = 2, table: str = "_ref") -> HoodTies:
    """The reference neighbourhood: the cached whole-case table itself, nodes by a BFS in Python."""
    from fusioncell.network.api import resolve_focus

    T.build_ties(store, "person")
    adj: dict[str, set[str]] = {}
    for a, b in store.con.execute("SELECT a, b FROM net_ties_person").fetchall():
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    ball = frontier = {resolve_focus(store, s) for s in seeds}
    for _ in range(hops):
        frontier = {y for x in frontier for y in adj.get(x, ())} - ball
        ball = ball | frontier
    nodes = sorted(ball)
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_hubs AS SELECT * FROM "
                      f"({hub_nodes_sql('net_ties_person', None)}) WHERE list_contains(?, node)", [nodes])
    return HoodTies("net_ties_person", nodes, "person", 0, True, f"{table}_hubs")


def _tables(path: Path) -> set[str]:
    with CaseStore.open(path) as s:
        return {r[0] for r in s.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _cli(store: Path, focus: str, *extra: str) -> dict:
    res = CliRunner().invoke(app, ["network", str(store), "--focus", focus, "--format", "json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def sim_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fusioncell.ingest.pipeline import ingest_case
    from fusioncell.sim import simulate

    root = tmp_path_factory.mktemp("simnet")
    simulate(root / "case", seed=7, scale=300, days=10, difficulty="normal", track=None)
    with CaseStore.open(root / "case.duckdb") as s:
        ingest_case(root / "case", s)
    return root / "case.duckdb"


def test_focused_cli_builds_no_whole_case_table_and_answers_as_it(sim_store: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with CaseStore.open(sim_store) as s:  # the busiest caller and a quiet one
        busy = s.con.execute("SELECT caller FROM comms GROUP BY caller ORDER BY count(*) DESC, caller LIMIT 1").fetchone()[0]
        quiet = s.con.execute("SELECT caller FROM comms GROUP BY caller ORDER BY count(*), caller LIMIT 1").fetchone()[0]
    got = {(f, h): _cli(sim_store, f, "--hops", str(h)) for f in (busy, quiet) for h in (1, 2)}
    assert "net_ties_person" not in _tables(sim_store)
    assert all(g["close_circle"] and g["key_players"] for g in got.values())
    monkeypatch.setattr(report_mod, "around", _whole_around)
    for (f, h), g in got.items():
        assert _cli(sim_store, f, "--hops", str(h)) == g, (f, h)
    assert "net_ties_person" in _tables(sim_store)  # the reference did build it


def test_an_analyst_merge_changes_the_focused_answer(sim_store: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # merging the focus's strongest contact into the focus's person: that contact leaves the close circle
    # (one node now) and its ties become the focus's; the neighbourhood answer follows, equal to the whole table's
    import shutil

    from fusioncell.resolve.decisions import merge

    path = tmp_path / "case.duckdb"
    shutil.copy(sim_store, path)
    with CaseStore.open(path) as s:
        focus = s.con.execute("SELECT caller FROM comms GROUP BY caller ORDER BY count(*) DESC, caller "
                              "LIMIT 1").fetchone()[0]
        before = network_report(s, focus=focus, hops=2)
        top = before["close_circle"][0]["identifier"]
        merge(s, [top], focus, analyst="a", reason="one handset pair")
        after = network_report(s, focus=focus, hops=2)
        assert top not in {c["identifier"] for c in after["close_circle"]}
        assert after["close_circle"] != before["close_circle"]
        monkeypatch.setattr(report_mod, "around", _whole_around)
        assert network_report(s, focus=focus, hops=2) == after


@pytest.mark.parametrize("hops", [1, 2])
def test_hubs_of_the_neighbourhood_as_on_the_whole_case(hops: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # a chain x-y-z-w; a hotline called by 260 phones, y among them (262 contacts >= 200 and >= 20 x median 1):
    # a hub one hop from y; two hops from x (at the neighbourhood's edge, whose ties outside are not read)
    c, (x, y, z, w, hot) = chain_and_hotline()
    for i in range(260):
        c.call(f"+5233200{i:05d}", hot, at(i % 7, 9.0 + (i % 8)), 20)
    c.call(y, hot, at(3, 12.0), 15)
    s = c.store()
    got = network_report(s, focus=x, hops=hops)
    assert got["hubs"] == ([{"identifier": hot, "contacts": 261}] if hops == 2 else [])
    assert "net_ties_person" not in {r[0] for r in s.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    monkeypatch.setattr(report_mod, "around", _whole_around)
    assert network_report(s, focus=x, hops=hops) == got


def test_the_workbench_expand_view_reads_one_hop_and_equals_the_whole_case_ties() -> None:
    # the workbench's "expand": a node's strongest ties and their other ends, from its own ties only
    from test_network_factory import scenario

    from fusioncell.network.ties import build_ties
    from fusioncell.resolve import persons_table
    from fusioncell.server.views import MAX_NEIGHBOURS, neighbours_view

    s = scenario().store()
    persons_table(s)
    nodes = [r[0] for r in s.con.execute("SELECT DISTINCT person FROM attributions ORDER BY 1").fetchall()]
    views = {n: neighbours_view(s, n) for n in nodes}
    assert "net_ties_person" not in {r[0] for r in s.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    build_ties(s, "person")
    for n, v in views.items():
        want = s.con.execute("SELECT a, b, round(strength, 4) FROM net_ties_person WHERE a = ? OR b = ? "
                             "ORDER BY strength DESC, CASE WHEN a = ? THEN b ELSE a END LIMIT ?",
                             [n, n, n, MAX_NEIGHBOURS]).fetchall()
        assert sorted((e["source"], e["target"], e["strength"]) for e in v.edges) == sorted(want), n
        assert [x["id"] for x in v.nodes] == [n, *(b if a == n else a for a, b, _ in want)]
