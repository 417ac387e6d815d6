"""The target's circle: graded claims, attributed phones, alias-only partners."""

from datetime import datetime, timedelta, timezone

import pytest

from fusioncell.infer.circle import ROLE_RELEVANCE, target_circle
from fusioncell.model.grading import p_true
from fusioncell.store import CaseStore
from tests.rows import put

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def _store() -> CaseStore:
    cs = CaseStore.memory()
    put(cs.con, "case_info", case_id="c", title="t", owner_agency="AG", legal_authority="order 1",
        timezone="America/Mexico_City", phone_region="MX", raw_toml="")
    put(cs.con, "targets", entity_id="person-target")
    put(cs.con, "sources", source_id="h1", agency="AG", discipline="HUMINT", method="informant", reliability="B",
        releasable_to=[], line=1)
    put(cs.con, "entities", entity_id="person-target", schema="Person", caption="X", properties="{}", raw="{}",
        line=1)
    return cs


def _claim(cs: CaseStore, rid: str, subject: str, predicate: str, obj: str, rel: str = "B", cred: int = 2) -> None:
    cs.con.execute(
        "INSERT INTO claims (report_id, claim_no, source_id, agency, reliability, credibility, subject, predicate, object) "
        "VALUES (?, 0, 'h1', 'AG', ?, ?, ?, ?, ?)",
        [rid, rel, cred, subject, predicate, obj],
    )


def _call(cs: CaseStore, eid: str, a: str, b: str, t: datetime, lat: float, lon: float) -> None:
    cs.con.execute(
        "INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee, caller_lat, caller_lon) "
        "VALUES (?, 'h1', 'AG', ?, 60, 'call', ?, ?, ?, ?)",
        [eid, t, a, b, lat, lon],
    )


def test_partner_phone_relevance_is_the_product_of_the_two_graded_claims() -> None:
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera", "B", 2)
    _claim(cs, "r2", "alias:La Güera", "uses", "+523312345678", "C", 3)
    circle = target_circle(cs, "person-target")
    m = circle.members["+523312345678"]
    assert m.role == "partner" and m.person == "alias:La Güera"
    expected = ROLE_RELEVANCE["partner"] * p_true("B", 2) * p_true("C", 3)
    assert m.relevance == pytest.approx(expected)
    assert m.source_ids == {"h1"}


def test_no_claim_about_the_target_means_an_empty_circle() -> None:
    cs = _store()
    _claim(cs, "r1", "person-a", "partner_of", "person-b")
    assert target_circle(cs, "person-target").members == {}


def _partner_scene(cs: CaseStore, tracked: bool = True, switch: tuple[int, str] | None = None) -> tuple[str, str, str]:
    """A lead (tracked, unless not) who calls two people nightly: a homebody and a woman who often sleeps far away
    (from ``switch`` = (day, number) on, she calls from that new number)."""
    lead, homebody, partner = "+523300000001", "+523300000002", "+523300000003"
    if tracked:
        cs.con.execute(
            "INSERT INTO locations (event_id, source_id, agency, observed, identifier, lat, lon) "
            "VALUES ('l1', 'h1', 'AG', ?, ?, 20.6, -103.3)", [T0, lead])
    n = 0
    for day in range(20):
        night = T0 + timedelta(days=day, hours=16)  # 22:00 local (UTC-6)
        for k in range(3):
            n += 1
            _call(cs, f"e{n}", homebody, lead, night + timedelta(minutes=k), 20.60, -103.30)
        n += 1
        far = day % 2 == 0
        hers = switch[1] if switch and day >= switch[0] else partner
        _call(cs, f"e{n}", hers, lead, night, 19.90 if far else 20.61, -103.70 if far else -103.31)
    return lead, homebody, partner


def test_alias_without_a_number_is_found_among_her_friends_contacts_by_her_nights_away() -> None:
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "+523300000001", "associate_of", "alias:La Güera")  # the seed lead
    # the homebody calls the lead more often, always from the same cell; the
    # partner spends every other night on a far cell
    _, homebody, partner = _partner_scene(cs, tracked=False)
    circle = target_circle(cs, "person-target")
    assert circle.members[partner].relevance > circle.members[homebody].relevance
    assert circle.members[partner].person == "alias:La Güera"


def test_a_weakly_graded_number_yields_to_the_tracked_leads_contact_who_sleeps_away() -> None:
    # "La Güera uses +52…99" from a D3 report (p≈0.54), nobody close to her calls that number;
    # the tracked lead (her friend: why the investigation tracks her) calls a number every
    # night that spends half the nights on a far cell
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "D", 3)
    _, homebody, partner = _partner_scene(cs)
    circle = target_circle(cs, "person-target")
    claimed = circle.members["+523300000099"]
    assert claimed.role == "partner"  # still a hypothesis, not dropped
    assert circle.members[partner].role == "partner"
    assert circle.members[partner].relevance > claimed.relevance
    assert circle.members[partner].relevance > circle.members[homebody].relevance
    # the candidates' identity probabilities stay a distribution (her number may be elsewhere)
    total = sum(m.p_identity for m in circle.members.values() if m.person == "alias:La Güera")
    assert total <= p_true("B", 2) + 1e-9


def test_a_well_graded_number_is_not_diluted_by_contact_candidates() -> None:
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "A", 1)
    _claim(cs, "r3", "alias:La Güera", "uses", "+523300000099", "B", 1)
    _, _, partner = _partner_scene(cs)
    circle = target_circle(cs, "person-target")
    assert circle.members["+523300000099"].relevance == pytest.approx(
        ROLE_RELEVANCE["partner"] * p_true("B", 2) * (1 - (1 - p_true("A", 1)) * (1 - p_true("B", 1))))
    assert partner not in circle.members or circle.members[partner].role != "partner"


def test_one_report_and_the_burner_successor_it_brings_are_one_attribution_not_two() -> None:
    """A B2 report gives her a number (p 0.87); resolve gives her its burner successor too (p 0.86), on the
    strength of that same report. Counted as two independent attributions (1 - 0.13 x 0.14 = 0.98) they
    passed the 0.9 at which the circle stops looking for her number, and her real one — the lead's nightly
    contact who sleeps far away every other night — was never a candidate (a lieutenant's number planted
    this way carried a decoy to 0.85). One report is one attribution: 0.87, and the search goes on."""
    from fusioncell.resolve.persons import Attribution, Persons

    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "B", 2)
    _, _, partner = _partner_scene(cs)
    successor = "+523300000098"
    who = Persons("run", {successor: Attribution(successor, "alias:La Güera", 0.86, "burner")})
    members = target_circle(cs, "person-target", who=who).members
    assert members[successor].person == "alias:La Güera"
    assert members[successor].source_ids == {"h1"}  # it rests on the report's source
    assert members[partner].role == "partner" and members[partner].person == "alias:La Güera"


def test_one_number_keeps_every_role_it_may_stand_in() -> None:
    cs = _store()
    _claim(cs, "r1", "person-target", "meets", "alias:El Flaco", "C", 3)
    _claim(cs, "r2", "alias:El Flaco", "uses", "+523300000050", "B", 2)
    _claim(cs, "r3", "person-target", "partner_of", "alias:La Güera", "B", 2)
    _claim(cs, "r4", "alias:La Güera", "uses", "+523300000050", "C", 3)
    m = target_circle(cs, "person-target").members["+523300000050"]
    assert set(m.roles) == {"meets", "partner"}
    assert m.roles["meets"] == pytest.approx(p_true("C", 3) * p_true("B", 2))


def test_a_tracked_number_can_still_be_recognised_as_her_phone() -> None:
    # once the investigation tracks the number it believes is hers, it must stay
    # "partner" (her overnight stays weigh most), not fall back to a generic lead
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _, homebody, partner = _partner_scene(cs)
    cs.con.execute(
        "INSERT INTO locations (event_id, source_id, agency, observed, identifier, lat, lon) "
        "VALUES ('l2', 'h1', 'AG', ?, ?, 19.9, -103.7)", [T0, partner])
    m = target_circle(cs, "person-target").members[partner]
    assert m.role == "partner" and m.person == "alias:La Güera"
    assert m.relevance >= ROLE_RELEVANCE["tracked"]


def test_nights_away_count_as_remote_only_where_masts_are_few() -> None:
    from fusioncell.infer.circle import away_night_fraction, remote_night_fraction

    cs = _store()
    traveller, partner, other = "+523300000011", "+523300000012", "+523300000013"
    n = 0
    # a town 60 km away: six masts within 2 km of each other, busy with other people's calls
    town = [(20.10 + 0.003 * k, -103.80) for k in range(6)]
    for k, (la, lo) in enumerate(town):
        n += 1
        _call(cs, f"t{n}", other, "+523300000099", T0 + timedelta(hours=k), la, lo)
    for day in range(10):
        night = T0 + timedelta(days=day, hours=16)  # 22:00 local
        away = day % 3 == 0  # 4 nights of 10
        n += 1
        _call(cs, f"e{n}", traveller, other, night, town[0][0] if away else 20.60, town[0][1] if away else -103.30)
        n += 1
        _call(cs, f"e{n}", partner, other, night, 19.40 if away else 20.61, -103.90 if away else -103.31)
    away = away_night_fraction(cs, [traveller, partner])
    assert away[traveller] == pytest.approx(0.4) and away[partner] == pytest.approx(0.4)
    remote = remote_night_fraction(cs, [traveller, partner])
    assert remote[traveller] == 0.0
    assert remote[partner] == pytest.approx(0.4)


def test_a_far_mast_answering_at_home_is_not_a_night_away() -> None:
    """In the countryside masts stand ~5 km apart and the nearest serves only part of the time: a farmhand
    who never leaves his house is served by three of them. His nights are home; the partner's nights
    40 km away are not (a fixed 3 km radius called two thirds of his nights "away")."""
    from fusioncell.infer.circle import away_night_fraction

    cs = _store()
    farmhand, partner, other = "+523300000021", "+523300000022", "+523300000023"
    masts = [(20.60, -103.30), (20.645, -103.30), (20.60, -103.348)]  # ~5 km apart
    n = 0
    for day in range(12):
        night = T0 + timedelta(days=day, hours=16)  # 22:00 local
        n += 1
        la, lo = masts[0] if day % 2 == 0 else masts[1 + (day // 2) % 2]  # the nearest on half the nights
        _call(cs, f"f{n}", farmhand, other, night, la, lo)
        away = day % 4 == 0  # 3 nights of 12
        n += 1
        _call(cs, f"p{n}", partner, other, night, 19.90 if away else 21.00, -103.60 if away else -103.00)
    frac = away_night_fraction(cs, [farmhand, partner])
    assert frac[farmhand] == 0.0
    assert frac[partner] == pytest.approx(0.25)


def _fix(cs: CaseStore, eid: str, ident: str, t: datetime, lat: float, lon: float, acc: float = 300.0) -> None:
    cs.con.execute(
        "INSERT INTO locations (event_id, source_id, agency, observed, identifier, lat, lon, accuracy_m) "
        "VALUES (?, 'h1', 'AG', ?, ?, ?, ?, ?)", [eid, t, ident, lat, lon, acc])


def test_a_tracked_phones_nights_across_town_are_away_by_its_fixes() -> None:
    """Her nights at a house 4 km from hers are served by her own mast (cell records say "home"); her
    fixes say otherwise. An evening out that ends at home is not a night away."""
    from fusioncell.infer.circle import away_night_fraction, fix_away_night_fraction

    cs = _store()
    her, homebody, late, other = "+523300000031", "+523300000032", "+523300000033", "+523300000034"
    home, house = (20.600, -103.300), (20.636, -103.300)  # 4.0 km apart
    n = 0
    for day in range(10):
        night = T0 + timedelta(days=day, hours=16)  # 22:00 local (UTC-6)
        away = day in (1, 4, 7)  # 3 nights of 10
        for ident in (her, homebody, late):
            n += 1
            _call(cs, f"c{n}", ident, other, night, *home)  # one mast serves both houses
        for h, ident in ((0, her), (4, her), (0, homebody), (4, homebody), (0, late), (4, late), (6, late)):
            n += 1
            at = house if (ident == her and away) or (ident == late and away and h == 0) else home
            _fix(cs, f"f{n}", ident, night + timedelta(hours=h), *at)
    assert away_night_fraction(cs, [her, homebody])[her] == 0.0  # the masts cannot tell
    frac = fix_away_night_fraction(cs, [her, homebody, late, other])
    assert frac[her] == pytest.approx(0.3)
    assert frac[homebody] == 0.0
    assert frac[late] == 0.0  # away at 22:00, home at 02:00 and 04:00: most of the night at home
    assert other not in frac  # no fixes: nothing to say


def test_of_two_tracked_friends_the_one_who_sleeps_across_town_is_more_likely_her() -> None:
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    lead, her, friend = "+523300000041", "+523300000042", "+523300000043"
    home, house = (20.600, -103.300), (20.636, -103.300)
    n = 0
    for day in range(10):
        night = T0 + timedelta(days=day, hours=16)
        away = day in (1, 4, 7)
        for ident in (her, friend):
            n += 1
            _call(cs, f"c{n}", ident, lead, night, *home)  # the lead calls both alike, from one mast
            for h in (0, 4):
                n += 1
                _fix(cs, f"f{n}", ident, night + timedelta(hours=h), *(house if ident == her and away else home))
        n += 1
        _fix(cs, f"f{n}", lead, night, *home)
    members = target_circle(cs, "person-target").members
    assert members[her].roles["partner"] > members[friend].roles["partner"]
    assert "away from where it usually sleeps on 30% of nights" in " ".join(members[her].reasons)


def test_a_far_mast_answering_one_call_of_a_busy_night_is_not_a_night_at_a_remote_site() -> None:
    """A farmhand makes four calls a night from home; now and then one is answered by a remote mast 40 km
    away. The partner's one call of a night from that remote place is her night there."""
    from fusioncell.infer.circle import remote_night_fraction

    cs = _store()
    farmhand, partner, other = "+523300000051", "+523300000052", "+523300000053"
    home, far = (20.60, -103.30), (20.25, -103.45)  # ~41 km apart, each mast alone in its country
    n = 0
    for day in range(10):
        night = T0 + timedelta(days=day, hours=16)  # 22:00 local
        for k in range(4):
            n += 1
            _call(cs, f"f{n}", farmhand, other, night + timedelta(minutes=20 * k),
                  *(far if k == 0 and day % 3 == 0 else home))  # 4 nights of 10, one call of four
        n += 1
        _call(cs, f"p{n}", partner, other, night, *(far if day % 5 == 0 else home))  # 2 nights of 10
    frac = remote_night_fraction(cs, [farmhand, partner])
    assert frac[farmhand] == 0.0
    assert frac[partner] == pytest.approx(0.2)


def _home_every_night(cs: CaseStore, ident: str, nights: int, at: tuple[float, float]) -> None:
    """Handset fixes of a tracked phone at one house at 22:00 and 02:00 local, every night."""
    for day in range(nights):
        for h in (0, 4):
            put(cs.con, "locations", event_id=f"h{ident[-3:]}-{day}-{h}", source_id="h1", agency="AG",
                observed=T0 + timedelta(days=day, hours=16 + h), identifier=ident, lat=at[0], lon=at[1],
                accuracy_m=200.0)


def test_a_well_graded_number_tracked_home_every_night_reopens_the_search_for_hers() -> None:
    """An A1 report gives her a number (p 0.95); tracked, it sleeps at one house all 21 nights, as
    hers would not (a partner spends nights with him, or switches off). Bayes with the tracking test
    (r1 = 0.12, r0 = 0.03, floor 0.1) brings it below 0.9, and her real number — the lead's nightly
    contact who sleeps far away every other night — becomes her likeliest phone."""
    from fusioncell.infer.circle import FixNights, partner_track_ratio

    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "A", 1)
    _, _, partner = _partner_scene(cs)
    _home_every_night(cs, "+523300000099", 21, (20.70, -103.40))
    p0 = p_true("A", 1)
    lr = 0.1 + 0.9 * (0.88 / 0.97) ** 21  # worked by hand: 21 nights at home, none away or dark
    assert partner_track_ratio(FixNights(21, 0, 0)) == pytest.approx(lr)
    members = target_circle(cs, "person-target").members
    claimed = members["+523300000099"]
    p1 = p0 * lr / (p0 * lr + 1 - p0)  # 0.80: below 0.9, the circle looks among her people's contacts
    assert any(f"tracked 21 nights, away or off on 0" in r and f"hers: 0.95 -> {p1:.2f}" in r
               for r in claimed.reasons)
    assert claimed.attribution["partner"] < p1  # then weighed in the pool: nobody close to her calls it
    assert members[partner].role == "partner" and members[partner].person == "alias:La Güera"
    assert members[partner].relevance > claimed.relevance


def test_a_tracked_number_that_is_away_some_nights_keeps_its_attribution() -> None:
    """The test only rules out: the same number away on 4 of 21 nights keeps its reports' weight."""
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "A", 1)
    _partner_scene(cs)
    _home_every_night(cs, "+523300000099", 17, (20.70, -103.40))
    for day in range(17, 21):  # four nights at a house 30 km away
        put(cs.con, "locations", event_id=f"a{day}", source_id="h1", agency="AG",
            observed=T0 + timedelta(days=day, hours=17), identifier="+523300000099", lat=20.43, lon=-103.40,
            accuracy_m=200.0)
    claimed = target_circle(cs, "person-target").members["+523300000099"]
    assert claimed.attribution["partner"] == pytest.approx(p_true("A", 1))


def test_a_tracked_stranger_does_not_bring_his_contacts_into_her_candidates() -> None:
    """A report names her friend (the lead); the investigation also tracks a phone that is not hers and
    nobody ties to her (a candidate it tried). His nightly contact, who sleeps far away every night, is no
    candidate for her number: her people are the ones a report links to her. (Before, every tracked phone
    was her people, and each wrong candidate tracked brought in its own contacts.)"""
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "+523300000001", "associate_of", "alias:La Güera")  # the seed lead, her friend
    _, _, partner = _partner_scene(cs)
    stranger, his_friend = "+523300000061", "+523300000062"
    _home_every_night(cs, stranger, 20, (20.80, -103.50))
    for day in range(20):
        _call(cs, f"s{day}", his_friend, stranger, T0 + timedelta(days=day, hours=16), 19.90, -103.70)
    members = target_circle(cs, "person-target").members
    assert members[partner].person == "alias:La Güera"
    assert his_friend not in members or members[his_friend].roles.get("partner", 0.0) == 0.0


def test_identify_says_why_a_tracked_reported_number_is_probably_not_hers() -> None:
    """The analyst reads, beside the reported number in `identify`, what its track said."""
    from fusioncell.infer.plan import people_to_identify, render_text

    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "A", 1)
    _, _, partner = _partner_scene(cs)
    _home_every_night(cs, "+523300000099", 21, (20.70, -103.40))
    tracked = {r[0] for r in cs.con.execute("SELECT DISTINCT identifier FROM locations").fetchall()}
    ident = people_to_identify(target_circle(cs, "person-target"), tracked)
    cands = {c["identifier"]: c for c in ident[0]["candidates"]}
    assert ident[0]["person"] == "alias:La Güera" and ident[0]["candidates"][0]["identifier"] == partner
    assert cands["+523300000099"]["note"].startswith("tracked 21 nights, away or off on 0")
    assert "note" not in cands[partner]
    text = render_text({"case": "c", "target": "person-target", "recommendations": [], "identify": ident})
    assert "+523300000099 (p=" in text and "tracked 21 nights" in text




def test_a_well_graded_number_the_entity_file_gives_to_another_woman_reopens_the_search_for_hers() -> None:
    """A planted A1 report gives "La Güera" a number that the case's known entities list under another
    woman (name and alias): both cannot be right. Before, the A1 claim (p 0.95) settled her number and her
    real one, called by her friend every night and away every other night, was never a candidate."""
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:La Güera", "uses", "+523300000099", "A", 1)
    put(cs.con, "entities", entity_id="person-n", schema="Person", caption="Liliana Álvarez",
        properties='{"name": ["Liliana Álvarez"], "alias": ["La Nena"]}', raw="{}", line=2)
    put(cs.con, "entity_identifiers", entity_id="person-n", identifier="+523300000099",
        identifier_raw="+523300000099", prop="phone")
    put(cs.con, "entity_identifiers", entity_id="person-n", identifier="alias:La Nena", identifier_raw="La Nena",
        prop="alias")
    _, homebody, partner = _partner_scene(cs)
    circle = target_circle(cs, "person-target")
    claimed = circle.members["+523300000099"]
    assert claimed.role == "partner"  # still a hypothesis
    assert any("contested (hers: 0.95 -> 0.68)" in r for r in claimed.reasons)
    assert circle.members[partner].role == "partner" and circle.members[partner].person == "alias:La Güera"
    assert circle.members[partner].relevance > claimed.relevance > 0.0


@pytest.mark.parametrize("relationship, role", [("spouse", "partner"), ("concubina", "partner"), ("esposo", "partner"),
                                                ("hermana", "family"), ("business partner", "associate")])
def test_a_known_family_link_is_read_with_the_network_stages_words(tmp_path, relationship: str, role: str) -> None:
    """A partner agency's FtM ``Family`` entity says "spouse" or "concubina", not "wife": she is his partner
    (before, only seven words made a partner, and a "spouse" was family); a business partner is an associate."""
    from casefolder import CaseFolder
    from fusioncell.store import open_case

    c = CaseFolder()
    c.source("humint", "HUMINT")
    c.person("person-w", phone=["+523312345678"])
    c.entities.append({"id": "fam-1", "schema": "Family" if role != "associate" else "Associate",
                       "properties": {"person": ["person-target"], ("relative" if role != "associate" else "associate"):
                                      ["person-w"], "relationship": [relationship]}})
    with open_case(c.write(tmp_path / "case")) as cs:
        m = target_circle(cs, "person-target").members["+523312345678"]
    assert m.person == "person-w" and m.role == role, (m.person, m.role)


@pytest.mark.parametrize("order", ["a_first", "b_first"])
def test_the_usual_night_cell_is_chosen_the_same_way_whatever_the_order_of_the_records(order: str) -> None:
    """Two cells 20 km apart serve her phone on two nights each, a third one 2 km from A on one more:
    the usual night cell is a tie, broken by position (A, the southern one), never by the order the records
    arrived in. With A home, B's two nights are away (2 of 5); with B home, three would be."""
    from fusioncell.infer.circle import away_night_fraction

    cs = _store()
    a, b, c = (20.60, -103.30), (20.78, -103.30), (20.618, -103.30)
    nights = {"a": [(a, 0), (a, 1)], "b": [(b, 2), (b, 3)]}
    rows = nights["a"] + nights["b"] if order == "a_first" else nights["b"] + nights["a"]
    rows.append((c, 4))
    for k, ((lat, lon), d) in enumerate(rows):
        _call(cs, f"e{k}", "+523312345678", "+523399999999", T0 + timedelta(days=d, hours=17), lat, lon)
    assert away_night_fraction(cs, ["+523312345678"])["+523312345678"] == pytest.approx(2 / 5)


def test_a_number_that_may_be_several_peoples_phone_gives_each_reason_once() -> None:
    """Her new number may be the phone of his partner and of his associate "El Flaco" (both known by alias
    only): the circle meets it once per person. Its reasons carried "one owner with <her old number>" once per
    person, and ``plan``'s note read "one owner with X; one owner with X" (seen on a perturbed case with four
    such people). Each reason once; the note names the owner once."""
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:El Flaco", "associate_of", "person-target")
    new = "+523300000005"
    lead, homebody, old = _partner_scene(cs, switch=(12, new))
    reasons = target_circle(cs, "person-target").members[new].reasons
    assert len(reasons) == len(set(reasons)), reasons
    assert sum(r.startswith(f"one owner with {old}") for r in reasons) == 1, reasons
    assert any("may be alias:El Flaco's phone" in r for r in reasons) and any("may be alias:La Güera's phone" in r for r in reasons)
    from fusioncell.infer.plan import plan

    notes = [c.get("note") for x in plan(cs, "person-target")["identify"] for c in x["candidates"] if c["identifier"] == new]
    assert notes and all(n == f"one owner with {old}" for n in notes), notes


def test_a_lieutenants_number_that_may_also_be_hers_is_listed_under_her_not_as_his_partner() -> None:
    """A report gives the homebody's number to "El Flaco" (an associate, alias only); by behaviour it is also
    one of the partner's candidates (p 0.21). Its strongest role is El Flaco's, so ``person`` is El Flaco;
    ``plan``'s "to identify first" grouped partner candidates by ``person`` and asked for "the phone of
    alias:El Flaco (partner)" (seen on a perturbed case: a lieutenant listed as a partner, the seed lead's
    number his candidate). The candidate belongs to the person it stands for as a partner: La Güera."""
    from fusioncell.infer.plan import plan

    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    _claim(cs, "r2", "alias:El Flaco", "associate_of", "person-target")
    lead, homebody, partner = _partner_scene(cs)
    _claim(cs, "r3", "alias:El Flaco", "uses", homebody)
    m = target_circle(cs, "person-target").members[homebody]
    assert (m.person, m.role, m.role_person) == ("alias:El Flaco", "associate",
                                                 {"partner": "alias:La Güera", "associate": "alias:El Flaco"})
    found = {x["person"]: [c["identifier"] for c in x["candidates"]] for x in plan(cs, "person-target")["identify"]}
    assert found == {"alias:La Güera": [partner, homebody]}, found


def test_her_old_and_new_number_are_one_candidate_for_her_not_two_halves() -> None:
    """She changes her number on day 12 of 20: the old one calls the tracked lead every night until then,
    the new one every night since, each from her home mast or (every other night) a far one. A stranger
    calls the lead every night of the twenty and sleeps far on two nights in five. Scored one number at a
    time her halves (12 and 8 calls) each lose to the stranger (20): (0.12 + 0.05)(0.1 + 0.5) = 0.10 and
    0.08 against (0.20 + 0.05)(0.1 + 0.4) = 0.125, and ``plan`` would chase the stranger. The resolve stage
    links the two numbers (a line kept for one correspondent, replaced by another right after it fell
    silent); as one owner her calls add up, (0.20 + 0.05)(0.1 + 0.5) = 0.15, and both numbers lead."""
    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    stranger, new = "+523300000004", "+523300000005"
    lead, homebody, old = _partner_scene(cs, switch=(12, new))
    for day in range(20):
        away = day % 5 in (0, 1)
        _call(cs, f"s{day}", stranger, lead, T0 + timedelta(days=day, hours=16, minutes=7),
              19.50 if away else 20.62, -104.20 if away else -103.32)
    members = target_circle(cs, "person-target").members
    assert members[old].p_identity == pytest.approx(members[new].p_identity)  # the link is sure (score 1)
    assert members[new].p_identity > members[stranger].p_identity > members[homebody].p_identity
    assert any(f"one owner with {old}" in r for r in members[new].reasons)
    # the numbers plan asks to identify say which two are one owner
    from fusioncell.infer.plan import plan

    cands = {c["identifier"]: c for x in plan(cs, "person-target")["identify"] for c in x["candidates"]}
    assert cands[new].get("note") == f"one owner with {old}" and cands[old].get("note") is None
    assert cands[new].get("owner") == old and "owner" not in cands[old]
    # the analyst says the new number is not hers: the link goes, and each half is scored alone again
    from fusioncell.resolve.decisions import decide

    decide(cs, [new], None, analyst="test", reason="a neighbour's new SIM")  # what `override split` writes
    members = target_circle(cs, "person-target").members
    assert members[stranger].p_identity > members[old].p_identity
    assert new not in members or not any("one owner" in r for r in members[new].reasons)


def test_plan_follows_a_tracked_number_to_the_number_that_took_over() -> None:
    """The scene above, her old number tracked until she changed it. Her new number is on every day since
    it started (8 of 8), which is how often *her* phone is on (20 of 20 days, the two numbers together),
    not 8 of the case's 20 days; and the reason an analyst reads says the tracking is to be re-tasked."""
    from fusioncell.infer.plan import _activity, plan
    from fusioncell.infer.succession import chains_among

    cs = _store()
    _claim(cs, "r1", "person-target", "partner_of", "alias:La Güera")
    new = "+523300000005"
    _, _, old = _partner_scene(cs, tracked=False, switch=(12, new))
    for day in range(12):
        cs.con.execute("INSERT INTO locations (event_id, source_id, agency, observed, identifier, lat, lon) "
                       "VALUES (?, 'h1', 'AG', ?, ?, 20.61, -103.31)", [f"l{day}", T0 + timedelta(days=day), old])
    circle = target_circle(cs, "person-target")
    on = _activity(cs, circle, chains_among(cs, [i for i in circle.members if i.startswith("+")]))
    assert on[new] == pytest.approx(1.0) and on[old] == pytest.approx(1.0)
    assert on["+523300000002"] == pytest.approx(1.0)
    why = {r["identifier"]: r["why"] for r in plan(cs, "person-target", budget=10)["recommendations"]}
    assert old not in why  # tracked already
    assert f"takes over from {old}, which the investigation tracks" in why[new]
