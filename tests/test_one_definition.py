"""One definition each of night, home and cell accuracy, for every stage (docs/inference.md)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import fusioncell
from fusioncell.model.night import NIGHT

PKG = Path(fusioncell.__file__).parent
STAGES = [p for d in ("infer", "network", "spacetime", "resolve", "store/plans") for p in sorted((PKG / d).glob("*.py"))]


def _grep(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [f"{p.relative_to(PKG)}:{i}" for p in STAGES
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if rx.search(line)]


def test_no_stage_writes_its_own_night_hours() -> None:
    # an evening bound (20-23 h) or a morning bound (5-7 h) next to hour(...) is a night window of its own
    assert _grep(r"hour\([^)]*\)\)?\s*>=\s*(20|21|22|23)\b|hour\([^)]*\)\)?\s*<\s*[567]\b") == []
    assert _grep(r"NIGHT_HOURS\s*=\s*\(") == []
    assert _grep(r"CORE_H?\s*=\s*\(?\s*1\s*,\s*4") == []


def test_the_night_is_evening_to_morning_and_its_small_hours_decide() -> None:
    assert NIGHT.hours() == (21, 22, 23, 0, 1, 2, 3, 4, 5)
    assert NIGHT.from_h > NIGHT.to_h and NIGHT.to_h > NIGHT.core_to_h > NIGHT.core_from_h >= 0


def test_home_and_cell_accuracy_are_computed_in_one_place() -> None:
    assert _grep(r"/ 0\.0036|HOME_BIN_DEG\s*=") == ["spacetime/home.py:" + str(_line("spacetime/home.py", "HOME_BIN_DEG ="))]
    assert [h.split(":")[0] for h in _grep(r"np\.partition\(d")] == ["spacetime/positions.py"]
    assert [h.split(":")[0] for h in _grep(r"def (night_homes|cell_accuracy_m)\(")] == [
        "spacetime/home.py", "spacetime/positions.py"]


def _line(rel: str, text: str) -> int:
    return next(i for i, line in enumerate((PKG / rel).read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_locate_and_pattern_read_the_same_cell_accuracy(store_file: Path) -> None:
    from fusioncell.infer.evidence import tower_accuracy as locate_towers
    from fusioncell.spacetime.positions import tower_accuracy as pattern_towers
    from fusioncell.store import CaseStore

    with CaseStore.open(store_file) as cs:
        lat, lon, acc = locate_towers(cs)
        t = pattern_towers(cs)
    mine = {(round(a, 5), round(b, 5)): c for a, b, c in zip(lat, lon, acc)}
    theirs = {(round(a, 5), round(b, 5)): c for a, b, c in zip(t.column("tlat").to_pylist(), t.column("tlon").to_pylist(),
                                                               t.column("accuracy_m").to_pylist())}
    assert mine.keys() == theirs.keys() and len(mine) >= 3
    assert all(np.isclose(mine[k], theirs[k]) for k in mine)
    assert min(mine.values()) >= 800.0


def test_a_home_is_where_most_nights_are_spent_not_most_fixes() -> None:
    from fusioncell.spacetime.home import night_homes

    # 30 fixes on one night at a friend's, one fix on each of 3 nights at home: home is home
    ident = np.array(["a"] * 33, dtype=object)
    lat = np.array([20.70] * 30 + [20.60] * 3)
    lon = np.array([-103.40] * 30 + [-103.30] * 3)
    nk = np.array([1] * 30 + [2, 3, 4])
    h = night_homes(ident, lat, lon, np.full(33, 100.0), np.ones(33, bool), np.ones(33, bool), nk)
    assert (h["a"].lat, h["a"].lon) == (20.60, -103.30)


def test_a_home_counts_the_days_lived_there_beside_the_nights() -> None:
    from fusioncell.spacetime.home import DAYS_COUNT, night_homes

    # 18 nights at his house (A), 6 nights and 24 days at her flat (B), 24 days at a workplace (W, no night):
    # B scores 6 + 24 x 0.75 = 24 against A's 18 -- her flat is home; W, never slept in, is no home at all
    a, b, w = (20.70, -103.40), (20.60, -103.30), (20.50, -103.20)
    rows = [(a, n, True) for n in range(18)] + [(b, n, True) for n in range(18, 24)]
    rows += [(b, n, False) for n in range(24)] + [(w, n, False) for n in range(24)] * 3
    lat = np.array([p[0][0] for p in rows])
    lon = np.array([p[0][1] for p in rows])
    night = np.array([p[2] for p in rows])
    nk = np.array([p[1] for p in rows])
    ident = np.array(["her"] * len(rows), dtype=object)
    every = np.ones(len(rows), bool)
    assert DAYS_COUNT == 0.75
    h = night_homes(ident, lat, lon, np.full(len(rows), 100.0), every, night, nk, day=~night)
    assert (h["her"].lat, h["her"].lon) == b
    # without her days the bed of most nights wins, as before
    h = night_homes(ident, lat, lon, np.full(len(rows), 100.0), every, night, nk)
    assert (h["her"].lat, h["her"].lon) == a
