"""What token masking missed (issue #15): a protected person written in free text — an alias with a space, her number
in other spellings, her names — and an identifier glued to another ("a|b" edge ids). Fast, on an in-memory case."""

from __future__ import annotations

import re

from fusioncell.security.minimise import Minimiser, mask_protected, pseudonym, unmask
from fusioncell.store import CaseStore
from tests.rows import put
from test_share_factory import TARGET, TARGET_PHONE, add_call, add_claim, add_fix, make_case, refresh_identifiers

WITNESS = "person-witness"
WITNESS_PHONE = "+523399990001"
ALIAS = "alias:La Güera"


def _case() -> CaseStore:
    s = make_case([("geo-01", "SEDENA-INT", "GEOINT", "m", ["PARTNER-US"])])
    put(s.con, "entities", entity_id=WITNESS, schema="Person", caption="Zacarías Canario",
        properties='{"name": ["Zacarías Canario"], "alias": ["La Güera"]}',
        raw='{"id": "person-witness", "protected": true}', line=1)
    put(s.con, "entity_identifiers", entity_id=WITNESS, identifier=WITNESS_PHONE, identifier_raw=WITNESS_PHONE,
        prop="phone")
    put(s.con, "entity_identifiers", entity_id=WITNESS, identifier=ALIAS, identifier_raw="La Güera", prop="alias")
    add_fix(s, "l1", "geo-01", WITNESS_PHONE, 19.0, -103.0)
    add_call(s, "c1", "geo-01", TARGET_PHONE, WITNESS_PHONE)
    add_claim(s, "r1", "geo-01", TARGET, "partner_of", ALIAS)
    refresh_identifiers(s)
    return s


def test_every_way_of_writing_her_is_masked_for_the_owner() -> None:
    s = _case()
    key = Minimiser(s).key
    text = ("partner of the target (alias:La Güera); la güera contesta en el 33 9999 0001, "
            "o al +52 1 33-9999-0001; Zacarías Canario fue visto; edge +523300000001|+523399990001")
    got = mask_protected(s, {"why": text})["why"]
    for raw in ("Güera", "güera", "9999", "Zacarías", "Canario", WITNESS_PHONE):
        assert raw not in got, (raw, got)
    assert got.count(pseudonym(key, ALIAS)) == 2 and got.count(pseudonym(key, WITNESS_PHONE)) == 3
    assert pseudonym(key, WITNESS) in got  # her name becomes her entity's pseudonym
    assert TARGET_PHONE in got  # the target is never masked
    assert re.search(r"\+523300000001\|masked:phone-[0-9a-f]{12}", got)


def test_other_numbers_and_words_are_left_alone() -> None:
    s = _case()
    text = "33 9999 0002 and 9933999900011 and Güeras and la güerita"  # a neighbour number, a longer one, other words
    assert mask_protected(s, {"t": text})["t"] == text


def test_a_typed_protected_identifier_stays_masked_until_unmasked() -> None:
    from fusioncell.security.minimise import mask_listing

    s = _case()
    assert WITNESS_PHONE not in mask_listing(s, {"id": WITNESS_PHONE}, keep=[WITNESS_PHONE])["id"]
    unmask(s, WITNESS_PHONE, "the prosecutor asked", actor="sup")
    assert mask_listing(s, {"id": WITNESS_PHONE}, keep=[WITNESS_PHONE])["id"] == WITNESS_PHONE
    assert "33 9999 0001" in mask_protected(s, {"t": "el 33 9999 0001"})["t"]  # unmasked: every spelling in clear
    assert "La Güera" not in mask_protected(s, {"t": "La Güera"})["t"]  # her alias was not unmasked


def test_a_listing_masks_as_the_whole_case_minimiser_does_while_reading_only_its_own_tokens() -> None:
    """net18: `mask_listing` reads the known identifiers among the listing's tokens (and those the token split
    cuts, and the protected) instead of every identifier of the case; the masked listing is the one the
    Minimiser over every known identifier gives."""
    from fusioncell.security.minimise import known_identifiers, mask_listing, tokens_of

    s = _case()
    nbsp = "alias:El\u00a0Flaco"  # cut by the split on a no-break space (Python's \s), not by RE2's \s
    bystanders = [f"+5233777700{i:02d}" for i in range(12)]
    for i, b in enumerate(bystanders):
        add_call(s, f"b{i}", "geo-01", b, f"+5233888800{i:02d}")
    add_call(s, "b99", "geo-01", bystanders[6], nbsp)  # a bystander's contact: hidden, and split by the tokens
    refresh_identifiers(s)
    result = {"circle": [{"identifier": b, "why": f"calls {b}: night"} for b in bystanders[:3]],
              "edges": [f"{bystanders[3]}|{bystanders[4]}", "tab\there"],
              "note": f"la güera y {nbsp}; 33 9999 0001", "n": 3, "kp": [bystanders[5] + "."]}
    toks = tokens_of(result)
    assert bystanders[5] in toks and bystanders[3] in toks and bystanders[11] not in toks
    known = known_identifiers(s)
    got = known_identifiers(s, toks)
    assert nbsp in got and ALIAS in got and bystanders[11] not in got and got < known
    whole = Minimiser(s)
    whole.keep([bystanders[0]])
    assert mask_listing(s, result, keep=[bystanders[0]]) == whole.mask_result(result)
    masked = mask_listing(s, result, keep=[bystanders[0]])
    assert masked["circle"][0]["identifier"] == bystanders[0]  # kept: asked about
    assert [c["identifier"] for c in masked["circle"][1:]] == [pseudonym(whole.key, b) for b in bystanders[1:3]]
    assert masked["circle"][1]["why"] == f"calls {pseudonym(whole.key, bystanders[1])}: night"
    assert masked["kp"] == [pseudonym(whole.key, bystanders[5]) + "."]
    assert masked["note"] == (f"{pseudonym(whole.key, ALIAS)} y {pseudonym(whole.key, nbsp)}; "
                              f"{pseudonym(whole.key, WITNESS_PHONE)}")
