"""Identifier normalisation: E.164 phones, scheme prefixes, entity references."""

import pytest

from fusioncell.model.identifiers import IdentifierError, normalize_identifier, scheme_of


@pytest.mark.parametrize(
    "raw",
    ["33 1234 5678", "(33) 1234-5678", "+52 33 1234 5678", "0052 33 1234 5678", "+523312345678"],
)
def test_mexican_numbers_in_mixed_formats_become_one_e164(raw: str) -> None:
    assert normalize_identifier(raw, region="MX").value == "+523312345678"


def test_national_format_without_region_is_refused() -> None:
    with pytest.raises(IdentifierError, match="phone_region"):
        normalize_identifier("33 1234 5678")


def test_scheme_prefix_is_lowercased_and_plate_uppercased() -> None:
    ident = normalize_identifier("PLATE: jal 4821-b")
    assert (ident.value, ident.scheme, ident.raw) == ("plate:JAL4821-B", "plate", "PLATE: jal 4821-b")


def test_alias_keeps_its_case_and_accents() -> None:
    assert normalize_identifier("alias:La Güera").value == "alias:La Güera"


def test_unknown_entity_reference_is_an_error_when_entities_are_known() -> None:
    with pytest.raises(IdentifierError, match="entity id"):
        normalize_identifier("person-nobody", entity_ids={"person-target"})
    assert normalize_identifier("person-target", entity_ids={"person-target"}).scheme == "entity"


def test_garbled_number_is_an_error() -> None:
    with pytest.raises(IdentifierError):
        normalize_identifier("+52 1234", region="MX")


def test_scheme_of_normalised_values() -> None:
    assert [scheme_of(v) for v in ["+5233", "plate:X", "person-1"]] == ["phone", "plate", "entity"]
