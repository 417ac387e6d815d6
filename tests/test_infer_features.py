"""Candidate places and features on hand-made evidence."""

import numpy as np

from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.infer.features import FEATURES, Candidate, _homes, compute_features, generate_candidates
from fusioncell.spacetime.geo import haversine_m

HOME = (20.60, -103.30)
HIDEOUT = (19.95, -103.75)
T_END = np.datetime64("2026-02-28T12:00:00", "s")


def _positions(rng: np.random.Generator) -> Positions:
    """A partner: home every night but every third, when she is at the hideout; fixes every 20 min."""
    rows = []
    for day in range(27):
        place = HIDEOUT if day % 3 == 0 else HOME
        for k in range(24):  # 04:00-12:00 UTC = 22:00-06:00 local (UTC-6)
            t = np.datetime64("2026-02-01T04:00:00", "s") + np.timedelta64(day * 86400 + k * 1200, "s")
            acc = float(rng.uniform(100, 600))
            lat = place[0] + rng.normal(0, acc / 111_000 / 2)
            lon = place[1] + rng.normal(0, acc / 105_000 / 2)
            rows.append(("+52partner", t, lat, lon, acc, True, True, day, f"e{len(rows)}", "geo-1"))
    cols = list(zip(*rows))
    return Positions(
        identifier=np.array(cols[0], dtype=object), t=np.array(cols[1], dtype="datetime64[s]"),
        lat=np.array(cols[2]), lon=np.array(cols[3]), acc_m=np.array(cols[4]),
        fine=np.array(cols[5]), night=np.array(cols[6]), night_key=np.array(cols[7], dtype=np.int64),
        event_id=np.array(cols[8], dtype=object), source_id=np.array(cols[9], dtype=object),
    )


def _empty_claims() -> Claims:
    z = np.zeros(0)
    o = np.zeros(0, dtype=object)
    return Claims(z, z, z, z, o, o, o, o, np.zeros(0, dtype="datetime64[s]"))


def _empty_sightings() -> Sightings:
    z = np.zeros(0)
    o = np.zeros(0, dtype=object)
    return Sightings(z, z, z, o, np.zeros(0, dtype=bool), o, o, np.zeros(0, dtype="datetime64[s]"))


def _run(exclude_home: bool = False):  # type: ignore[no-untyped-def]
    pos = _positions(np.random.default_rng(2026))
    rel = {"+52partner": 1.0}
    homes = _homes(pos)
    cands = generate_candidates(pos, rel, _empty_claims(), _empty_sightings(), np.zeros(0), np.zeros(0), homes)
    excl = list(homes.values()) if exclude_home else None
    cs = compute_features(cands, pos, rel, _empty_claims(), _empty_sightings(), homes, T_END,
                          np.array([HOME[0]]), np.array([HOME[1]]), excl)
    return homes, cs


def test_home_is_where_most_nights_are_spent() -> None:
    homes, _ = _run()
    hl, hn, _ = homes["+52partner"]
    assert float(haversine_m(hl, hn, *HOME)) < 300


def test_nights_away_from_home_make_the_strongest_candidate_and_it_lands_on_the_hideout() -> None:
    _, cs = _run()
    best = int(np.argmax(cs.features[:, list(FEATURES).index("nights_fine")]))
    assert float(haversine_m(cs.lat[best], cs.lon[best], *HIDEOUT)) < 150


def test_a_members_own_home_is_not_evidence_for_that_place() -> None:
    pos = _positions(np.random.default_rng(2026))
    rel = {"+52partner": 1.0}
    homes = _homes(pos)
    cands = [Candidate(HOME[0], HOME[1], "test"), Candidate(HOME[0] + 0.006, HOME[1], "test (650 m N)")]
    cs = compute_features(cands, pos, rel, _empty_claims(), _empty_sightings(), homes, T_END,
                          np.array([HOME[0]]), np.array([HOME[1]]))
    nights = cs.features[:, list(FEATURES).index("nights_fine")]
    assert np.all(nights == 0), "nights at home count neither at home nor just outside its radius"


def test_homes_of_tracked_people_are_excluded_from_candidates() -> None:
    _, cs = _run(exclude_home=True)
    assert np.all(haversine_m(cs.lat, cs.lon, *HOME) > 300)


def test_no_evidence_no_candidates() -> None:
    pos = _positions(np.random.default_rng(1)).take(np.zeros(27 * 24, dtype=bool))
    cands = generate_candidates(pos, {}, _empty_claims(), _empty_sightings(), np.zeros(0), np.zeros(0), {})
    assert cands == []
