"""Junk in carrier data: duplicate records, self-calls and hubs (call centres, voicemail)."""

from __future__ import annotations

from test_network_factory import Case, at

from fusioncell.network import contact_ties, hubs, key_players
from fusioncell.network.ties import HUB_MIN_CONTACTS

X, Y = "+523310000101", "+523310000102"
VOICEMAIL = "+523300000000"


def _tie(tbl, a: str, b: str) -> dict | None:
    a, b = min(a, b), max(a, b)
    return next((r for r in tbl.to_pylist() if r["a"] == a and r["b"] == b), None)


def test_a_call_delivered_twice_counts_once_and_self_calls_make_no_tie() -> None:
    c = Case()
    c.call(X, Y, at(0, 10.0), 120)
    c.call(X, Y, at(0, 10.0), 120)  # the same call from a second export (another event id)
    c.call(Y, X, at(1, 11.0), 60)
    c.call(X, X, at(2, 9.0), 30)  # a self-call (voicemail check on some networks)
    t = contact_ties(c.store(), "identifier")
    xy = _tie(t, X, Y)
    assert xy is not None and xy["n_events"] == 2 and xy["total_duration_s"] == 180
    assert xy["reciprocity"] == 1.0  # one each way once the duplicate is gone
    assert _tie(t, X, X) is None and t.num_rows == 1


def _hub_case() -> Case:
    """HUB_MIN_CONTACTS + 50 phones each leave one message on a voicemail number; X and Y also call each
    other daily for ten days. Everyone else has one or two contacts, so the median is 1."""
    c = Case()
    for i in range(HUB_MIN_CONTACTS + 50):
        c.call(f"+52449{i:07d}", VOICEMAIL, at(i % 10, 9.0 + (i % 8)), 40)
    for d in range(10):
        c.call(X, Y, at(d, 20.0), 300)
        c.call(X, VOICEMAIL, at(d, 21.0), 40)
        c.call(Y, VOICEMAIL, at(d, 21.5), 40)
    return c


def test_a_voicemail_number_is_listed_as_a_hub_and_its_ties_down_weighted() -> None:
    s = _hub_case().store()
    hs = hubs(s, "identifier")
    assert [h["node"] for h in hs] == [VOICEMAIL]
    assert hs[0]["contacts"] == HUB_MIN_CONTACTS + 52
    t = contact_ties(s, "identifier")
    xv, xy = _tie(t, X, VOICEMAIL), _tie(t, X, Y)
    assert xv is not None and xv["hub"] and xy is not None and not xy["hub"]
    # same number of contacts (10) and daily rhythm, but a hub tie keeps a tenth of its call strength
    assert xv["strength"] < 0.2 * xy["strength"]


def test_hubs_are_empty_in_an_ordinary_case() -> None:
    c = Case()
    for d in range(5):
        c.call(X, Y, at(d, 20.0), 300)
    assert hubs(c.store()) == []


def test_key_players_still_list_the_hub_by_degree() -> None:
    """Down-weighting changes strength, not the count of contacts: the hub stays visible (and listed)."""
    kp = key_players(_hub_case().store())
    assert kp["ranked"][0]["node"] == VOICEMAIL


def test_the_network_report_lists_hubs_in_json_and_text() -> None:
    from fusioncell.network.report import network_report, render_text

    d = network_report(_hub_case().store())
    assert d["hubs"] == [{"identifier": VOICEMAIL, "contacts": HUB_MIN_CONTACTS + 52}]
    assert f"{VOICEMAIL} ({HUB_MIN_CONTACTS + 52} contacts)" in render_text(d)
