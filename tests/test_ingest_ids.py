"""Identifier normalisation at ingest: the fast path agrees with phonenumbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ingest.idnorm import IdNormalizer, canonical_phone_key, fast_e164
from fusioncell.model.identifiers import IdentifierError, normalize_phone

REGIONS = ["MX", "US", "GB", "CO", "ES", "DE", "AR", "IT", "BR", "FR", "IN", "RU", "CA", None]
PREFIXES = ["", "+", "00", "+52", "+1", "+44", "52", "0", "1", "044", "+52 1 ", "+7", "8", "011"]


@settings(max_examples=1500, deadline=None)
@given(region=st.sampled_from(REGIONS), prefix=st.sampled_from(PREFIXES),
       digits=st.text(alphabet="0123456789", min_size=4, max_size=14), spaced=st.booleans())
def test_fast_path_equals_phonenumbers(region: str | None, prefix: str, digits: str, spaced: bool) -> None:
    raw = prefix + digits
    if spaced:
        raw = " ".join([raw[:3], raw[3:7], raw[7:]]).strip()
    key = canonical_phone_key(raw)
    fast = fast_e164(key, region) if key else None
    if fast is None:
        return  # left to the full parse
    try:
        slow = normalize_phone(raw, region)
    except IdentifierError:
        slow = None
    assert fast == slow


def test_spellings_of_one_number_normalise_alike() -> None:
    n = IdNormalizer("MX", frozenset())
    spellings = ["33 1234 5678", "+52 33 1234 5678", "3312345678", "(33) 1234-5678", "0052 33 1234 5678", "33.1234.5678"]
    assert {n.normalize(s)[0] for s in spellings} == {"+523312345678"}


@pytest.mark.parametrize("raw,why", [
    ("p-ghost", "unknown entity reference"),
    ("33 1234 5678", "no phone_region"),
    ("12", "unknown entity reference"),
])
def test_errors_are_messages_not_exceptions(raw: str, why: str) -> None:
    n = IdNormalizer(None, frozenset({"p-target"}))
    ident, scheme, err = n.normalize(raw)
    assert ident is None and scheme is None and err is not None and why in err


def test_map_values_is_one_row_per_distinct_value() -> None:
    n = IdNormalizer("MX", frozenset({"p-target"}))
    table = n.map_values(["33 1234 5678", "33 1234 5678", None, "p-target", "plate:jal-1-a"])
    assert table.column("raw").to_pylist() == ["33 1234 5678", "p-target", "plate:jal-1-a"]
    assert table.column("identifier").to_pylist() == ["+523312345678", "p-target", "plate:JAL-1-A"]
    assert table.column("scheme").to_pylist() == ["phone", "entity", "plate"]
