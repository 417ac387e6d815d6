"""Burner-succession SQL against a brute-force reference (the join order must not change answers).

``resolve/burner.py`` is written for speed: the grid-cell overlap is computed
from the candidate pairs' own cells, never from all handsets sharing a cell
(the plan the optimiser chose before, 175 M rows on a medium case). This file
re-derives every pair, feature and score with plain Python loops over the
store's records, straight from the definitions in the module docstring and
:class:`BurnerParams`, and requires the table to agree on a small simulated
case and on the factory scenario.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_network_factory import L_NEW, L_OLD, Y, Z_NEW, Z_OLD, scenario

from fusioncell.resolve.burner import TABLE, BurnerParams, build_burner_pairs
from fusioncell.store import CaseStore


@dataclass(frozen=True, slots=True)
class RefPair:
    """One reference pair: the features ``burner_pairs`` stores."""

    old: str
    new: str
    score: float
    jaccard: float
    contain_new: float
    contain_old: float
    n_shared: int
    coloc: float | None
    gap_days: float
    contacted: bool


def _shares(counts: dict[str, Counter[Any]]) -> dict[str, dict[Any, float]]:
    return {k: {o: n / sum(c.values()) for o, n in c.items()} for k, c in counts.items()}


def reference_pairs(store: CaseStore, p: BurnerParams) -> dict[tuple[str, str], RefPair]:
    """Burner pairs by the definitions, one record and one pair at a time."""
    comms = store.con.execute("SELECT caller, callee, start, caller_lat, caller_lon, callee_lat, callee_lon FROM comms").fetchall()
    fixes = store.con.execute("SELECT identifier, lat, lon FROM locations").fetchall()
    t0, t1 = min(r[2] for r in comms), max(r[2] for r in comms)
    times: dict[str, list[Any]] = defaultdict(list)
    contacts: dict[str, Counter[str]] = defaultdict(Counter)
    cells: dict[str, Counter[Any]] = defaultdict(Counter)

    def cell(lat: float | None, lon: float | None) -> int | None:
        if lat is None or lon is None:
            return None
        return math.floor(lat / p.cell_deg) * 100000 + math.floor(lon / p.cell_deg)

    for a, b, start, alat, alon, blat, blon in comms:
        if a == b:
            continue
        for me, other, lat, lon in ((a, b, alat, alon), (b, a, blat, blon)):
            times[me].append(start)
            contacts[me][other] += 1
            if lat is not None and lon is not None:
                cells[me][cell(lat, lon)] += 1
    for ident, lat, lon in fixes:
        cells[ident][cell(lat, lon)] += 1
    cw, cellw = _shares(contacts), _shares(cells)
    degree = Counter(o for c in contacts.values() for o in c)
    silence = timedelta(days=p.min_silence_days)
    active = {i for i, ts in times.items() if len(ts) >= p.min_events}
    olds = [i for i in active if max(times[i]) <= t1 - silence]
    news = [i for i in active if min(times[i]) >= t0 + silence]
    cand: list[RefPair] = []
    for o in olds:
        o_first, o_last = min(times[o]), max(times[o])
        for n in news:
            n_first = min(times[n])
            if n == o or not (o_last - timedelta(days=p.max_overlap_days) <= n_first
                              <= o_last + timedelta(days=p.max_gap_days)) or n_first <= o_first:
                continue
            shared = [c for c in cw[o] if c in cw[n] and degree[c] <= p.max_contact_degree]
            exclusive = p.exclusive_line and len(shared) == 1 and len(cw[o]) == 1 and len(cw[n]) == 1
            if len(shared) < p.min_shared and not exclusive:
                continue
            wmin = sum(min(cw[o][c], cw[n][c]) for c in shared)
            coloc = None
            if o in cellw and n in cellw:
                cmin = sum(min(w, cellw[n][k]) for k, w in cellw[o].items() if k is not None and k in cellw[n])
                coloc = cmin / (2.0 - cmin)
            gap = max((n_first - o_last).total_seconds(), 0.0) / 86400.0
            contacted = n in cw[o]
            jac = wmin / (2.0 - wmin)
            contain, contain_old = sum(cw[n][c] for c in shared), sum(cw[o][c] for c in shared)
            z = (p.b0 + p.bj * jac + p.bk * max(contain, contain_old) + p.bs * math.log(len(shared))
                 + p.bc * (0.3 if coloc is None else coloc) - p.bg * gap - p.bx * int(contacted))
            cand.append(RefPair(o, n, 1.0 / (1.0 + math.exp(-z)), jac, contain, contain_old, len(shared), coloc, gap,
                                contacted))
    best_old: dict[str, RefPair] = {}
    best_new: dict[str, RefPair] = {}
    for c in sorted(cand, key=lambda c: (-c.score, c.new)):  # best first, ties to the smaller id
        best_old.setdefault(c.old, c)
    for c in sorted(cand, key=lambda c: (-c.score, c.old)):
        best_new.setdefault(c.new, c)
    return {(c.old, c.new): c for c in cand
            if best_old[c.old] is c and best_new[c.new] is c and c.score >= p.min_score}


def table_pairs(store: CaseStore, p: BurnerParams) -> dict[tuple[str, str], RefPair]:
    build_burner_pairs(store, p)
    rows = store.con.execute(
        f"SELECT old, new, score, jaccard, contain_new, contain_old, n_shared, coloc, gap_days, contacted FROM {TABLE}"
    ).fetchall()
    return {(r[0], r[1]): RefPair(*r) for r in rows}


def assert_same(got: dict[tuple[str, str], RefPair], want: dict[tuple[str, str], RefPair]) -> None:
    assert sorted(got) == sorted(want)
    for key, w in want.items():
        g = got[key]
        assert (g.n_shared, g.contacted) == (w.n_shared, w.contacted), key
        for f in ("score", "jaccard", "contain_new", "contain_old", "gap_days"):
            assert getattr(g, f) == pytest.approx(getattr(w, f), abs=1e-9), (key, f)
        assert (g.coloc is None) == (w.coloc is None), key
        if w.coloc is not None:
            assert g.coloc == pytest.approx(w.coloc, abs=1e-9), key


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small hard simulated case: three burner switches and three civilian SIM changes."""
    from fusioncell.ingest import ingest_case
    from fusioncell.sim import simulate

    root = tmp_path_factory.mktemp("burner")
    simulate(root / "case", seed=21, scale=300, days=10, difficulty="hard", track=None)
    path = root / "case.duckdb"
    with CaseStore.open(path, folder=root / "case") as cs:
        ingest_case(root / "case", cs, quiet=True)
    return path


def test_burner_table_equals_the_brute_force_reference_on_a_simulated_case(small_case: Path) -> None:
    with CaseStore.open(small_case) as s:
        want = reference_pairs(s, BurnerParams())
        assert len(want) >= 3  # the three burner switches at least: the comparison is not vacuous
        assert_same(table_pairs(s, BurnerParams()), want)


def test_the_simulated_case_reads_the_activity_ingest_wrote(small_case: Path) -> None:
    """The two reference tests above run on the activity merged from ingest's ``comms_activity`` (net14),
    and it equals grouping every record."""
    from fusioncell.resolve.activity import covered
    from fusioncell.store import plans

    with CaseStore.open(small_case) as s:
        assert covered(s)
        plans.materialise(s, "_t_a", "resolve.activity", run_id="t", temp=True)
        plans.materialise(s, "_t_b", "resolve.activity_delivered", run_id="t", temp=True)
        diff = "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {})"
        assert s.con.execute(diff.format("_t_a", "_t_b")).fetchone() == (0,)
        assert s.con.execute(diff.format("_t_b", "_t_a")).fetchone() == (0,)
        assert s.con.execute("SELECT count(*) FROM _t_b").fetchone()[0] > 100


def test_burner_table_equals_the_reference_with_every_threshold_loosened(small_case: Path) -> None:
    # hubs kept, one shared contact, no silence, wide windows, any score: many more pairs,
    # handsets without positions (coloc None) and partial cell overlaps all take part
    p = BurnerParams(min_score=0.0, min_shared=1, min_events=1, max_contact_degree=100_000,
                     max_gap_days=30.0, max_overlap_days=10.0, min_silence_days=0.0, cell_deg=0.05)
    with CaseStore.open(small_case) as s:
        want = reference_pairs(s, p)
        assert len(want) > 5 * len(reference_pairs(s, BurnerParams()))
        assert any(w.coloc is None for w in want.values())
        assert any(w.coloc is not None and 0.0 < w.coloc < 1.0 for w in want.values())
        assert_same(table_pairs(s, p), want)


def test_the_reference_finds_the_factory_burner() -> None:
    s = scenario().store()
    want = reference_pairs(s, BurnerParams())
    assert (L_OLD, L_NEW) in want  # the reference itself reads the scenario as test_resolve does
    assert_same(table_pairs(s, BurnerParams()), want)


def _handover(start_after_last: timedelta) -> tuple[CaseStore, str, str]:
    """An old phone calls five friends for ten days; a new one calls them from ``start_after_last`` after
    the old one's last call (negative: before it)."""
    from test_network_factory import Case, at

    c = Case()
    old, new = "+523319990001", "+523319990002"
    friends = [f"+5233199900{i:02d}" for i in range(10, 15)]
    for d in range(10):
        for j, f in enumerate(friends):
            c.call(old, f, at(d, 9 + j))
    last = at(9, 9 + len(friends) - 1)
    first = last + start_after_last
    for d in range(6):
        for j, f in enumerate(friends):
            c.call(new, f, first + timedelta(days=d, hours=j))
    return c.store(), old, new


@pytest.mark.parametrize("edge", ["last + max_gap", "last - max_overlap"])
def test_a_handover_on_either_edge_of_the_window_is_found_whatever_the_buckets(edge: str) -> None:
    """The candidate join matches on buckets of the window's width (net12): the new phone's first call
    exactly on either edge of [last - overlap, last + gap] must still meet the old one, for windows
    placed anywhere against the bucket boundaries."""
    for shift_h in (0.0, 1.0, 7.5, 13.0):  # windows of 5 days + 1 h: the edges fall at varied places
        p = BurnerParams(max_gap_days=5.0 + shift_h / 24.0, max_overlap_days=1.0, min_score=0.0)
        gap = timedelta(days=p.max_gap_days) if edge == "last + max_gap" else -timedelta(days=p.max_overlap_days)
        s, old, new = _handover(gap)
        want = reference_pairs(s, p)
        assert (old, new) in want, shift_h
        assert_same(table_pairs(s, p), want)
        s2, _, _ = _handover(gap + timedelta(seconds=1 if gap > timedelta(0) else -1))  # one second outside
        assert (old, new) not in table_pairs(s2, p) and (old, new) not in reference_pairs(s2, p)


def test_a_cell_site_overlap_of_one_half_reads_the_same_whatever_the_summation_order() -> None:
    """A share of exactly 1/2 comes out of the engine an ulp below or above it depending on the order the
    shares are summed in (main gave both on the same store, net12): the wording must not flip."""
    from fusioncell.resolve.burner import _why

    row = {"n_shared": 3, "old_contacts": 5, "jaccard": 0.16, "gap_days": 0.8}
    assert "same cell sites" in _why({**row, "coloc": 0.49999999999999994})
    assert "same cell sites" in _why({**row, "coloc": 0.5000000000000001})
    assert "cell-site overlap 0.49" in _why({**row, "coloc": 0.49})


def test_contacts_with_more_events_than_the_degree_threshold_are_judged_by_their_correspondents(small_case: Path) -> None:
    # net13: a contact's degree is counted only when its events exceed max_contact_degree (a
    # degree never exceeds the events); at 10 the case has contacts on all three sides of that
    p = BurnerParams(max_contact_degree=10, min_score=0.0, min_shared=1, max_gap_days=30.0)
    with CaseStore.open(small_case) as s:
        sides = s.con.execute("""
            WITH e AS (SELECT caller AS i, callee AS o FROM comms WHERE caller <> callee
                       UNION ALL SELECT callee, caller FROM comms WHERE caller <> callee),
                 g AS (SELECT i, count(*) AS n, count(DISTINCT o) AS d FROM e GROUP BY i)
            SELECT count(*) FILTER (WHERE n <= 10), count(*) FILTER (WHERE n > 10 AND d <= 10),
                   count(*) FILTER (WHERE d > 10) FROM g""").fetchone()
        assert sides is not None and min(sides) > 0
        want = reference_pairs(s, p)
        assert len(want) >= 3  # and the threshold changes them: hubs left out, fewer shared contacts
        assert want != reference_pairs(s, BurnerParams(max_contact_degree=100_000, min_score=0.0, min_shared=1,
                                                       max_gap_days=30.0))
        assert_same(table_pairs(s, p), want)


def test_pairs_are_computed_only_for_identifiers_with_a_partner_in_their_handover_window() -> None:
    from fusioncell.resolve.burner import succession_ends

    s = scenario().store()
    ends = succession_ends(s)
    # the lieutenant's two phones, the civilian's two SIMs and his two circles of friends (the first four
    # stop calling on day 13, the last four start on day 14); never the phones active all month
    assert ends == sorted([L_OLD, L_NEW, Z_OLD, Z_NEW, *Y])
    assert (L_OLD, L_NEW) in table_pairs(s, BurnerParams())


def test_a_sparse_old_phone_is_judged_by_where_its_few_calls_went() -> None:
    """Containment both ways (net15). An old phone makes 3 calls, one to each of three friends, and falls silent;
    6 hours later a new phone calls the same three friends once each and 12 other people 3 times each. The old
    phone's calls all went to the new one's contacts (containment 1), the new one's only 3 of 39 to the old one's
    (0.077), and the weighted Jaccard is small (each friend is 1/3 of the old phone's traffic, 1/39 of the new
    one's: 3/39 / (2 - 3/39) = 0.04). With the new phone's share alone the score was
    1/(1+exp(-(-6.5 + 9*0.04 + 5*0.077 + 0.8 ln 3 + 2.5*0.3 - 0.15*0.25))) = 0.015: no succession. With the
    larger of the two containments, 5*1 replaces 5*0.077: 0.61, a succession."""
    from test_network_factory import Case, at

    c = Case()
    old, new = "+523319980001", "+523319980002"
    friends = [f"+5233199800{i:02d}" for i in range(10, 13)]
    others = [f"+5233199800{i:02d}" for i in range(20, 32)]
    for d in (0, 10):  # the friends and the others are around the whole time: neither old nor new
        for f in friends + others:
            c.call(f, "+523319989999", at(d, 8))
    for j, f in enumerate(friends):
        c.call(old, f, at(2, 9 + j))
    start = at(2, 11 + 6)
    for j, f in enumerate(friends):
        c.call(new, f, start + timedelta(hours=j))
    for d in range(3):
        for j, o in enumerate(others):
            c.call(new, o, at(4 + d, 9 + j / 2))
    s = c.store()
    got = table_pairs(s, BurnerParams())
    assert list(got) == [(old, new)]
    g = got[(old, new)]
    assert g.contain_old == pytest.approx(1.0) and g.contain_new == pytest.approx(3 / 39)
    assert g.jaccard == pytest.approx((3 / 39) / (2 - 3 / 39))
    assert g.gap_days == pytest.approx(0.25)
    z = -6.5 + 9 * g.jaccard + 5 * 1.0 + 0.8 * math.log(3) + 2.5 * 0.3 - 0.15 * 0.25
    assert g.score == pytest.approx(1 / (1 + math.exp(-z)))
    assert 0.5 < g.score < 0.65
    assert_same(got, reference_pairs(s, BurnerParams()))


def test_an_exclusive_line_replaced_by_another_for_the_same_person_is_a_succession() -> None:
    """net16. An old phone's every call (5, days 2-3) is with one person X; it falls silent and 8 hours later a new
    phone's every call (6) is with X. One shared contact is below ``min_shared`` (2), but both handsets' whole
    traffic is with that one correspondent: an exclusive line. Worked by hand: the weighted Jaccard is
    1/(2-1) = 1, both containments 1, ln 1 = 0, no position (0.3), gap 1/3 d:
    z = -6.5 + 9 + 5 + 0 + 2.5*0.3 - 0.15/3 = 8.2, score 1/(1+exp(-8.2)) = 0.99973.
    A phone that also calls someone else (two contacts, one shared with X's other line) is no exclusive line."""
    from test_network_factory import Case, at

    c = Case()
    x, old, new = "+523319970001", "+523319970002", "+523319970003"
    w, old2, new2, z = "+523319970011", "+523319970012", "+523319970013", "+523319970014"
    crowd = [f"+5233199700{i:02d}" for i in range(20, 26)]
    for d in (0, 10):  # everyone is around the whole time: neither old nor new
        for f in [x, w, *crowd]:
            c.call(f, "+523319979999", at(d, 8))
    for j in range(5):
        c.call(old, x, at(2 + j // 3, 9 + j))
    last = at(3, 9 + 4)
    for j in range(6):
        c.call(new, x, last + timedelta(hours=8 + 2 * j))
    # the control: old2 only with w; new2 with w and with z (its traffic is not w's alone)
    for j in range(5):
        c.call(old2, w, at(2 + j // 3, 10 + j))
    for j in range(3):
        c.call(new2, w, at(4, 9 + j))
        c.call(new2, z, at(4, 15 + j))
    s = c.store()
    got = table_pairs(s, BurnerParams())
    assert list(got) == [(old, new)]
    g = got[(old, new)]
    assert (g.n_shared, g.jaccard, g.contain_old, g.contain_new) == (1, pytest.approx(1.0), pytest.approx(1.0),
                                                                    pytest.approx(1.0))
    assert g.gap_days == pytest.approx(1 / 3)
    assert g.score == pytest.approx(1 / (1 + math.exp(-8.2)))
    assert_same(got, reference_pairs(s, BurnerParams()))
    assert table_pairs(s, BurnerParams(exclusive_line=False)) == {}
