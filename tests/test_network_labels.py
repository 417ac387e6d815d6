"""Evidence of place for relationship labels: calls made from one cell, a shared home, a shared work place,
and the tie's share of the quieter end's traffic (network/edges.py), computed by hand on a small case."""

from __future__ import annotations

import pytest
from test_network_factory import Case, at

from fusioncell.network import contact_ties
from fusioncell.network.ties import COEF, FEATURES, LABELS

X, Y, Z = "+523310000701", "+523310000702", "+523310000703"
HOME = (20.670, -103.350)
WORK = (20.700, -103.300)      # 6 km from home
Z_HOME = (20.760, -103.400)    # 11 km from both


def _case() -> Case:
    c = Case()
    # Mon and Tue 21:00: X and Y call each other, both at home
    c.call(X, Y, at(0, 21.0), lat=HOME[0], lon=HOME[1])
    c.call(Y, X, at(1, 21.0), lat=HOME[0], lon=HOME[1])
    # Tue 10:00 and Wed 11:00: X and Z at work, one cell
    c.call(X, Z, at(1, 10.0), lat=WORK[0], lon=WORK[1])
    c.call(Z, X, at(2, 11.0), lat=WORK[0], lon=WORK[1])
    # Thu 21:30: Z from his home calls X at home
    c.call(Z, X, at(3, 21.5), lat=Z_HOME[0], lon=Z_HOME[1], callee_cell=HOME)
    return c


def _ties() -> dict[frozenset[str], dict]:
    return {frozenset((r["a"], r["b"])): r for r in contact_ties(_case().store(), "identifier").to_pylist()}


def test_two_phones_sleeping_at_one_home_share_it_and_call_from_one_cell() -> None:
    t = _ties()[frozenset((X, Y))]
    assert t["coloc_share"] == 1.0          # both calls with both handsets at home
    assert t["same_home"] == 1.0            # X's evening cell: home (3 of 3); Y's: home
    assert t["same_work"] == 0.0 or t["same_work"] is None
    assert t["tie_share"] == pytest.approx(2 / 2)   # all of Y's traffic goes to X


def test_colleagues_share_a_work_place_but_not_a_home() -> None:
    t = _ties()[frozenset((X, Z))]
    assert t["coloc_share"] == pytest.approx(2 / 3)   # together at work twice, apart once
    assert t["coloc_day_share"] == 1.0                # both business-hour calls at one cell
    assert t["same_home"] == 0.0                      # Z sleeps 11 km away
    assert t["same_work"] == 1.0                      # both work at WORK (Mon-Fri 09-17)
    assert t["tie_share"] == pytest.approx(3 / 3)     # all of Z's traffic goes to X


def test_every_label_scores_with_known_features_only() -> None:
    assert set(COEF) == set(LABELS)
    for lab, c in COEF.items():
        assert set(c) <= set(FEATURES) | {"bias"}, lab


@pytest.mark.parametrize("last_day", [40, 100])
def test_active_days_are_the_same_whether_counted_by_mask_or_distinct(last_day: int) -> None:
    """Within 64 local days active days come from a 64-bit day mask, beyond from count(DISTINCT day)."""
    c = Case()
    for d, h in ((0, 9.0), (0, 23.5), (20, 12.0), (last_day, 8.0)):
        c.call(X, Y, at(d, h))
    (t,) = contact_ties(c.store(), "identifier").to_pylist()
    assert t["active_days"] == 3


def test_close_circles_of_several_foci_in_one_plan_equal_the_single_circles() -> None:
    from test_network_factory import F, P, scenario

    from fusioncell.network import close_circles, resolve_focus

    s = scenario().store()
    both = close_circles(s, [F, P], k=5)
    for focus in (F, P):  # reference: a plain scan of the ties table for the focus, strongest first
        node = resolve_focus(s, focus)
        ref = s.con.execute("SELECT CASE WHEN a = ? THEN b ELSE a END AS o, strength FROM net_ties_person "
                            "WHERE a = ? OR b = ? ORDER BY strength DESC, o LIMIT 5", [node, node, node]).fetchall()
        assert [r["node"] for r in both[focus]] == [o for o, _ in ref]
        assert [r["rank"] for r in both[focus]] == list(range(1, len(ref) + 1))
    assert both[F][0]["identifier"] == P  # the partner first


def test_a_home_tie_between_two_cells_and_duplicate_copies_give_one_answer_every_run() -> None:
    """X calls from cell A and from cell B equally often at night (a tie for 'home'), and one call arrives
    twice with different cell positions: the home and the call's cell must not depend on the order the
    engine's threads read rows in (they did: arg_max and first() picked either, and labels flipped)."""
    B = (20.640, -103.380)
    answers = set()
    for order in (1, -1):
        c = Case()
        # X sleeps at HOME or at B, two nights each (a tie); Y is always at HOME
        calls = [(X, Y, at(0, 22.0), HOME), (X, Y, at(1, 22.0), B), (X, Y, at(2, 22.0), HOME), (X, Y, at(3, 22.0), B)]
        for a, b, t, (la, lo) in calls[::order]:
            c.call(a, b, t, lat=la, lon=lo, callee_cell=HOME)
        copies = [WORK, Z_HOME][::order]  # one call in two exports, X's cell differing between them
        for la, lo in copies:
            c.call(X, Z, at(4, 10.0), lat=la, lon=lo, callee_cell=WORK)
        with c.store() as cs:
            rows = contact_ties(cs, "identifier").to_pylist()
        answers.add(tuple(sorted((r["a"], r["b"], r["same_home"], r["coloc_share"]) for r in rows)))
    assert len(answers) == 1
