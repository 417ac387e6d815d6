"""Candidate places and features on hand-made evidence."""

import numpy as np

from fusioncell.infer.evidence import Claims, Positions, Sightings
from fusioncell.infer.candidates import generate_candidates
from fusioncell.infer.features import FEATURES, Candidate, EvidenceContext, _homes, compute_features
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
        tz_offset_s=np.full(len(rows), -6 * 3600, dtype=np.int64),
    )


def _ctx(pos: Positions, rel: dict[str, float], homes, exclude=None, partner: float = 1.0, **kw) -> EvidenceContext:  # type: ignore[no-untyped-def]
    return EvidenceContext(pos=pos, relevance=rel, partner_share={k: partner for k in rel}, claims=_empty_claims(),
                           sights=_empty_sightings(), homes=homes, as_of=T_END, tower_lat=np.array([HOME[0]]),
                           tower_lon=np.array([HOME[1]]), exclude_homes=exclude or [], tz_offset_s=pos.tz_offset_s, **kw)


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
    cs = compute_features(cands, _ctx(pos, rel, homes, excl))
    return homes, cs


def test_home_is_where_most_nights_are_spent() -> None:
    homes, _ = _run()
    hl, hn, _ = homes["+52partner"]
    assert float(haversine_m(hl, hn, *HOME)) < 300


def test_nights_away_from_home_make_the_strongest_candidate_and_it_lands_on_the_hideout() -> None:
    _, cs = _run()
    best = int(np.argmax(cs.features[:, list(FEATURES).index("nights_partner")]))
    assert float(haversine_m(cs.lat[best], cs.lon[best], *HIDEOUT)) < 150


def test_a_members_own_home_is_not_evidence_for_that_place() -> None:
    pos = _positions(np.random.default_rng(2026))
    rel = {"+52partner": 1.0}
    homes = _homes(pos)
    cands = [Candidate(HOME[0], HOME[1], "test"), Candidate(HOME[0] + 0.006, HOME[1], "test (650 m N)")]
    cs = compute_features(cands, _ctx(pos, rel, homes))
    nights = cs.features[:, list(FEATURES).index("nights_partner")]
    assert np.all(nights == 0), "nights at home count neither at home nor just outside its radius"


def test_a_home_known_only_as_a_cells_area_names_no_house_in_it() -> None:
    """``home_of_member`` (session 29, clean-room b easy-18): a lieutenant's night cell serving 24 km made the
    compound 1 km from the mast "his own home" at his full relevance. A home read from fixes is the house
    (600 m: counted in full); one only a 24 km cell area locates counts (600 / 24,000)^2 of it."""
    pos = _positions(np.random.default_rng(2026))
    col = list(FEATURES).index("home_of_member")
    for radius, want in ((600.0, 1.0), (24_000.0, (600.0 / 24_000.0) ** 2)):
        homes = {"+52partner": (HIDEOUT[0], HIDEOUT[1], radius)}
        cs = compute_features([Candidate(*HIDEOUT, "test")], _ctx(pos, {"+52partner": 1.0}, homes))
        assert abs(float(cs.features[0, col]) - want) < 1e-9, (radius, cs.features[0, col])


def test_homes_of_tracked_people_are_excluded_from_candidates() -> None:
    _, cs = _run(exclude_home=True)
    assert np.all(haversine_m(cs.lat, cs.lon, *HOME) > 300)


def test_no_evidence_no_candidates() -> None:
    pos = _positions(np.random.default_rng(1)).take(np.zeros(27 * 24, dtype=bool))
    cands = generate_candidates(pos, {}, _empty_claims(), _empty_sightings(), np.zeros(0), np.zeros(0), {})
    assert cands == []


def test_an_associates_repeated_nights_count_once_but_a_partners_accumulate() -> None:
    """Explaining away: a lieutenant who sleeps at a safe house every third night has one reason,
    not nine; the same nights by the partner (who goes there to see him) keep adding up."""
    pos = _positions(np.random.default_rng(7))
    homes = _homes(pos)
    cand = [Candidate(HIDEOUT[0], HIDEOUT[1], "test")]
    as_partner = compute_features(cand, _ctx(pos, {"+52partner": 1.0}, homes, partner=1.0))
    as_other = compute_features(cand, _ctx(pos, {"+52partner": 1.0}, homes, partner=0.0))
    col = list(FEATURES).index
    # nine nights, recency-weighted (ages 3-27 days): about 2.6 units, more than the one an associate may add
    assert as_partner.features[0, col("nights_partner")] > np.log1p(2.0)
    assert as_partner.features[0, col("nights_others")] == 0.0
    assert as_other.features[0, col("nights_partner")] == 0.0
    # capped at one unit for the one associate: log1p(1)
    assert abs(as_other.features[0, col("nights_others")] - np.log1p(1.0)) < 1e-9


def _coverage_without(lat: float, lon: float):  # type: ignore[no-untyped-def]
    """One cell site at the partner's home serving 5 km: the hideout, 80 km away, is a hole."""
    from fusioncell.spacetime.coverage import Coverage

    return Coverage(np.array([lat]), np.array([lon]), np.array([5000.0]), np.array([0], dtype=np.int64))


def _silent_partner(hole_nights: list[int]) -> Positions:
    """Partner at home day and night, a fix every 20 min, except on ``hole_nights``: no fix 21:00-07:00 local."""
    n = 27 * 72
    t = np.datetime64("2026-02-01T06:00:00", "s") + np.arange(n) * np.timedelta64(1200, "s")  # from 00:00 local
    local_h = (np.arange(n) * 1200 // 3600) % 24
    night_key = (np.arange(n) * 1200 - 12 * 3600) // 86400  # evening date (days since the start)
    silent = np.isin(night_key, hole_nights) & ((local_h >= 21) | (local_h < 7))
    rng = np.random.default_rng(3)
    lat = HOME[0] + rng.normal(0, 0.001, n)
    lon = HOME[1] + rng.normal(0, 0.001, n)
    return partner_fixes(t, lat, lon, local_h, night_key).take(~silent)


def partner_fixes(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, local_h: np.ndarray, night_key: np.ndarray,
                  acc_m: float = 200.0) -> Positions:
    """Her handset's fixes (one phone, UTC-6): night-time is 21:00-06:00 local, ``night_key`` the evening's date."""
    n = lat.size
    return Positions(
        identifier=np.full(n, "+52partner", dtype=object), t=t, lat=lat, lon=lon, acc_m=np.full(n, acc_m),
        fine=np.ones(n, dtype=bool), night=(local_h >= 21) | (local_h < 6), night_key=night_key.astype(np.int64),
        event_id=np.array([f"e{i}" for i in range(n)], dtype=object), source_id=np.full(n, "geo-1", dtype=object),
        tz_offset_s=np.full(n, -6 * 3600, dtype=np.int64))


def test_silent_nights_point_at_a_reachable_place_out_of_coverage() -> None:
    hole_nights = [3, 9, 15, 21]
    pos = _silent_partner(hole_nights)
    homes = _homes(pos)
    near_hole = (HOME[0] - 0.5, HOME[1] - 0.3)  # ~60 km: reachable overnight, out of coverage
    far_hole = (HOME[0] + 4.0, HOME[1])  # ~440 km: out of coverage but not reachable and back
    covered = (HOME[0] + 0.01, HOME[1] + 0.01)  # 1.5 km from the site: covered, so silence is not explained
    cands = [Candidate(*near_hole, "test"), Candidate(*far_hole, "test"), Candidate(*covered, "test")]
    cs = compute_features(cands, _ctx(pos, {"+52partner": 1.0}, homes, coverage=_coverage_without(*HOME)))
    f = cs.features[:, list(FEATURES).index("silent_nights")]
    assert f[0] > np.log1p(1.0), "several silent nights, one reachable hole: the hole takes them"
    assert f[1] == 0.0  # not reachable and back in the gap
    assert f[2] < 0.05 * f[0]  # 3.5 km inside coverage: p(blind) ≈ 0.03 on the soft edge


def test_a_phone_that_is_never_silent_gives_no_silent_nights() -> None:
    pos = _silent_partner([])
    homes = _homes(pos)
    cands = [Candidate(HOME[0] - 0.5, HOME[1] - 0.3, "test")]
    cs = compute_features(cands, _ctx(pos, {"+52partner": 1.0}, homes, coverage=_coverage_without(*HOME)))
    assert cs.features[0, list(FEATURES).index("silent_nights")] == 0.0


def _claims_at(points: list[tuple[float, float]], sources: list[str], weight: float = 1.4) -> Claims:
    n = len(points)
    return Claims(np.array([p[0] for p in points]), np.array([p[1] for p in points]), np.full(n, 500.0),
                  np.full(n, weight), np.full(n, "B2", dtype=object), np.array([f"r{i}" for i in range(n)], dtype=object),
                  np.array(sources, dtype=object), np.full(n, "located_near", dtype=object),
                  np.full(n, np.datetime64("2026-02-10T00:00:00", "s")))


def test_a_source_whose_claim_hard_data_contradicts_loses_weight_and_one_it_confirms_keeps_it() -> None:
    from fusioncell.infer.sources import source_track_record

    col = {n: i for i, n in enumerate(FEATURES)}
    F = np.zeros((2, len(FEATURES)))
    F[0, col["nights_partner"]] = np.log1p(4.0)  # the hideout: four of her nights
    clat, clon = np.array([HIDEOUT[0], HOME[0] + 0.3]), np.array([HIDEOUT[1], HOME[1]])
    claims = _claims_at([(HOME[0] + 0.3, HOME[1]), HIDEOUT], ["planted", "honest"])
    rec = source_track_record(clat, clon, F, col, claims)
    assert rec["planted"] == (0, 1, 1.0 / 3.0)
    assert rec["honest"] == (1, 0, 1.0)


def test_without_hard_data_anywhere_no_source_is_judged() -> None:
    from fusioncell.infer.sources import source_track_record

    col = {n: i for i, n in enumerate(FEATURES)}
    F = np.zeros((2, len(FEATURES)))
    rec = source_track_record(np.array([19.0, 20.0]), np.array([-103.0, -103.0]), F, col,
                              _claims_at([(19.0, -103.0)], ["s"]))
    assert rec["s"] == (0, 0, 1.0)


def _household_run(read_days: list[tuple[str, int]]):  # type: ignore[no-untyped-def]
    """The partner's nights (at the hideout every third night, last on night 24), candidates at the hideout
    and at a house 6 km away, and plate:X read at noon local on the given (place, day) pairs."""
    return _household_run_plates([("plate:X", p, d) for p, d in read_days])


def _household_run_plates(read_days: list[tuple[str, str, int]]):  # type: ignore[no-untyped-def]
    """As :func:`_household_run`, with the plate of each read given: (plate, place, day)."""
    from fusioncell.infer.household import Reads

    pos = _positions(np.random.default_rng(2026))
    rel = {"+52partner": 1.0}
    homes = _homes(pos)
    new = (HIDEOUT[0] + 0.054, HIDEOUT[1])
    at = {"hideout": HIDEOUT, "new": new}
    t = [np.datetime64("2026-02-01T18:00:00", "s") + np.timedelta64(d * 86400, "s") for _, _, d in read_days]
    reads = Reads(np.array([at[p][0] for _, p, _ in read_days]), np.array([at[p][1] for _, p, _ in read_days]),
                  np.array(t, dtype="datetime64[s]"), np.array([x for x, _, _ in read_days]), np.full(len(t), 0.8),
                  np.array([f"s{i}" for i in range(len(t))]), np.array(["imint-1"] * len(t)))
    cands = [Candidate(*HIDEOUT, "test"), Candidate(*new, "test (6 km N)")]
    cs = compute_features(cands, _ctx(pos, rel, homes, reads=reads))
    return cs.features[:, list(FEATURES).index("overdue")], cs.successors


def test_his_household_vehicle_read_elsewhere_after_her_last_visit_says_he_moved_there() -> None:
    # parked at the hideout on days 3 and 9 (two days: its household), then read at the new house on
    # day 26, after her last night at the hideout (night 24)
    base, succ0 = _household_run([])
    moved, succ = _household_run([("hideout", 3), ("hideout", 9), ("new", 26)])
    # d = 0.8: the odds he left grow by 0.8 / 0.3 + 0.2 = 2.87 (overdue = log(1 + odds x LR))
    odds = np.expm1(base[0])
    assert odds > 0.01 and abs(moved[0] - np.log1p(odds * (0.8 / 0.3 + 0.2))) < 1e-9
    assert succ0[0, 1] == 0.0 and abs(succ[0, 1] - 0.8) < 1e-9  # where it went: one read of confidence 0.8


def test_an_errand_while_her_visits_go_on_or_a_vehicle_read_once_says_nothing() -> None:
    base, _ = _household_run([])
    errand, succ_e = _household_run([("hideout", 3), ("hideout", 9), ("new", 20)])  # she came on night 21, 24
    once, succ_o = _household_run([("hideout", 9), ("new", 26)])  # one read at the hideout: a passer-by
    assert errand[0] == base[0] and once[0] == base[0]
    assert succ_e[0, 1] == 0.0 and succ_o[0, 1] == 0.0


def test_his_household_vehicle_still_parked_after_her_last_visit_says_he_stayed() -> None:
    # parked at the hideout on days 3 and 9 (its household) and again on day 26, after her last night there
    # (night 24): had he left, it would have gone with him. The odds he left shrink by 0.8 x 0.3 + 0.2 = 0.44
    base, _ = _household_run([])
    stayed, succ = _household_run([("hideout", 3), ("hideout", 9), ("hideout", 26)])
    odds = np.expm1(base[0])
    assert odds > 0.01 and abs(stayed[0] - np.log1p(odds * (0.8 * 0.3 + 0.2))) < 1e-9
    assert succ[0, 1] == 0.0


def test_two_departing_vehicles_count_as_one_household_not_twice() -> None:
    # two plates parked at the hideout on days 3 and 9, both read at the new house on day 26: the household
    # moved as one; the odds grow by 0.8 / 0.3 + 0.2 once, as for one vehicle
    one, _ = _household_run([("hideout", 3), ("hideout", 9), ("new", 26)])
    two, succ = _household_run_plates([("plate:X", "hideout", 3), ("plate:X", "hideout", 9), ("plate:X", "new", 26),
                                       ("plate:Y", "hideout", 3), ("plate:Y", "hideout", 9), ("plate:Y", "new", 26)])
    assert abs(two[0] - one[0]) < 1e-12
    assert abs(succ[0, 1] - 1.6) < 1e-9  # but both reads say where it went


def test_a_sighting_of_him_says_where_he_was_and_weighs_by_its_age_as_her_nights_do() -> None:
    """Two sightings of him, confidence 0.6 each, exactly at two candidates: one 20 days before the end of the
    data, one a day before. Each weighs its confidence times exp(-age / 10 days), the recency her nights get
    (``TAU_DAYS``): a man in hiding moves, and a sighting three weeks old says where he was."""
    from dataclasses import replace

    pos = _positions(np.random.default_rng(2026))
    rel = {"+52partner": 1.0}
    homes = _homes(pos)
    a, b = (HIDEOUT[0] + 0.2, HIDEOUT[1]), (HIDEOUT[0] - 0.2, HIDEOUT[1])
    t = np.array([T_END - np.timedelta64(20 * 86400, "s"), T_END - np.timedelta64(86400, "s")], dtype="datetime64[s]")
    sights = Sightings(np.array([a[0], b[0]]), np.array([a[1], b[1]]), np.array([0.6, 0.6]),
                       np.array(["person-target"] * 2, dtype=object), np.array([True, True]),
                       np.array(["s1", "s2"], dtype=object), np.array(["imint"] * 2, dtype=object), t)
    cs = compute_features([Candidate(*a, "test"), Candidate(*b, "test")], replace(_ctx(pos, rel, homes), sights=sights))
    got = cs.features[:, list(FEATURES).index("sighting_him")]
    assert np.allclose(got, [np.log1p(0.6 * np.exp(-2.0)), np.log1p(0.6 * np.exp(-0.1))])


def test_per_identifier_values_are_spread_to_every_row_of_that_identifier() -> None:
    """``Positions.per_ident`` looks a value up once per identifier and gives it to each of its rows, in row
    order (rows of one identifier need not be adjacent); absent identifiers get the default; a tuple value
    gives one column per element; a subset (``take``) looks its own rows up."""
    pos = _positions(np.random.default_rng(3))
    n = len(pos)
    ident = np.array(["+52b", "+52a", "+52c"] * (n // 3) + ["+52b"] * (n % 3), dtype=object)
    pos.identifier = ident
    got = pos.per_ident({"+52a": 1.0, "+52b": 2.0}, default=-1.0)
    assert got.tolist() == [{"+52a": 1.0, "+52b": 2.0}.get(i, -1.0) for i in ident]
    homes = pos.per_ident({"+52c": (20.5, -103.2, 400.0)}, (np.nan, np.nan, 0.0))
    assert homes.shape == (n, 3)
    assert homes[2].tolist() == [20.5, -103.2, 400.0] and np.isnan(homes[0, 0]) and homes[0, 2] == 0.0
    sub = pos.take(ident == "+52a")
    assert sub.per_ident({"+52a": 5.0}).tolist() == [5.0] * int((ident == "+52a").sum())
    assert pos.take(np.zeros(n, dtype=bool)).per_ident({"+52a": 5.0}).shape == (0,)


def test_an_informants_area_centre_does_not_hide_a_known_address_beside_it() -> None:
    """A graded claim's area (1.5 km) centred 349 m from a known address: the claim's seed is stronger and
    used to take the place, and the address (a point, perhaps his house) was never a candidate. A house seed
    is merged only into another house seed (session 21), so both are candidates."""
    pos = _positions(np.random.default_rng(1)).take(np.zeros(27 * 24, dtype=bool))
    addr = (20.0, -103.5)
    centre = (20.0 + 349.0 / 111195.0, -103.5)
    o = np.array(["x"], dtype=object)
    claims = Claims(np.array([centre[0]]), np.array([centre[1]]), np.array([1500.0]), np.array([0.73]), o, o, o,
                    np.array(["located_near"], dtype=object), np.zeros(1, dtype="datetime64[s]"))
    cands = generate_candidates(pos, {}, claims, _empty_sightings(), np.array([addr[0]]), np.array([addr[1]]), {})
    assert sorted(c.origin for c in cands) == ["informant area", "known address"]
    address = next(c for c in cands if c.origin == "known address")
    assert float(haversine_m(address.lat, address.lon, *addr)) < 1.0
