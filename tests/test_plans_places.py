"""Places on the query layer (scale5): the plans ``places.*`` give the same places and visits on both
engines, and a tie between two homes (or two workplaces) goes to the first place id on every engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_plans_parity import same_rows
from test_spacetime_places import D0, _routine_case

from fusioncell.spacetime import visits
from fusioncell.spacetime.places import build_places
from fusioncell.spacetime.staypoints import StayParams, stay_points
from fusioncell.spacetime.synth import StoreBuilder
from fusioncell.store.engine import EngineSettings

A = (20.00, -103.00)
B = (20.10, -103.00)  # farther north: the second place id (fine places are numbered by latitude)


def test_a_tie_of_nights_makes_the_first_place_home() -> None:
    b = StoreBuilder()
    for day, where in enumerate((B, A, B, A)):  # two nights at each, 23:00-07:00 local
        b.dwell("+z", D0 + timedelta(days=day), 8, *where, seed=day)
    v = visits(b.store, ["+z"]).to_pylist()
    role = {round(r["lat"], 2): r["role"] for r in v}
    assert role == {20.0: "home", 20.1: "other"}


@pytest.mark.spark
def test_places_and_visits_are_the_same_on_both_engines() -> None:
    pytest.importorskip("pyspark")
    b = _routine_case()
    stays = stay_points(b.store, None, StayParams())
    want_pl, want_v = build_places(b.store, stays)
    assert want_pl.num_rows >= 3 and set(want_v.column("role").to_pylist()) == {"home", "work", "other"}
    assert any(x is not None for x in want_pl.column("remote").to_pylist())  # the town was found
    got_pl, got_v = build_places(b.store.use_engine(EngineSettings("spark", "local[2]")), stays)
    same_rows(want_pl, got_pl, drop=())
    same_rows(want_v, got_v, drop=())
