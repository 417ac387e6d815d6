"""Which derived results are current after an append, and from which deliveries they were built.

Derived tables are never served stale: each cache key (``store.derived``,
``spacetime.analysis``) includes the content hashes of every loaded
delivery, so the first command that needs a table after an append rebuilds
it. Until then the stored copy *is* out of date, and ``fusioncell info``
says so: :func:`derived_status` compares when each derived table was built
with when each delivery was loaded. Tables ingest itself maintains
(``identifiers``, ``row_flags``, ``alerts``) are current by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

#: Tables ingest rebuilds or extends in the same transaction as the delivery.
AT_INGEST = ("identifiers", "row_flags", "alerts")


@dataclass(frozen=True, slots=True)
class DerivedStatus:
    """One derived table: when it was built, from which deliveries, and what it has not seen."""

    table: str
    status: str  # current | stale
    run_id: str | None
    built_at: datetime | None
    #: deliveries loaded when it was built
    built_from: tuple[str, ...] = field(default_factory=tuple)
    #: deliveries loaded (or reloaded) since: the table does not reflect them yet
    missing: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "status": self.status, "run_id": self.run_id,
                "built_at": self.built_at.isoformat() if self.built_at else None,
                "built_from": list(self.built_from), "missing": list(self.missing)}


def _built(store: "CaseStore") -> list[tuple[str, str, datetime]]:
    """(table, run_id, built_at) of the cached derived tables present in the store."""
    sql = []
    if store.has_table("derived_cache"):
        sql.append("SELECT d.name, d.run_id, r.started FROM derived_cache d JOIN runs r USING (run_id)")
    if store.has_table("st_cache"):
        sql.append("SELECT t.name, s.run_id, s.created FROM st_cache s, "
                   "(VALUES ('st_stays'), ('st_places'), ('st_visits')) t(name)")
    if not sql:
        return []
    rows = store.con.execute(" UNION ALL ".join(sql) + " ORDER BY 1").fetchall()
    return [(str(n), str(r), t) for n, r, t in rows if store.has_table(str(n))]


def derived_status(store: "CaseStore") -> list[DerivedStatus]:
    """Every derived table of the store with its freshness (see module docstring)."""
    loads = store.con.execute("SELECT delivery_id, loaded_at FROM deliveries ORDER BY loaded_at, delivery_id").fetchall()
    out = [DerivedStatus(t, "current", None, None, tuple(d for d, _ in loads)) for t in AT_INGEST
           if store.has_table(t)]
    for table, run_id, built_at in _built(store):
        before = tuple(d for d, at in loads if at <= built_at)
        after = tuple(d for d, at in loads if at > built_at)
        out.append(DerivedStatus(table, "stale" if after else "current", run_id, built_at, before, after))
    return out


def render_status(rows: list[dict[str, Any]]) -> list[str]:
    """Lines for ``info``'s text: one per derived table."""
    lines = []
    for r in rows:
        if r["run_id"] is None:
            lines.append(f"  {r['table']:<22} current (maintained by every ingest)")
        elif r["status"] == "current":
            lines.append(f"  {r['table']:<22} current: built {r['built_at'][:19]} from {len(r['built_from'])} "
                         "deliveries")
        else:
            names = ", ".join(r["missing"][:3]) + (f" and {len(r['missing']) - 3} more" if len(r["missing"]) > 3 else "")
            lines.append(f"  {r['table']:<22} stale: built before {names}; recomputed by the next command "
                         "that needs it")
    return lines
