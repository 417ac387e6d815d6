"""Tables derived at ingest from the observation tables: ``identifiers``.

``identifiers`` lists every normalised identifier seen anywhere in the case
(comms caller/callee, locations, sightings subjects, claim subjects and
objects, identifiers that entities declare) with how often it appears per
discipline and when it was first and last seen. It is one Ibis expression,
so it runs on DuckDB or Spark alike. On DuckDB, when the per-delivery
activity ingest writes (``comms_activity``, :mod:`fusioncell.ingest.activity`)
covers every call record, the call records are not grouped again: their
counts and spans come from that table (issue #14, round 10).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import ibis
import ibis.expr.types as ir

from fusioncell.model.identifiers import SCHEMES
from fusioncell.store.delivered import DELIVERED, covered
from fusioncell.store.engine import DuckDBEngine, Engine

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore


def scheme_expr(ident: ir.StringValue) -> ir.StringValue:
    """The scheme of a normalised identifier, as an expression (see ``scheme_of``)."""
    branches = [(ident.startswith("+"), "phone")]
    branches += [(ident.startswith(s + ":"), s) for s in SCHEMES if s != "phone"]
    return ibis.cases(*branches, else_="entity")


def identifiers_expr(eng: Engine, deliveries: list[str] | None = None, delivered: bool = False) -> ir.Table:
    """The ``identifiers`` table as an Ibis expression over the store tables.

    With ``deliveries``, only the rows of those deliveries (and no entity
    declarations): the part an append adds, merged by :func:`extend_identifiers`.
    With ``delivered`` (ingest's ``comms_activity`` covers every call record: :func:`_delivered`),
    the call records' counts and spans are read from that per-delivery grouping instead of grouping
    the records a second time: an identifier's records are its ``n_events`` (records with another
    party, their span the activity's) plus its self-calls, whose times the activity leaves out and a
    filter of the records (no grouping of the rest) brings back.
    """
    ts = "timestamp('UTC')"
    comms = eng.table("comms")
    act = eng.table(DELIVERED) if delivered else None
    if act is not None and deliveries is not None:
        act = act.filter(act.delivery_id.isin(deliveries))
    loc = eng.table("locations")
    sig = eng.table("sightings")
    cl = eng.table("claims")
    ei = eng.table("entity_identifiers")
    if deliveries is not None:
        comms, loc, sig, cl = (t.filter(t.delivery_id.isin(deliveries)) for t in (comms, loc, sig, cl))
        ei = ei.filter(ibis.literal(False))

    kinds = ("comms", "locations", "sightings", "claims")

    def part(t: ir.Table, ident: ir.StringValue, when: ir.Value | None, kind: str) -> ir.Table:
        # Each source aggregated on its own first (a few 100k groups, no per-row kind label to compare),
        # then the parts merged: counts add up, first/last seen widen (measured: round 5, docs/benchmarks.md).
        t = t.filter(ident.notnull())
        n = t.count()
        zero = ibis.literal(0, "int64")
        none = ibis.null().cast(ts)
        return t.group_by(identifier=ident.cast("string")).aggregate(
            **{f"n_{k}": (n if k == kind else zero) for k in kinds},
            first_seen=when.cast(ts).min() if when is not None else none,
            last_seen=when.cast(ts).max() if when is not None else none)

    if act is None:
        parts = [
            part(comms, comms.caller, comms.start, "comms"),
            part(comms.filter(comms.callee != comms.caller), comms.callee, comms.start, "comms"),
        ]
    else:  # one row per identifier and delivery already: merged by the union's grouping below
        zero = ibis.literal(0, "int64")
        parts = [
            act.select(identifier=act.ident.cast("string"), **{f"n_{k}": (act.n_events.cast("int64") if k == "comms"
                                                                          else zero) for k in kinds},
                       first_seen=act.first_seen.cast(ts), last_seen=act.last_seen.cast(ts)),
            part(comms.filter(comms.callee == comms.caller), comms.caller, comms.start, "comms"),
        ]
    parts += [
        part(loc, loc.identifier, loc.observed, "locations"),
        part(sig, sig.subject, sig.observed, "sightings"),
        part(cl, cl.subject, cl.reported, "claims"),
        part(cl.filter(cl.object.notnull() & (cl.object != cl.subject)), cl.object, cl.reported, "claims"),
        part(ei, ei.identifier, None, "entity"),
    ]
    u = parts[0]
    for p in parts[1:]:
        u = u.union(p, distinct=False)
    agg = u.group_by("identifier").aggregate(
        **{f"n_{k}": u[f"n_{k}"].sum() for k in kinds}, first_seen=u.first_seen.min(), last_seen=u.last_seen.max())
    return agg.select(
        "identifier",
        scheme=scheme_expr(agg.identifier),
        n_comms=agg.n_comms,
        n_locations=agg.n_locations,
        n_sightings=agg.n_sightings,
        n_claims=agg.n_claims,
        first_seen=agg.first_seen,
        last_seen=agg.last_seen,
    )


def _delivered(store: "CaseStore", eng: Engine) -> bool:
    """Whether ``identifiers`` may read the call records' grouping from ``comms_activity`` (DuckDB engine)."""
    return eng.name == "duckdb" and covered(store)


def rebuild_identifiers(store: "CaseStore", eng: Engine) -> int:
    """Recompute ``identifiers`` from the store (inside the caller's transaction)."""
    store.con.execute("DELETE FROM identifiers")
    delivered = _delivered(store, eng)
    return eng.insert(store.con, "identifiers", lambda: identifiers_expr(eng, delivered=delivered),
                      key=("identifiers", delivered))


#: Two delivery ids no file can have (a name holds no space): the append's query is compiled once for them,
#: then their list is replaced by the deliveries' (so the compiled SQL is kept, fusioncell.store.sqlcache).
_PLACEHOLDERS = ["fc placeholder a", "fc placeholder b"]


def _new_identifiers_sql(eng: Engine, deliveries: list[str], delivered: bool) -> str | None:
    """The DuckDB SQL of ``identifiers_expr(eng, deliveries, delivered)`` from a compile kept by key, or None
    (another engine, or the placeholders not found exactly as a list: compile the expression itself).

    The deliveries stay literals in ``delivery_id IN (…)``, which DuckDB's zone maps use to skip the
    earlier deliveries' rows (a join to a table of ids would read the whole store)."""
    if eng.name != "duckdb" or not deliveries:
        return None
    duck = cast(DuckDBEngine, eng)  # the only engine named "duckdb"
    sql = duck.sql(lambda: identifiers_expr(eng, _PLACEHOLDERS, delivered), key=("identifiers-new", delivered))
    marker = "(" + ", ".join(f"'{p}'" for p in _PLACEHOLDERS) + ")"
    n = sql.count(marker)
    if n == 0 or any(sql.count(p) != n for p in _PLACEHOLDERS):
        return None
    return sql.replace(marker, "(" + ", ".join("'" + d.replace("'", "''") + "'" for d in deliveries) + ")")


def extend_identifiers(store: "CaseStore", eng: Engine, deliveries: list[str]) -> int:
    """Merge the identifiers of new ``deliveries`` into ``identifiers`` (an append: work proportional to the day).

    Counts add up, first/last seen widen; the result equals a full
    :func:`rebuild_identifiers` when the deliveries only added rows.
    """
    delivered = _delivered(store, eng)
    sql = _new_identifiers_sql(eng, deliveries, delivered)
    new = (eng.to_arrow(lambda: identifiers_expr(eng, deliveries, delivered)) if sql is None
           else store.con.sql(sql).to_arrow_table())
    con = store.con
    con.register("_fc_new_ids", new)
    try:
        # an UPDATE in place of the known ones and an INSERT of the new ones: DuckDB's INSERT OR REPLACE
        # took 13 s for 150k overlapping identifiers, this well under a second
        con.execute("""
            UPDATE identifiers SET n_comms = identifiers.n_comms + n.n_comms,
                   n_locations = identifiers.n_locations + n.n_locations,
                   n_sightings = identifiers.n_sightings + n.n_sightings,
                   n_claims = identifiers.n_claims + n.n_claims,
                   first_seen = least(identifiers.first_seen, n.first_seen),
                   last_seen = greatest(identifiers.last_seen, n.last_seen)
              FROM _fc_new_ids n WHERE identifiers.identifier = n.identifier""")
        con.execute("""
            INSERT INTO identifiers (identifier, scheme, n_comms, n_locations, n_sightings, n_claims,
                                     first_seen, last_seen)
            SELECT n.identifier, n.scheme, n.n_comms, n.n_locations, n.n_sightings,
                   n.n_claims, n.first_seen, n.last_seen
              FROM _fc_new_ids n ANTI JOIN identifiers o USING (identifier)""")
    finally:
        con.unregister("_fc_new_ids")
    return int(new.num_rows)
