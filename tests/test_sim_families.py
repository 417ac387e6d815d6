"""World families: the baseline is untouched; each family does what it says; nothing in the case tells which."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fusioncell.errors import UsageError
from fusioncell.sim import simulate
from fusioncell.sim.core import build_scenario
from fusioncell.sim.families import FAMILIES, draw


def test_the_baseline_family_writes_exactly_the_world_without_a_family(tmp_path: Path) -> None:
    simulate(tmp_path / "a", seed=11, scale=300, days=5)
    simulate(tmp_path / "b", seed=11, scale=300, days=5, family="baseline")
    for f in sorted((tmp_path / "a").iterdir()):
        if f.name != "truth.json":
            assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_parameters_are_drawn_per_seed_from_wide_ranges() -> None:
    lefts = [draw("phone-discipline", s)["p_left_behind"] for s in range(40)]
    assert 0.15 <= min(lefts) < 0.2 and 0.4 < max(lefts) <= 0.45
    assert draw("baseline", 3) == {} and draw(None, 3) == {}
    with pytest.raises(UsageError, match="unknown world family"):
        draw("nope", 1)


def _hideout_covered(family: str, seed: int) -> bool:
    sn = build_scenario(seed=seed, scale=300, days=10, family=family)
    return bool(sn.world.covered(np.asarray(sn.org.hideouts[0]["xy"], dtype=float)))


def test_sparse_coverage_puts_the_compound_where_no_cell_site_serves_it() -> None:
    seeds = range(100, 104)
    assert all(_hideout_covered("baseline", s) for s in seeds)  # the baseline keeps him within reach
    assert sum(not _hideout_covered("sparse-coverage", s) for s in seeds) >= 2  # p(hole) is 0.6-1.0 per seed


def test_decoy_heavy_lieutenants_sleep_at_decoys_and_she_sometimes_does() -> None:
    def overnight_at_decoys(family: str, role: str) -> int:
        sn = build_scenario(seed=7, scale=300, days=30, difficulty="normal", family=family)
        who = set(sn.org.lieutenants) if role == "lt" else {sn.org.partner}
        return sum(1 for v in sn.org.visits if v.person in who and v.place.startswith("decoy")
                   and v.t_to - v.t_from > 6 * 3600)

    assert overnight_at_decoys("decoy-heavy", "lt") > 2 * max(1, overnight_at_decoys("baseline", "lt"))
    assert overnight_at_decoys("baseline", "partner") == 0


def test_nothing_in_the_case_folder_names_the_family(tmp_path: Path) -> None:
    simulate(tmp_path / "c", seed=12, scale=300, days=5, family="deception")
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    assert truth["family"]["name"] == "deception" and "p_true" in truth["family"]["params"]
    for f in (tmp_path / "c").iterdir():
        if f.name != "truth.json":
            text = f.read_text(encoding="utf-8", errors="replace").lower()
            assert not any(fam in text for fam in FAMILIES if fam != "mixed"), f.name


def test_cli_refuses_an_unknown_family_with_exit_2(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "simulate", str(tmp_path / "x"), "--family", "volcano"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown world family" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def _in_town(family: str, seed: int) -> bool:
    sn = build_scenario(seed=seed, scale=300, days=10, family=family)
    xy = np.asarray(sn.org.hideouts[0]["xy"], dtype=float)
    # inside a town's radius (a town site is drawn at normal(0, r/2) from the centre: ~86% fall within r)
    return bool(np.min(np.hypot(*(sn.world.towns_xy - xy).T) - 1.5 * sn.world.towns_r) < 0.0)


def test_town_hideout_puts_his_house_in_a_town_and_the_baseline_never_does() -> None:
    seeds = range(100, 106)
    assert not any(_in_town("baseline", s) for s in seeds)  # the baseline's compound is >= 5 km from any town
    assert sum(_in_town("town-hideout", s) for s in seeds) >= 3  # p(town) is 0.6-1.0 per seed


def test_the_hideout_address_is_worded_like_any_other_building(tmp_path: Path) -> None:
    # the hideout's address once alone read "camino de terracería": a string match found him
    wordings: dict[str, set[str]] = {"hideout": set(), "other": set()}
    for seed in range(20, 32):
        sn_dir = tmp_path / f"c{seed}"
        simulate(sn_dir, seed=seed, scale=300, days=3)
        truth = json.loads((sn_dir / "truth.json").read_text())
        hide = truth["hideouts"][0]
        for line in (sn_dir / "entities.jsonl").read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            if e["schema"] != "Address":
                continue
            what = e["properties"]["full"][0].rsplit(",", 2)[0]
            near = abs(float(e["properties"]["latitude"][0]) - hide["lat"]) + abs(float(e["properties"]["longitude"][0]) - hide["lon"]) < 1e-3
            wordings["hideout" if near else "other"].add(what)
    assert wordings["hideout"], "no hideout address in 12 seeds (each has p 0.35)"
    assert wordings["hideout"] <= wordings["other"]


def test_rhythm_family_lets_her_stay_several_nights_and_the_default_never_does() -> None:
    def longest_stay_h(family: str, seed: int) -> float:
        sn = build_scenario(seed=seed, scale=300, days=30, difficulty="normal", family=family)
        stays = [v.t_to - v.t_from for v in sn.org.visits if v.person == sn.org.partner]
        return max(stays) / 3600.0

    # one night is at most 19:30 to 08:30 (13 h); a stay of two nights is over 24 h
    assert all(longest_stay_h("baseline", s) < 14.0 for s in (21, 22))
    rhythm = [s for s in range(20, 40) if draw("rhythm", s)["partner_stay"][1] >= 2][:2]
    assert all(longest_stay_h("rhythm", s) > 24.0 for s in rhythm)


def test_rhythm_family_makes_some_of_her_visits_daytime_ones() -> None:
    def short_visits(family: str, seed: int) -> int:
        sn = build_scenario(seed=seed, scale=300, days=30, difficulty="normal", family=family)
        return sum(1 for v in sn.org.visits if v.person == sn.org.partner and v.t_to - v.t_from <= 6 * 3600)

    seed = next(s for s in range(20, 60) if draw("rhythm", s)["partner_day_p"] > 0.35)
    assert short_visits("baseline", seed) == 0  # a night is at least 19:30/23:00 to 05:30 (6.5 h)
    assert short_visits("rhythm", seed) >= 1


def test_coverage_family_changes_the_cell_network_and_what_a_site_reaches() -> None:
    def rural_sites_and_reach(family: str, seed: int) -> tuple[int, float]:
        sn = build_scenario(seed=seed, scale=300, days=5, family=family)
        return len(sn.world.towers_xy), sn.world.coverage_m

    seeds = {"sparse": next(s for s in range(50) if draw("coverage", s)["rural_spacing_m"] > 10_000),
             "dense": next(s for s in range(50) if draw("coverage", s)["rural_spacing_m"] < 4_500)}
    for seed in seeds.values():
        n_default, reach_default = rural_sites_and_reach("baseline", seed)
        n, reach = rural_sites_and_reach("coverage", seed)
        assert reach_default == 8500.0 and reach == pytest.approx(draw("coverage", seed)["coverage_m"])
        # the same region, rural sites (6.5 km by default) at over 10 km or under 4.5 km
        assert (n < n_default) if seed == seeds["sparse"] else (n > n_default)


def test_household_family_keeps_the_bodyguards_phones_on_at_his_house() -> None:
    def guard_dark_share(family: str, seed: int) -> float:
        sn = build_scenario(seed=seed, scale=300, days=20, difficulty="normal", family=family)
        guards = set(sn.org.bodyguards)
        dark = sum(d["to"] - d["from"] for d in sn.org.dark if d["person"] in guards and d["why"] == "bodyguard off")
        return dark / (len(guards) * 21 * 86400.0)  # the off intervals run from the day before to the day after

    # by default a guard's phone is on 15 min-1.5 h every 2-4 days: off nearly all the time (the off
    # intervals overrun the period's ends); in a household world it is on 4-22 h every day or two
    assert guard_dark_share("baseline", 31) > 0.95
    assert guard_dark_share("household", 31) < 0.8


def test_group_switch_family_switches_a_cell_together_and_a_closed_one_calls_only_itself(tmp_path: Path) -> None:
    import csv

    seed = next(s for s in range(40) if draw("group-switch", s)["group_switch"]["closed"])
    simulate(tmp_path / "g", seed=seed, scale=300, days=20, family="group-switch")
    truth = json.loads((tmp_path / "g" / "truth.json").read_text())
    group = [s for s in truth["burner_successions"] if s["kind"] == "group"]
    assert len(group) == min(draw("group-switch", seed)["group_switch"]["k"], len(group)) >= 3
    assert {s["group"] for s in group} == {1}
    from datetime import datetime

    handovers = sorted(datetime.fromisoformat(s["handover"]) for s in group)
    assert (handovers[-1] - handovers[0]).total_seconds() <= 6 * 3600  # one moment, within six hours
    def digits(x: str) -> str:  # call records spell numbers several ways ("386 556 2234", "+52386…")
        return "".join(ch for ch in x if ch.isdigit())[-10:]

    new = {digits(s["new"]) for s in group}
    cell = new | {digits(s["old"]) for s in group}  # a member may still reach another before his switch
    with open(tmp_path / "g" / "comms.csv", encoding="utf-8") as fh:
        calls = [(digits(r["caller"]), digits(r["callee"])) for r in csv.DictReader(fh)]
    calls = [(a, b) for a, b in calls if a in new or b in new]
    assert calls  # the new phones are used...
    assert all(a in cell and b in cell for a, b in calls)  # ...only within the cell
