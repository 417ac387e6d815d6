"""Each relationship label pinned by the behaviour that defines it (docs/network.md, "Relationship").

One focus X and seven contacts over 30 days from a Monday, built with the
schema-driven factory, no claims about the relation itself: the label must
come from behaviour and place alone.

* partner P — every night at 22:30, 15–20 min, alternating, both at X's home
  cell: late-night, long, daily, mutual, a shared home, all of P's traffic;
* family M — Saturday and Sunday 13:00 and Wednesday 19:00, 12 min, M
  calling from her own town: weekend daytime, long, mutual;
* friend R — Friday and Saturday 20:30 and Wednesday 21:00, 4 min, from his
  home: evenings and weekends;
* work K — every weekday 11:00, 90 s, both on X's work cell: business hours,
  one day place, never at weekends;
* logistics C — Tuesday and Thursday 10:00, three calls of 25–40 s within
  12 minutes, mostly X calling: short, in business hours, in bursts;
* mixed U — five calls, as much family-like (Saturday lunch, 12 min) as
  friend-like (Friday at 21:30, 4 min: a late evening, night-time since night
  starts at 21:00, where friends call), plus a work-hours call, a plain
  afternoon one and a short one: no label is likely (each below one half),
  so with the threshold at one half it is "unknown"; one-off O — a single
  call: "one-off";
  T — two calls on days 20 and 24 (a tie that starts late).
"""

from __future__ import annotations

import pytest
from test_network_factory import T0, Case, at

import fusioncell.network.ties as ties_mod
from fusioncell.network import close_circle, contact_ties
from fusioncell.network.ties import UNKNOWN_P

X, P, M, R, K, C, T, O, U = (f"+5233100009{i:02d}" for i in range(9))
HOME = (20.670, -103.350)
WORK = (20.700, -103.300)       # 6 km from home
M_TOWN = (20.520, -103.180)     # 24 km away
R_HOME = (20.640, -103.400)     # 6 km away
C_CELL = (20.610, -103.330)     # 7 km away
DAYS = 30


def _weekday(d: int) -> int:
    return (T0.weekday() + d) % 7


def _case() -> Case:
    c = Case()
    for d in range(DAYS):
        wd = _weekday(d)
        a, b = (X, P) if d % 2 else (P, X)
        c.call(a, b, at(d, 22.5), 900 + 20 * (d % 15), lat=HOME[0], lon=HOME[1])
        if wd in (5, 6):
            a, b = (M, X) if wd == 5 else (X, M)
            c.call(a, b, at(d, 13.0), 720, lat=M_TOWN[0], lon=M_TOWN[1], callee_cell=HOME)
        if wd == 2:
            c.call(M, X, at(d, 19.0), 700, lat=M_TOWN[0], lon=M_TOWN[1], callee_cell=HOME)
            c.call(X, R, at(d, 21.0), 240, lat=HOME[0], lon=HOME[1], callee_cell=R_HOME)
        if wd in (4, 5):
            a, b = (R, X) if wd == 4 else (X, R)
            c.call(a, b, at(d, 20.5), 250, lat=R_HOME[0], lon=R_HOME[1], callee_cell=HOME)
        if wd < 5:
            a, b = (X, K) if d % 2 else (K, X)
            c.call(a, b, at(d, 11.0), 90, lat=WORK[0], lon=WORK[1])
        if wd in (1, 3):
            for j, (a, b) in enumerate(((X, C), (C, X), (X, C))):
                c.call(a, b, at(d, 10.0 + 0.1 * j), 25 + 7 * j, lat=WORK[0], lon=WORK[1], callee_cell=C_CELL)
    c.call(T, X, at(20, 11.5), 300, lat=R_HOME[0], lon=R_HOME[1], callee_cell=WORK)
    c.call(X, T, at(24, 16.0), 200, lat=WORK[0], lon=WORK[1], callee_cell=R_HOME)
    c.call(O, X, at(12, 15.0), 20)
    for d, h, dur in ((7, 11.0, 90), (9, 16.0, 300), (11, 21.5, 240), (12, 13.0, 720), (14, 10.0, 30)):
        c.call(U, X, at(d, h), dur, lat=C_CELL[0], lon=C_CELL[1], callee_cell=WORK if h < 12 else HOME)
    c.claim("alias:El Flaco", "uses", C, "C", 3)  # an informant names C's phone, nothing about X
    return c


@pytest.fixture(scope="module")
def ties() -> dict[str, dict]:
    rows = contact_ties(_case().store(), "identifier").to_pylist()
    return {r["b"] if r["a"] == X else r["a"]: r for r in rows if X in (r["a"], r["b"])}


@pytest.mark.parametrize("who, label", [(P, "partner"), (M, "family"), (R, "friend"), (K, "work"),
                                        (C, "logistics"), (O, "one-off")])
def test_each_contact_gets_the_label_its_behaviour_defines(ties: dict[str, dict], who: str, label: str) -> None:
    t = ties[who]
    assert t["relationship"] == label, (label, t["relationship_probs"])
    assert t["relationship_probs"][label] == pytest.approx(t["relationship_p"])


def test_a_tie_as_much_family_as_friend_is_unknown_under_a_threshold_of_one_half(
        ties: dict[str, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    probs = ties[U]["relationship_probs"]
    top2 = sorted(probs, key=lambda k: -probs[k])[:2]
    assert set(top2) == {"family", "friend"} and max(probs.values()) < 0.5
    monkeypatch.setattr(ties_mod, "UNKNOWN_P", 0.5)
    with _case().store() as s:
        rows = {r["b"] if r["a"] == X else r["a"]: r for r in contact_ties(s, "identifier").to_pylist()}
        why = next(r["why"] for r in close_circle(s, X, k=20) if r["identifier"] == U)
    assert rows[U]["relationship"] == "unknown" and rows[U]["relationship_p"] == pytest.approx(max(probs.values()))
    assert "too little evidence to label" in why
    for who, label in ((P, "partner"), (K, "work"), (C, "logistics")):  # the clear ties keep their labels
        assert rows[who]["relationship"] == label


def test_unknown_exactly_when_no_label_reaches_the_threshold(ties: dict[str, dict]) -> None:
    for who, t in ties.items():
        if t["relationship"] != "one-off":
            assert (t["relationship"] == "unknown") == (max(t["relationship_probs"].values()) < UNKNOWN_P), who



def test_behaviour_features_by_hand(ties: dict[str, dict]) -> None:
    c = ties[C]
    n_bursts = sum(_weekday(d) in (1, 3) for d in range(DAYS))
    assert c["n_events"] == 3 * n_bursts
    assert c["quick_share"] == pytest.approx(2 / 3)     # the 2nd and 3rd call of each burst follow within 6 min
    assert c["short_share"] == pytest.approx(1.0)       # 25, 32, 39 s: all under a minute
    assert c["named_ends"] == pytest.approx(0.5)        # C is named by an informant, X is not
    r = ties[R]
    # evening is 18:00 until night-time begins (21:00, fusioncell.model.night): each week R calls at 20:30
    # on two days (evening) and at 21:00 on one (night)
    n_evening = sum(_weekday(d) in (4, 5) for d in range(DAYS))
    n_night = sum(_weekday(d) == 2 for d in range(DAYS))
    assert r["evening_share"] == pytest.approx(n_evening / (n_evening + n_night))
    assert ties[P]["evening_share"] == pytest.approx(0.0)  # 22:30 is night, not evening
    # the case runs from K's call on day 0 at 11:00 to P's on day 29 at 22:30: ceil(29 d 11.5 h) = 30 days;
    # T's first call is on day 20 at 11:30, 20 d 0.5 h after the start
    assert ties[T]["first_frac"] == pytest.approx((20 * 24 + 0.5) / 24 / 30)
    # P's 30 events out of X's total: the tie's share of the busier end's traffic
    x_total = sum(t["n_events"] for t in ties.values())
    assert ties[P]["tie_share_max"] == pytest.approx(30 / x_total)
    assert ties[P]["tie_share"] == pytest.approx(1.0)
