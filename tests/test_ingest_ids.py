"""Identifier normalisation at ingest: the fast path agrees with phonenumbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyarrow as pa

from fusioncell.ingest.idnorm import IdNormalizer, canonical_phone_key, fast_e164, fast_e164_arrow
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


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(REGIONS),
       raws=st.lists(st.tuples(st.sampled_from(PREFIXES), st.text(alphabet="0123456789", min_size=4, max_size=14)),
                     min_size=1, max_size=30))
def test_vectorised_fast_path_equals_the_scalar_one(region: str | None, raws: list[tuple[str, str]]) -> None:
    """fast_e164_arrow (Arrow kernels, Python once per country code) answers fast_e164's answer, key by key."""
    keys = [k for k in (canonical_phone_key(p + d) for p, d in raws) if k]
    assert fast_e164_arrow(pa.array(keys, pa.string()), region).to_pylist() == [fast_e164(k, region) for k in keys]


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


def test_vectorised_map_agrees_with_one_value_at_a_time() -> None:
    """map_values keys plain numbers with Arrow kernels; the answer must be normalize()'s, value by value."""
    import random

    from fusioncell.ingest.idnorm import IdNormalizer

    rng = random.Random(7)
    raws = ["person-target", " person-target ", "12345", "plate:jal 1234", "alias:El Gordo", "not a number",
            "+52 (33) 1234-5678", "0052 33 1234 5678", "00+5233", "+0052331234", "１２３４５６７８９０", "33 12",
            "+1 202 555 0143", "044 33 1234 5678", "01 33 1234 5678", "+52 1 33 1234 5678", "\t3312345678\n"]
    for _ in range(400):
        n = f"{rng.randrange(10**9, 10**10)}"
        raws += [n, f"+52{n}", f"{n[:2]} {n[2:6]} {n[6:]}", f"00 52 {n}", f"({n[:3]}) {n[3:6]}-{n[6:]}",
                 f"+{rng.randrange(1, 999)}{n}", n[: rng.randrange(3, 10)]]
    entity_ids = frozenset({"person-target", "12345"})
    fresh = IdNormalizer("MX", entity_ids)
    want = {r: fresh.normalize(r) for r in dict.fromkeys(raws)}
    got = IdNormalizer("MX", entity_ids).map_values(raws).to_pylist()
    assert len(got) == len(want)
    for row in got:
        ident, scheme, err = want[row["raw"]]
        assert (row["identifier"], row["scheme"], row["error"] is None) == (ident, scheme, err is None), row
