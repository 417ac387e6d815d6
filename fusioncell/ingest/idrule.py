"""Identifiers by a rule instead of a join, when the delivery's own map proves the rule.

Ingest normalises the *distinct* spellings of a file's identifier columns
(:mod:`fusioncell.ingest.idnorm`) into a map ``raw -> identifier`` and, until
session 17, joined every record to that map twice (caller and callee): two
hash joins of the 2M staged strings to ~800k spellings, a sixth of the typed
insert's CPU on bench/ingest.py's file.

A carrier's numbers are almost always spelled in a handful of shapes that a
string rule turns into E.164: drop the separators (``33 1234 5678``), keep a
leading ``+``, read ``00`` as ``+``, and put the region's country code before
a national number. :func:`identifier_rule` picks such a rule from the map
(the separators that occur in it, the region's country code), and
:func:`rule_holds` evaluates the rule on *every* row of the map, in the
engine, with the very expression the insert will use. Only when it gives the
map's identifier for every spelling (and the map holds no error) does the
insert use the rule instead of the joins. Every non-NULL staged value is a
row of the map (the map is built from those values), so the identifiers
written are the join's, value for value, by construction; otherwise the
joins stay. The E.164 normalisation itself is unchanged: the rule is never
trusted, only checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Hashable

import ibis
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from fusioncell.store.engine import DuckDBEngine

#: The separators ``idnorm.canonical_phone_key`` drops, in the order the rule removes them.
SEPARATORS = (" ", "-", ".", "(", ")", "/", "\t", "\r", "\n")


@dataclass(frozen=True, slots=True)
class IdRule:
    """``identifier = rule(raw)``: separators dropped, then ``+`` kept, ``00`` read as ``+``, a national
    number prefixed with ``+<country code>`` (none without a region: such a spelling gives NULL)."""

    separators: tuple[str, ...]
    country_code: str | None

    def expr(self, raw: "ir.StringValue") -> "ir.StringValue":
        key = raw
        for s in self.separators:
            key = key.replace(s, "")
        national = (ibis.literal("+" + self.country_code) + key if self.country_code
                    else ibis.null().cast("string"))
        return ibis.ifelse(key.startswith("+"), key,
                           ibis.ifelse(key.startswith("00"), ibis.literal("+") + key.substr(2), national))


def identifier_rule(mapped: pa.Table, region: str | None) -> IdRule | None:
    """The rule to try for a map ``(raw, identifier, scheme, error)``; None when it holds an error or a
    value that is not a phone number (an entity id, ``imei:…``: no rule writes those)."""
    if mapped.num_rows == 0 or mapped.column("error").null_count < mapped.num_rows:
        return None
    scheme = mapped.column("scheme")
    if scheme.null_count or not pc.all(pc.equal(scheme, "phone")).as_py():
        return None
    raw = mapped.column("raw")
    seps = tuple(s for s in SEPARATORS if pc.any(pc.match_substring(raw, s)).as_py())
    cc = None
    if region:
        code = phonenumbers.country_code_for_region(region.upper())
        cc = str(code) if code else None
    return IdRule(seps, cc)


def rule_holds(engine: "DuckDBEngine", mapped: pa.Table, rule: IdRule, key: Hashable) -> bool:
    """Whether ``rule`` gives the map's identifier for every one of its spellings (run in DuckDB, on the map
    read in place, with the expression the insert uses)."""
    engine.con.register(_CHECKED, mapped)
    try:
        m = engine.table(_CHECKED)
        out = engine.to_arrow(lambda: m.aggregate(n=_wrong(m, rule).cast("int64").sum()), key=key)
    finally:
        engine.con.unregister(_CHECKED)
    n_wrong: int | None = out.column("n").to_pylist()[0]
    return n_wrong == 0


#: the map, registered (not copied) for :func:`rule_holds`; a fixed name, as the compiled SQL is kept by key
_CHECKED = "_fc_idmap_checked"


def _wrong(m: "ir.Table", rule: IdRule) -> "ir.BooleanValue":
    return m.identifier.isnull() | m.error.notnull() | (rule.expr(m.raw) != m.identifier).fill_null(True)
