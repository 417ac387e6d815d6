"""Minimisation: who is masked, stable keyed pseudonyms, and unmasking only with a recorded reason."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathlib import Path

from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.errors import NotFound, UsageError
from fusioncell.security import audit
from fusioncell.security.minimise import (
    Minimiser,
    case_secret,
    mask,
    mask_result,
    pertinent_identifiers,
    protect,
    pseudonym,
    unmask,
)
from fusioncell.security.releasability import view_for
from fusioncell.store import CaseStore
from tests.rows import put
from test_share_factory import (
    PARTNER_PHONE,
    TARGET,
    TARGET_PHONE,
    add_call,
    add_claim,
    add_fix,
    make_case,
    refresh_identifiers,
)

BYSTANDER = "+523355550000"
COURIER = "+523366660000"
TRACKED = "+523377770000"


def _case() -> CaseStore:
    s = make_case([("geo-01", "SEDENA-INT", "GEOINT", "m", ["PARTNER-US"])])
    add_fix(s, "l1", "geo-01", TRACKED, 19.0, -103.0)
    for i in range(3):  # courier: three calls with a tracked phone -> pertinent
        add_call(s, f"c{i}", "geo-01", TRACKED, COURIER, i)
    add_call(s, "c9", "geo-01", BYSTANDER, TRACKED, 20)  # one-off caller -> bystander
    add_call(s, "c10", "geo-01", TARGET_PHONE, PARTNER_PHONE, 30)  # one call, but with the target
    add_claim(s, "r1", "geo-01", TARGET, "partner_of", "alias:La Guera")
    refresh_identifiers(s)
    return s


def test_pertinence_covers_targets_tracked_claimed_and_repeated_contacts() -> None:
    p = pertinent_identifiers(_case())
    assert {TARGET, TARGET_PHONE, TRACKED, COURIER, "alias:La Guera"} <= p
    assert BYSTANDER not in p
    assert PARTNER_PHONE not in p  # a single call does not make a contact pertinent


def test_bystander_is_masked_with_a_keyed_pseudonym() -> None:
    s = _case()
    m = Minimiser(s)
    key = case_secret(s)
    expected = "masked:phone-" + hmac.new(key, BYSTANDER.encode(), hashlib.sha256).hexdigest()[:12]
    assert m.mask(BYSTANDER) == expected
    assert m.mask(COURIER) == COURIER and m.mask(TARGET) == TARGET
    assert m.mask("not-an-identifier-of-the-case") == "not-an-identifier-of-the-case"
    assert mask(s, BYSTANDER) == expected  # stable across Minimisers of the same case


def test_pseudonyms_differ_between_cases() -> None:
    assert mask(_case(), BYSTANDER) != mask(_case(), BYSTANDER)


def test_protected_identifier_is_masked_even_when_pertinent_but_targets_never() -> None:
    s = _case()
    protect(s, COURIER, "juvenile")
    protect(s, TARGET_PHONE, "no effect on targets")
    m = Minimiser(s)
    assert m.mask(COURIER).startswith("masked:phone-")
    assert m.mask(TARGET_PHONE) == TARGET_PHONE


def test_entity_flagged_protected_in_raw_json_is_masked() -> None:
    s = _case()
    put(s.con, "entities", entity_id="person-kid", schema="Person", caption="K", properties="{}",
        raw='{"protected": true}', line=3)
    put(s.con, "entity_identifiers", entity_id="person-kid", identifier=COURIER, identifier_raw=COURIER, prop="phone")
    assert Minimiser(s).mask(COURIER) != COURIER


def test_mask_result_walks_nested_values_and_free_text() -> None:
    s = _case()
    res = mask_result(s, {"a": [BYSTANDER, {"b": f"called {BYSTANDER}, then {COURIER}"}], "n": 3})
    p = mask(s, BYSTANDER)
    assert res == {"a": [p, {"b": f"called {p}, then {COURIER}"}], "n": 3}


def test_view_shares_the_case_key_so_pseudonyms_agree() -> None:
    s = _case()
    before = mask(s, BYSTANDER)
    v = view_for(s, "PARTNER-US")
    assert Minimiser(v).mask(BYSTANDER) == before


def test_view_created_before_any_key_uses_the_case_key() -> None:
    s = _case()
    v = view_for(s, "PARTNER-US")
    assert Minimiser(v).mask(BYSTANDER) == mask(s, BYSTANDER)


def test_unmask_reveals_records_and_then_shows_in_clear() -> None:
    s = _case()
    p = mask(s, BYSTANDER)
    assert unmask(s, p, "caller may be the courier's relay", actor="ana") == BYSTANDER
    assert mask(s, BYSTANDER) == BYSTANDER
    last = audit.entries(s)[-1]
    assert last.action == "unmask" and last.actor == "ana" and last.why == "caller may be the courier's relay"
    assert BYSTANDER not in (last.what or "")  # the log names the pseudonym, the table holds the identity
    row = s.con.execute("SELECT identifier, reason FROM minimisation_unmasked").fetchall()
    assert row == [(BYSTANDER, "caller may be the courier's relay")]


def test_unmask_needs_a_reason_and_a_real_pseudonym() -> None:
    s = _case()
    p = mask(s, BYSTANDER)
    with pytest.raises(UsageError):
        unmask(s, p, "  ")
    with pytest.raises(NotFound):
        unmask(s, "masked:phone-000000000000", "why")
    with pytest.raises(NotFound):
        unmask(s, "+529999999999", "why")
    assert mask(s, BYSTANDER) == p  # nothing was revealed


def test_unmask_through_a_view_lands_in_the_case() -> None:
    s = _case()
    v = view_for(s, "PARTNER-US")
    p = Minimiser(v).mask(BYSTANDER)
    assert unmask(v, p, "needed") == BYSTANDER
    assert mask(s, BYSTANDER) == BYSTANDER


@settings(max_examples=40, deadline=None)
@given(st.lists(st.from_regex(r"\+52[1-9][0-9]{9}", fullmatch=True), min_size=1, max_size=6, unique=True))
def test_masking_is_stable_and_reversible_only_through_unmask(numbers: list[str]) -> None:
    s = make_case([("geo-01", "SEDENA-INT", "GEOINT", "m", [])])
    for i, n in enumerate(numbers):
        add_call(s, f"e{i}", "geo-01", n, "+523311112222", i)  # nobody here is pertinent
    refresh_identifiers(s)
    m = Minimiser(s)
    ps = [m.mask(n) for n in numbers]
    assert ps == [Minimiser(s).mask(n) for n in numbers]  # stable
    assert len(set(ps)) == len(ps)  # distinct people, distinct pseudonyms
    for n, p in zip(numbers, ps):
        assert n not in p and n[3:] not in p  # the pseudonym does not carry the number
        assert p == pseudonym(case_secret(s), n)
    before = audit.entries(s)
    assert unmask(s, ps[0], "test") == numbers[0]
    assert len(audit.entries(s)) == len(before) + 1


def test_cli_unmask_prints_the_identifier_and_requires_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "case.duckdb"
    s = CaseStore.open(path)
    mem = _case()
    for t in ("case_info", "targets", "sources", "comms", "locations", "claims", "reports", "entities",
              "entity_identifiers", "identifiers"):
        rows = mem.con.execute(f"SELECT * FROM {t}").fetchall()
        if rows:
            s.con.executemany(f"INSERT INTO {t} VALUES ({', '.join(['?'] * len(rows[0]))})", rows)
    p = mask(s, BYSTANDER)
    s.close()
    runner = CliRunner()
    res = runner.invoke(app, ["unmask", str(path), p])
    assert res.exit_code == 2  # --reason is required
    res = runner.invoke(app, ["unmask", str(path), p, "--reason", "relay of the courier"])
    assert res.exit_code == 0 and res.stdout.strip() == BYSTANDER
    res = runner.invoke(app, ["audit", str(path)])
    assert "unmask" in res.stdout and "relay of the courier" in res.stdout


def test_an_identifier_ending_a_clause_is_masked_too() -> None:
    """'+52…: nights located here' once slipped through (the colon stuck to the number)."""
    from fusioncell.security.minimise import Minimiser
    from fusioncell.store import CaseStore

    cs = CaseStore.memory()
    m = Minimiser(cs)
    m.known, m.clear = {"+525511112222"}, set()
    out = m.mask_text("+525511112222: night(s) here. Seen +525511112222.")
    assert "525511112222" not in out and out.count("masked:phone-") == 2 and out.endswith(".")
