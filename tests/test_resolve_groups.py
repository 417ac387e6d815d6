"""A group switch in a small carrier-style file: five phones replaced on one day by five new phones that call
only each other (one-for-one succession finds none of them: no shared contacts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casefolder import CaseFolder, at
from fusioncell.resolve import burner_successions
from fusioncell.resolve.groups import group_switches
from fusioncell.store import open_case

N_CIV, DAYS, SWITCH_DAY = 380, 10, 5


def _carrier(tmp_path: Path, boss_known: bool = False, late: int = 0, extra: int = 0) -> tuple[Path, dict[str, str]]:
    """``late``: that many members (the last ones) switch a day after the others, as when a switch
    begun at night runs past midnight. ``extra``: that many other phones call the boss every day and fall
    silent on the day of the switch too (their owners' own reasons), succeeded by nobody in the group."""
    rng = np.random.default_rng(5)
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    if boss_known:  # the case already knows the boss's old phone
        c.person("person-boss", phone=["+523399000000"])
    civ = [f"+5233{70000000 + i:08d}" for i in range(N_CIV)]
    home = {p: (20.5 + rng.uniform(0, 0.4), -103.5 + rng.uniform(0, 0.4)) for p in civ}
    peak = {p: float(rng.uniform(8, 21)) for p in civ}
    contacts = {p: list(rng.choice(civ, size=int(rng.integers(4, 12)), replace=False)) for p in civ}
    # the group: a boss and four members, each with a home, calling hours, and a few ordinary contacts
    old = [f"+52339900000{i}" for i in range(5)]
    new = [f"+52338800000{k}" for k in (3, 0, 4, 1, 2)]  # not in the order of the old numbers
    ghome = [(20.6 + 0.05 * i, -103.3 - 0.04 * i) for i in range(5)]
    gpeak = [9.0, 12.0, 15.0, 18.0, 21.0]
    for d in range(DAYS):
        for p in civ:
            for _ in range(int(rng.poisson(1.5))):
                q = contacts[p][int(rng.integers(0, len(contacts[p])))]
                h = float(np.clip(rng.normal(peak[p], 1.5), 0, 23.9))
                c.call(p, str(q), at(d, h), home[p])
        ids = [old[i] if d < SWITCH_DAY + (i >= 5 - late) else new[i] for i in range(5)]
        for i in range(1, 5):  # the boss calls each member, each member calls the boss
            for who, to in ((0, i), (i, 0)):
                h = float(np.clip(rng.normal(gpeak[who], 0.7), 0, 23.9))
                c.call(ids[who], ids[to], at(d, h), ghome[who])
            if ids[i] == old[i]:  # before the switch, members also had ordinary contacts
                c.call(old[i], civ[i * 7], at(d, float(np.clip(rng.normal(gpeak[i], 0.7), 0, 23.9))), ghome[i])
        for j in range(extra if d < SWITCH_DAY else 0):
            c.call(f"+52337700000{j}", old[0], at(d, 7.0 + 1.5 * j), (20.9 - 0.03 * j, -103.1))
        if i and d < SWITCH_DAY and d % 2 == 0:
            c.call(old[1], old[2], at(d, 13.0), ghome[1])  # two members also talk to each other
        if d >= SWITCH_DAY and d % 2 == 0:
            c.call(new[1], new[2], at(d, 13.0), ghome[1])
    return c.write(tmp_path / "carrier"), dict(zip(old, new))


@pytest.fixture(scope="module")
def carrier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return _carrier(tmp_path_factory.mktemp("groups"))


def test_the_five_phones_switched_together_are_paired_as_one_group(carrier) -> None:  # type: ignore[no-untyped-def]
    folder, truth = carrier
    with open_case(folder) as cs:
        found = group_switches(cs)
        singles = burner_successions(cs)
    pairs = {(x["old"], x["new"]) for x in found}
    assert len(pairs & set(truth.items())) >= 4  # the issue asks for at least 4 of 5 on real data
    assert pairs <= set(truth.items()), "no false pair"
    assert len({x["group"] for x in found}) == 1 and all(x["p"] >= 0.5 for x in found)
    # one-for-one succession cannot see it: the new phones share no contact with the old ones
    assert not {(b["old"], b["new"]) for b in singles} & set(truth.items())


def test_a_switch_that_runs_past_midnight_is_still_one_group(tmp_path: Path) -> None:
    """Two of the five switch a day after the other three (a switch begun late at night): their old phones
    fall silent, and their new ones start, a calendar day later. Before, groups were read by calendar day:
    the three were paired, the two (who talk only to the boss, whose old phone had already stopped) not."""
    folder, truth = _carrier(tmp_path, late=2)
    with open_case(folder) as cs:
        pairs = {(x["old"], x["new"]) for x in group_switches(cs)}
    assert pairs == set(truth.items())


def test_phones_that_stop_with_the_group_do_not_hide_it(tmp_path: Path) -> None:
    """Three other phones that called the boss fall silent the same day: the old group read from the
    records has eight phones for five new ones. Before, groups whose sizes differed by more than a third
    were never compared; now the extra old phones are left unmatched."""
    folder, truth = _carrier(tmp_path, extra=3)
    with open_case(folder) as cs:
        pairs = {(x["old"], x["new"]) for x in group_switches(cs)}
    assert pairs == set(truth.items())


def test_ordinary_callers_are_never_grouped(carrier) -> None:  # type: ignore[no-untyped-def]
    folder, truth = carrier
    with open_case(folder) as cs:
        found = group_switches(cs)
    assert {x["old"] for x in found} <= set(truth)


def test_network_lists_the_group_switch_with_its_group_id_and_p(carrier) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.network.report import network_report

    folder, truth = carrier
    with open_case(folder) as cs:
        r = network_report(cs)
    grouped = [b for b in r["burner_successions"] if b["group"]]
    assert {(b["old"], b["new"]) for b in grouped} == set(truth.items())
    assert all(0.5 <= b["p"] <= 1 for b in r["burner_successions"])


@pytest.fixture(scope="module")
def carrier_with_boss(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The same carrier file, where the case already knows the boss's old phone (a Person entity)."""
    return _carrier(tmp_path_factory.mktemp("groups-boss"), boss_known=True)


def test_group_successors_inherit_the_persons_of_the_old_phones(carrier_with_boss) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.resolve import attributions

    folder, truth = carrier_with_boss
    with open_case(folder) as cs:
        found = {x["new"]: x for x in group_switches(cs)}
        by_id = {a["identifier"]: a for a in attributions(cs)}
    boss_new = truth["+523399000000"]
    # the boss's new phone is his: confidence = entity confidence (0.9) × the pair's probability
    a = by_id[boss_new]
    assert a["person"] == "person-boss" and a["method"] == "group"
    assert a["confidence"] == pytest.approx(0.9 * found[boss_new]["p"], abs=1e-6)
    assert any("group switch" in e and "+523399000000" in e for e in a["evidence"])
    # members nobody knew: each new phone is attributed to its old phone, so the two are one node
    for old, new in truth.items():
        if old != "+523399000000":
            assert by_id[new]["person"] == old and by_id[new]["confidence"] == pytest.approx(found[new]["p"])


def test_network_counts_old_and_new_phones_of_a_switched_member_as_one_node(carrier_with_boss) -> None:  # type: ignore[no-untyped-def]
    from fusioncell.network import contact_ties

    folder, truth = carrier_with_boss
    with open_case(folder) as cs:
        ties = contact_ties(cs, "person").to_pylist()
    nodes = {t["a"] for t in ties} | {t["b"] for t in ties}
    assert not set(truth.values()) & nodes, "no new phone is a node of its own"
    # the boss's tie to member 1 adds up the calls of both handset generations (10 days, 2 calls a day)
    boss1 = next(t for t in ties if {t["a"], t["b"]} == {"person-boss", "+523399000001"})
    assert boss1["n_events"] == 2 * DAYS


def test_phones_that_only_receive_calls_are_never_a_switched_group() -> None:
    """A civilian changing SIM while calling four new friends instead of four old ones: the friends' phones
    only receive calls (no cell sites, no calling hours of their own), so nothing says they switched."""
    from test_network_factory import scenario

    assert group_switches(scenario().store()) == []


def _reference_ties(store) -> dict[str, tuple[set[str], set[str]]]:  # type: ignore[no-untyped-def]
    """Old and new group ties by the definitions (module docstring, step 1), record by record."""
    from collections import defaultdict
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from fusioncell.resolve.groups import GroupParams

    p = GroupParams()
    tz = ZoneInfo(store.con.execute("SELECT coalesce(any_value(timezone), 'UTC') FROM case_info").fetchone()[0])
    rows = store.con.execute("SELECT caller, callee, start FROM comms").fetchall()
    t0, t1 = min(r[2] for r in rows), max(r[2] for r in rows)
    times: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    out: dict[str, int] = defaultdict(int)
    talk: set[tuple[str, str]] = set()
    for a, b, t in rows:
        if a != b:
            times[a].append(t), times[b].append(t), talk.update({(a, b), (b, a)})
            out[a] += 1
    day = {}
    for i, ts in times.items():
        if len(ts) >= p.min_events and out[i] >= 1:
            end = max(ts).astimezone(tz).date() if max(ts) <= t1 - timedelta(days=1) else None
            start = min(ts).astimezone(tz).date() if min(ts) >= t0 + timedelta(days=1) else None
            if end or start:
                day[i] = (end, start)
    # a day counts only with a partner day: an old group's end day d needs a new group starting on
    # d .. d + max_gap_days (net13: the other days' phones are left out, they can give no switch)
    ends = {e for e, _ in day.values() if e is not None}
    starts = {s for _, s in day.values() if s is not None}
    gap = [timedelta(days=k) for k in range(p.max_gap_days + 1)]
    day = {i: (e if e is not None and any(e + g in starts for g in gap) else None,
               s if s is not None and any(s - g in ends for g in gap) else None) for i, (e, s) in day.items()}
    day = {i: v for i, v in day.items() if v != (None, None)}
    ties: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for a, b in talk:
        if a in day and b in day:
            for side in (0, 1):
                if day[a][side] is not None and day[a][side] == day[b][side]:
                    ties[a][side].add(b)
    return dict(ties)


def test_group_ties_equal_a_record_by_record_reference(carrier) -> None:  # type: ignore[no-untyped-def]
    # the tie query is written so that the optimiser cannot pair every two phones sharing a day first;
    # this pins that the rewrite still finds exactly the ties the definitions give
    from fusioncell.resolve.groups import GroupParams, _profiles

    with open_case(carrier[0]) as s:
        want = _reference_ties(s)
        idents, prof = _profiles(s, GroupParams())
    assert sum(len(o) for o, _ in want.values()) >= 10 and sum(len(n) for _, n in want.values()) >= 10  # both groups
    assert set(idents) == set(want)
    got = {i: (set(prof[i]["old_ties"] or []), set(prof[i]["new_ties"] or [])) for i in idents}
    assert got == want



def test_a_group_id_carries_no_digits_of_its_phones(carrier) -> None:  # type: ignore[no-untyped-def]
    """A group's id is shown in products and the workbench; the last four digits of a phone (a protected
    person's, perhaps) are a trace of it. No run of four digits of any phone of the group is in its id."""
    folder, truth = carrier
    with open_case(folder) as cs:
        found = group_switches(cs)
    assert found
    gid = found[0]["group"]
    digits = "".join(ch for ch in gid.split("-", 4)[-1] if ch.isdigit())
    for phone in list(truth) + list(truth.values()):
        assert phone[-4:] not in gid.split("-", 4)[-1], (gid, phone)
    assert len(digits) < 4 or all(digits not in ph for ph in list(truth) + list(truth.values()))


def test_the_switches_are_computed_once_per_state_of_the_observations(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Network, attribution and the report each ask for the switches; the profiles read every call record,
    so the answer is kept in the store and recomputed only when the observations change (here: the case
    gains a record, through the store's own insert)."""
    import fusioncell.resolve.groups as G
    from rows import put

    folder, truth = _carrier(tmp_path)
    calls = []
    real = G._switches
    monkeypatch.setattr(G, "_switches", lambda store, p: calls.append(1) or real(store, p))
    with open_case(folder) as cs:
        first = group_switches(cs)
        again = group_switches(cs)
        assert again == first and len(calls) == 1
        assert {(x["old"], x["new"]) for x in again} <= set(truth.items()) and len(again) >= 4
        put(cs.con, "comms", event_id="late-1", source_id="cdr", agency="SEDENA-INT", start=at(DAYS, 10.0),
            duration_s=60.0, channel="voice", caller="+523370000001", callee="+523370000002")
        group_switches(cs)
        assert len(calls) == 2
