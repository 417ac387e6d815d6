"""Identifiers written by a rule proved on the delivery's map, instead of two joins to it.

``fusioncell.ingest.idrule``: when dropping the separators, keeping ``+``, reading ``00`` as ``+`` and putting the
region's country code before a national number gives the normalised identifier of *every* distinct spelling of
a delivery (checked in the engine, on the map), the insert computes the identifier per record instead of
joining each record to the map. Otherwise (a spelling the rule reads differently, an entity id) the joins stay.
The stored rows are the same either way; the expected values below are worked out by hand from the E.164 rules
(Mexico +52, Guadalajara numbers 33 + 8 digits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Hashable

import duckdb
import pyarrow as pa
import pytest

from casefolder import CaseFolder, at
from fusioncell.ingest import ingest_case, idrule
from fusioncell.ingest.idrule import IdRule, identifier_rule, rule_holds
from fusioncell.store import CaseStore
from fusioncell.store.engine import DuckDBEngine

#: spelling as delivered -> its E.164 identifier (by hand: separators dropped, 00 = +, national gets +52)
SPELLINGS = {
    "+523311110000": "+523311110000",
    "33 1111 0001": "+523311110001",
    "3311110002": "+523311110002",
    "+52 33 1111 0003": "+523311110003",
    "0052 33 1111 0004": "+523311110004",
    "(33) 1111-0005": "+523311110005",
    "33.1111.0006": "+523311110006",
}


@pytest.fixture
def typed_sql(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every typed insert into comms."""
    seen: list[str] = []
    real = DuckDBEngine.sql

    def spy(self: DuckDBEngine, expr: Any, key: Hashable | None = None) -> str:
        text = real(self, expr, key)
        if isinstance(key, tuple) and key[:2] == ("typed", "comms"):
            seen.append(text)
        return text

    monkeypatch.setattr(DuckDBEngine, "sql", spy)
    return seen


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What ``rule_holds`` answered, in order."""
    out: list[bool] = []
    real = idrule.rule_holds

    def spy(*a: Any, **k: Any) -> bool:
        out.append(real(*a, **k))
        return out[-1]

    import fusioncell.ingest.csvfiles as csvfiles
    monkeypatch.setattr(csvfiles, "rule_holds", spy)
    return out


def _case(tmp_path: Path, spellings: list[str]) -> Path:
    cf = CaseFolder()
    cf.source("cdr", "SIGINT")
    for i, s in enumerate(spellings):  # each spelling calls the next one round
        cf.call(s, spellings[(i + 1) % len(spellings)], at(0, 9 + i / 10))
    return cf.write(tmp_path / "case")


def _stored(store: CaseStore) -> list[tuple[Any, ...]]:
    return store.con.execute("SELECT caller, callee, caller_raw, callee_raw FROM comms ORDER BY line").fetchall()


def _expected(spellings: list[str], ident: dict[str, str]) -> list[tuple[Any, ...]]:
    def raw(s: str) -> str | None:  # a spelling equal to its identifier is stored as NULL (docs/ingest.md)
        return None if s == ident[s] else s
    nxt = spellings[1:] + spellings[:1]
    return [(ident[a], ident[b], raw(a), raw(b)) for a, b in zip(spellings, nxt)]


def test_the_rule_writes_every_spelling_without_a_join(tmp_path: Path, typed_sql: list[str],
                                                        verdicts: list[bool]) -> None:
    spellings = list(SPELLINGS)
    store = CaseStore.memory()
    ingest_case(_case(tmp_path, spellings), store)
    assert verdicts == [True]
    assert len(typed_sql) == 1 and "_fc_idmap" not in typed_sql[0]  # no join to the map
    assert _stored(store) == _expected(spellings, SPELLINGS)


@pytest.mark.parametrize("odd, ident", [
    ("52 33 1111 0007", "+523311110007"),  # the country code without '+': the rule would write +5252…
])
def test_a_spelling_the_rule_reads_otherwise_keeps_the_joins(tmp_path: Path, typed_sql: list[str],
                                                             verdicts: list[bool], odd: str, ident: str) -> None:
    spellings = list(SPELLINGS) + [odd]
    store = CaseStore.memory()
    ingest_case(_case(tmp_path, spellings), store)
    assert verdicts == [False]
    assert len(typed_sql) == 1 and "_fc_idmap" in typed_sql[0]
    assert _stored(store) == _expected(spellings, {**SPELLINGS, odd: ident})


def _map(rows: list[tuple[str, str | None, str | None, str | None]]) -> pa.Table:
    raw, ident, scheme, error = (list(c) for c in zip(*rows))
    return pa.table({"raw": raw, "identifier": ident, "scheme": scheme, "error": error},
                    schema=pa.schema([(n, pa.string()) for n in ("raw", "identifier", "scheme", "error")]))


def test_the_rule_is_picked_from_the_map_and_checked_on_every_row() -> None:
    good = _map([("33 1111 0001", "+523311110001", "phone", None), ("0052-33-1111-0004", "+523311110004", "phone", None),
                 ("+1 (212) 555.0100", "+12125550100", "phone", None)])
    rule = identifier_rule(good, "MX")
    assert rule == IdRule((" ", "-", ".", "(", ")"), "52")  # only the separators that occur, in a fixed order
    eng = DuckDBEngine(duckdb.connect())
    assert rule_holds(eng, good, rule, None)
    # one row off (a national prefix the rule does not know): refused
    off = _map([tuple(r.values()) for r in good.to_pylist()] + [("020 7946 0958", "+442079460958", "phone", None)])
    rule = identifier_rule(off, "MX")
    assert rule is not None and not rule_holds(eng, off, rule, None)
    # no rule for a map with an error or a value that is not a phone number
    assert identifier_rule(_map([("x", None, None, "unknown entity reference 'x'")]), "MX") is None
    assert identifier_rule(_map([("person-a", "person-a", "entity", None)]), "MX") is None
    # without a region a national spelling reads as NULL: refused, the joins give the map's answer
    rule = identifier_rule(good, None)
    assert rule == IdRule((" ", "-", ".", "(", ")"), None)
    assert not rule_holds(eng, good, rule, None)
