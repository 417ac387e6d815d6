"""Markings: TLP 2.0 defaults, combination rule, derivation from evidence."""

from __future__ import annotations

import pytest

from fusioncell.errors import NotFound
from fusioncell.model.markings import (
    Marking,
    MarkingError,
    combine,
    default_tlp,
    normalize_tlp,
    source_marking,
    tlp_max,
)
from fusioncell.security.markings import derive_marking, source_markings
from test_share_factory import add_fix, add_source, make_case


def test_default_tlp_is_amber_strict_for_owner_only_and_amber_when_shared() -> None:
    assert default_tlp([], "A") == "amber+strict"
    assert default_tlp(["A"], "A") == "amber+strict"  # naming yourself shares with nobody
    assert default_tlp(["B"], "A") == "amber"


def test_explicit_tlp_overrides_default_and_accepts_prefix_and_tlp1_white() -> None:
    assert source_marking("A", ["B"], "TLP:RED").tlp == "red"
    assert source_marking("A", [], "green").tlp == "green"
    assert normalize_tlp("white") == "clear"
    assert normalize_tlp("  ") is None
    with pytest.raises(MarkingError):
        normalize_tlp("purple")


def test_tlp_order_most_restrictive_wins() -> None:
    assert tlp_max(["clear", "amber", "green"]) == "amber"
    assert tlp_max(["amber", "amber+strict"]) == "amber+strict"
    assert tlp_max(["red", "amber+strict"]) == "red"
    assert tlp_max([]) == "clear"


def test_combine_intersects_audiences_and_keeps_evidence() -> None:
    a = Marking("A", frozenset({"B", "C"}), "amber", ("s1",))
    b = Marking("B", frozenset({"A"}), "green", ("s2",))
    m = combine([a, b], event_ids=["e1"])
    # A's source reaches {A,B,C}; B's reaches {A,B}: the derived fact reaches only {A,B}.
    assert m.audience == frozenset({"A", "B"})
    assert m.tlp == "amber"
    assert m.source_ids == ("s1", "s2") and m.event_ids == ("e1",)
    assert m.allows("A") and m.allows("B") and not m.allows("C")


def test_combine_of_nothing_is_visible_to_nobody() -> None:
    m = combine([])
    assert m.audience == frozenset() and m.tlp == "red"


def test_derive_marking_follows_event_ids_to_their_sources() -> None:
    s = make_case()
    add_source(s, "open", "A", "GEOINT", "m1", ["B"])
    add_source(s, "closed", "A", "SIGINT", "m2", [])
    add_fix(s, "e-open", "open", "+523300000001", 19.0, -103.0)
    add_fix(s, "e-closed", "closed", "+523300000001", 19.1, -103.1)
    assert derive_marking(s, event_ids=["e-open"]).allows("B")
    both = derive_marking(s, event_ids=["e-open", "e-closed"])
    assert not both.allows("B") and both.tlp == "amber+strict"
    assert both.source_ids == ("closed", "open")
    assert set(source_markings(s)) == {"open", "closed"}
    with pytest.raises(NotFound):
        derive_marking(s, source_ids=["nope"])
