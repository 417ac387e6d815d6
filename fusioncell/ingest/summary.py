"""What a case store holds: the facts behind ``fusioncell info``.

:func:`case_summary` reads counts per discipline and per source, the time
span of the observations, identifiers per scheme, entities per schema and
the targets; :func:`render_summary` turns that into text (rich tables).
Both only read the store.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from fusioncell.ingest.flags import flag_counts
from fusioncell.ingest.freshness import derived_status, render_status

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

_OBS = (("comms", "start"), ("locations", "observed"), ("sightings", "observed"), ("reports", "reported"))


def _iso(t: datetime | None, tz: ZoneInfo) -> str | None:
    return t.astimezone(tz).isoformat() if t is not None else None


def case_summary(store: "CaseStore") -> dict[str, Any]:
    """A JSON-ready summary of an ingested case.

    Keys: ``case``, ``title``, ``owner_agency``, ``legal_authority``,
    ``timezone``, ``phone_region``, ``targets`` (entity id and caption),
    ``counts`` (rows per table), ``disciplines`` (sources and rows per
    discipline), ``sources`` (rows per source, by table), ``time_span``
    (``from``/``to`` in the case's time zone), ``identifiers`` (total and
    per scheme), ``entities`` (total and per schema), ``files`` (ingest log).

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> from fusioncell.ingest import example_case, ingest_case
    >>> store = CaseStore.memory(); _ = ingest_case(example_case(), store)
    >>> case_summary(store)["case"]
    'op-tapalpa'
    """
    info = store.case()
    tz = ZoneInfo(info.timezone)
    con = store.con
    captions = dict(con.execute("SELECT entity_id, caption FROM entities").fetchall())
    counts = {t: store.count(t) for t in
              ("sources", "comms", "locations", "sightings", "reports", "claims", "entities", "identifiers")}
    per_source: dict[str, dict[str, Any]] = {}
    for sid, agency, disc, rel in con.execute(
        "SELECT source_id, agency, discipline, reliability FROM sources ORDER BY source_id"
    ).fetchall():
        per_source[sid] = {"source_id": sid, "agency": agency, "discipline": disc, "reliability": rel,
                           "comms": 0, "locations": 0, "sightings": 0, "reports": 0, "claims": 0}
    for table in ("comms", "locations", "sightings", "reports", "claims"):
        for sid, n in con.execute(f"SELECT source_id, count(*) FROM {table} GROUP BY source_id").fetchall():
            if sid in per_source:
                per_source[sid][table] = int(n)
    disciplines: dict[str, dict[str, Any]] = {}
    for s in per_source.values():
        d = disciplines.setdefault(s["discipline"], {"discipline": s["discipline"], "sources": 0, "rows": 0})
        d["sources"] += 1
        d["rows"] += s["comms"] + s["locations"] + s["sightings"] + s["reports"]
    span_sql = " UNION ALL ".join(f"SELECT min({c}) AS a, max({c}) AS b FROM {t}" for t, c in _OBS)
    lo, hi = con.execute(f"SELECT min(a), max(b) FROM ({span_sql})").fetchone() or (None, None)
    schemes = {k: int(v) for k, v in con.execute(
        "SELECT scheme, count(*) FROM identifiers GROUP BY scheme ORDER BY count(*) DESC, scheme").fetchall()}
    schemata = {k: int(v) for k, v in con.execute(
        "SELECT schema, count(*) FROM entities GROUP BY schema ORDER BY count(*) DESC, schema").fetchall()}
    files = [
        {"file": f, "rows": int(n), "sha256": h, "ingested_at": _iso(t, tz)}
        for f, n, h, t in con.execute(
            "SELECT file, rows, sha256, ingested_at FROM ingest_log ORDER BY ingested_at, file").fetchall()
    ]
    return {
        "case": info.case_id,
        "title": info.title,
        "owner_agency": info.owner_agency,
        "legal_authority": info.legal_authority,
        "timezone": info.timezone,
        "phone_region": info.phone_region,
        "targets": [{"entity_id": t, "caption": captions.get(t)} for t in info.targets],
        "counts": counts,
        "disciplines": sorted(disciplines.values(), key=lambda d: d["discipline"]),
        "sources": list(per_source.values()),
        "time_span": {"from": _iso(lo, tz), "to": _iso(hi, tz)},
        "identifiers": {"total": counts["identifiers"], "by_scheme": schemes},
        "entities": {"total": counts["entities"], "by_schema": schemata},
        "files": files,
        "flags": flag_counts(store),
        "derived": [x.to_dict() for x in derived_status(store)],
        "quarantined": int((con.execute("SELECT count(*) FROM rejects").fetchone() or (0,))[0]) if store.has_table("rejects") else 0,
    }


def render_summary(d: dict[str, Any]) -> str:
    """The summary as text for a terminal (rich tables, no colour codes)."""
    buf = io.StringIO()
    con = Console(file=buf, width=120, color_system=None, force_terminal=False)
    con.print(f"Case {d['case']}: {d.get('title') or ''}".rstrip(": "))
    con.print(f"Owner {d['owner_agency']} · legal authority: {d['legal_authority']}")
    span = d["time_span"]
    con.print(f"Observations from {span['from'] or '-'} to {span['to'] or '-'} ({d['timezone']})")
    targets = ", ".join(f"{t['entity_id']} ({t['caption']})" if t.get("caption") else t["entity_id"] for t in d["targets"])
    con.print(f"Targets: {targets or 'none'}")
    t = Table(title="Per discipline", title_justify="left")
    for col in ("discipline", "sources", "rows"):
        t.add_column(col, justify="right" if col != "discipline" else "left")
    for r in d["disciplines"]:
        t.add_row(r["discipline"], str(r["sources"]), f"{r['rows']:,}")
    con.print(t)
    t = Table(title="Per source", title_justify="left")
    cols = ("source_id", "agency", "discipline", "reliability", "comms", "locations", "sightings", "reports", "claims")
    for col in cols:
        # ids are never truncated: they are what an analyst copies
        t.add_column(col, justify="right" if col in cols[4:] else "left", overflow="fold",
                     no_wrap=col == "source_id")
    for r in d["sources"]:
        t.add_row(*[f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in cols])
    con.print(t)
    ids = d["identifiers"]
    con.print(f"Identifiers: {ids['total']:,} (" + ", ".join(f"{k} {v:,}" for k, v in ids["by_scheme"].items()) + ")")
    ents = d["entities"]
    con.print(f"Entities: {ents['total']:,} (" + ", ".join(f"{k} {v:,}" for k, v in ents["by_schema"].items()) + ")")
    flags = {k: v for k, v in (d.get("flags") or {}).items() if v}
    if flags:
        con.print("Flagged rows (kept; legal but odd): " + ", ".join(f"{k} {v:,}" for k, v in flags.items()))
    if d.get("derived"):
        con.print("Derived results:")
        for line in render_status(d["derived"]):
            con.print(line, overflow="fold", markup=False)
    if d.get("quarantined"):
        con.print(f"Quarantined rows: {d['quarantined']:,} (set aside by ingest --quarantine; fusioncell rejects lists them)")
    return buf.getvalue()
