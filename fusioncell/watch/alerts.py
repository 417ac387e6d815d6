"""Evaluate the watches on the rows of new deliveries, store alerts, list them.

Everything is relational (DuckDB SQL on the store's connection, no loop over
rows): the watched identifiers are expanded once (an entity stands for the
identifiers it declares), their activity is gathered from every observation
table, and each kind of watch is one query that keeps only hits on rows of the
new deliveries (``delivery_id``). Kinds that need history (``new-area``,
``dark-return``, ``new-contact``, ``meeting``) read the watched identifiers'
earlier rows too, which is proportional to those identifiers' history, not to
the store. ``place`` watches without ``--of`` read only the new rows.

One alert per watch and delivery that fired: the watch, the delivery, the
ingest run, when, a one-line summary and the evidence rows (table, event id,
source, time, identifier, counterparty).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from fusioncell.spacetime.geo import haversine_sql
from fusioncell.watch.watches import ensure_table

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

ALERTS_DDL = """CREATE TABLE IF NOT EXISTS alerts (
    alert_id VARCHAR PRIMARY KEY,
    watch_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    delivery_id VARCHAR NOT NULL,
    ingest_run VARCHAR,
    fired_at TIMESTAMPTZ NOT NULL,
    n_rows BIGINT NOT NULL,
    first_t TIMESTAMPTZ,
    last_t TIMESTAMPTZ,
    summary VARCHAR NOT NULL,
    evidence STRUCT(tbl VARCHAR, event_id VARCHAR, source_id VARCHAR, t TIMESTAMPTZ, identifier VARCHAR,
                    other VARCHAR, delivery_id VARCHAR)[] NOT NULL)"""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One row that fired a watch."""

    tbl: str
    event_id: str
    source_id: str
    t: datetime | None
    identifier: str | None
    other: str | None
    delivery_id: str | None


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: a watch that fired on one delivery."""

    alert_id: str
    watch_id: str
    kind: str
    delivery_id: str
    ingest_run: str | None
    fired_at: datetime
    n_rows: int
    first_t: datetime | None
    last_t: datetime | None
    summary: str
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {"alert_id": self.alert_id, "watch_id": self.watch_id, "kind": self.kind,
                "delivery_id": self.delivery_id, "ingest_run": self.ingest_run, "fired_at": iso(self.fired_at),
                "n_rows": self.n_rows, "first_t": iso(self.first_t), "last_t": iso(self.last_t),
                "summary": self.summary,
                "evidence": [{"table": e.tbl, "event_id": e.event_id, "source_id": e.source_id, "t": iso(e.t),
                              "identifier": e.identifier, "other": e.other, "delivery_id": e.delivery_id}
                             for e in self.evidence]}


def _events_sql(where_ident: str, where_new: str) -> str:
    """Every row naming an identifier: (identifier, other, t, lat, lon, tbl, event_id, source_id, delivery_id).

    ``where_ident`` filters on the identifier column (given as ``{c}``), ``where_new`` on ``delivery_id``.
    A 0,0 position is no position (a handset's failed fix), so it never places anyone.
    """
    def f(col: str) -> str:
        return " AND ".join(x.format(c=col) for x in (where_ident, where_new) if x) or "TRUE"

    def pos(lat: str, lon: str) -> str:
        return (f"CASE WHEN {lat} = 0 AND {lon} = 0 THEN NULL ELSE {lat} END AS lat, "
                f"CASE WHEN {lat} = 0 AND {lon} = 0 THEN NULL ELSE {lon} END AS lon")

    return f"""
        SELECT caller AS identifier, callee AS other, start AS t, {pos('caller_lat', 'caller_lon')},
               'comms' AS tbl, event_id, source_id, delivery_id FROM comms WHERE {f('caller')}
        UNION ALL
        SELECT callee, caller, start, {pos('callee_lat', 'callee_lon')}, 'comms', event_id, source_id, delivery_id
          FROM comms WHERE callee <> caller AND {f('callee')}
        UNION ALL
        SELECT identifier, NULL, observed, {pos('lat', 'lon')}, 'locations', event_id, source_id, delivery_id
          FROM locations WHERE {f('identifier')}
        UNION ALL
        SELECT subject, NULL, observed, {pos('lat', 'lon')}, 'sightings', event_id, source_id, delivery_id
          FROM sightings WHERE {f('subject')}
        UNION ALL
        SELECT subject, object, coalesce(valid_from, reported), {pos('lat', 'lon')}, 'claims',
               report_id || '#' || claim_no, source_id, delivery_id FROM claims WHERE {f('subject')}
        UNION ALL
        SELECT object, subject, coalesce(valid_from, reported), NULL AS lat, NULL AS lon, 'claims',
               report_id || '#' || claim_no, source_id, delivery_id
          FROM claims WHERE object IS NOT NULL AND object <> subject AND {f('object')}"""


_HIT = "watch_id, delivery_id, tbl, event_id, source_id, t, identifier, other, detail"


def _dist(a: str, b: str) -> str:
    return haversine_sql(f"{a}.lat", f"{a}.lon", f"{b}.lat", f"{b}.lon")


def _rules() -> dict[str, str]:
    """One query per kind of watch, each giving hits (``_HIT`` columns) on new rows."""
    mine = "JOIN _fc_wid w USING (identifier) JOIN watches k USING (watch_id)"
    return {
        "named": f"""SELECT w.watch_id, e.delivery_id, e.tbl, e.event_id, e.source_id, e.t, e.identifier, e.other,
                            NULL FROM _fc_ev e {mine} WHERE k.kind IN ('identifier', 'person') AND e.is_new""",
        "place": f"""SELECT k.watch_id, p.delivery_id, p.tbl, p.event_id, p.source_id, p.t, p.identifier, p.other,
                            {_dist('k', 'p')} FROM watches k JOIN _fc_newpos p
                       ON p.lat BETWEEN k.lat - k.radius_m / 110000.0 AND k.lat + k.radius_m / 110000.0
                     WHERE k.kind = 'place' AND {_dist('k', 'p')} <= k.radius_m
                       AND (k.subject IS NULL OR p.identifier IN
                            (SELECT x.identifier FROM _fc_wid x WHERE x.watch_id = k.watch_id))""",
        "new-area": f"""WITH pos AS (SELECT w.watch_id, k.radius_m, e.* FROM _fc_ev e {mine}
                                     WHERE k.kind = 'new-area' AND e.lat IS NOT NULL)
                     SELECT n.watch_id, n.delivery_id, n.tbl, n.event_id, n.source_id, n.t, n.identifier, n.other,
                            NULL FROM pos n WHERE n.is_new AND NOT EXISTS (
                              SELECT 1 FROM pos o WHERE o.watch_id = n.watch_id AND NOT o.is_new
                                AND {_dist('o', 'n')} <= n.radius_m)""",
        "meeting": f"""WITH pos AS (SELECT w.watch_id, w.role, e.* FROM _fc_ev e {mine}
                                    WHERE k.kind = 'meeting' AND e.lat IS NOT NULL),
                     pairs AS (
                       SELECT a.watch_id, CASE WHEN a.is_new THEN a.delivery_id ELSE b.delivery_id END AS fired_in,
                              a.tbl AS a_tbl, a.event_id AS a_ev, a.source_id AS a_src, a.t AS a_t,
                              a.identifier AS a_id, a.delivery_id AS a_del,
                              b.tbl AS b_tbl, b.event_id AS b_ev, b.source_id AS b_src, b.t AS b_t,
                              b.identifier AS b_id, b.delivery_id AS b_del, {_dist('a', 'b')} AS d
                         FROM pos a JOIN pos b ON a.watch_id = b.watch_id AND a.role = 1 AND b.role = 2
                         JOIN watches k ON k.watch_id = a.watch_id
                        WHERE (a.is_new OR b.is_new) AND a.identifier <> b.identifier
                          AND abs(epoch(a.t) - epoch(b.t)) <= k.window_s AND {_dist('a', 'b')} <= k.radius_m)
                     SELECT watch_id, fired_in, a_tbl, a_ev, a_src, a_t, a_id, b_id, d FROM pairs
                     UNION ALL SELECT watch_id, fired_in, b_tbl, b_ev, b_src, b_t, b_id, a_id, d FROM pairs""",
        "dark-return": f"""WITH act AS (SELECT w.watch_id, k.gap_s, e.* FROM _fc_ev e {mine}
                                         WHERE k.kind = 'dark-return' AND e.tbl IN ('comms', 'locations', 'sightings')),
                         g AS (SELECT *, epoch(t) - epoch(lag(t) OVER (PARTITION BY watch_id
                                                                       ORDER BY t, tbl, event_id)) AS gap FROM act)
                     SELECT watch_id, delivery_id, tbl, event_id, source_id, t, identifier, other, gap FROM g
                      WHERE is_new AND gap >= gap_s""",
        "new-contact": f"""WITH c AS (SELECT w.watch_id, e.* FROM _fc_ev e {mine}
                                       WHERE k.kind = 'new-contact' AND e.tbl = 'comms'
                                         AND e.other NOT IN (SELECT x.identifier FROM _fc_wid x
                                                             WHERE x.watch_id = w.watch_id))
                     SELECT n.watch_id, n.delivery_id, n.tbl, n.event_id, n.source_id, n.t, n.identifier, n.other,
                            NULL FROM c n WHERE n.is_new AND NOT EXISTS (
                              SELECT 1 FROM c o WHERE o.watch_id = n.watch_id AND o.other = n.other
                                AND NOT o.is_new)""",
    }


_SUMMARY = """CASE k.kind
    WHEN 'identifier' THEN k.subject || ' named in ' || n || ' new row(s)'
    WHEN 'person' THEN k.subject || ' named in ' || n || ' new row(s) (' || ids || ')'
    WHEN 'place' THEN n || ' new position(s) of ' || ids || ' within ' || CAST(k.radius_m AS BIGINT)
                      || ' m of ' || round(k.lat, 5) || ',' || round(k.lon, 5)
    WHEN 'new-area' THEN k.subject || ' seen ' || n || ' time(s) more than ' || CAST(k.radius_m AS BIGINT)
                      || ' m from anywhere it was seen before'
    WHEN 'meeting' THEN k.subject || ' and ' || k.subject2 || ' within ' || CAST(k.radius_m AS BIGINT) || ' m and '
                      || CAST(round(k.window_s / 60) AS BIGINT) || ' min of each other (' || n || ' row(s))'
    WHEN 'dark-return' THEN k.subject || ' active again after ' || round(max_detail / 3600, 1)
                      || ' h of silence (' || ids || ')'
    WHEN 'locate' THEN 'top area of ' || others
    WHEN 'burner' THEN 'new burner succession touching ' || k.subject || ': ' || others || ' -> ' || ids
                      || ' (score ' || round(max_detail, 2) || '; ' || n || ' new row(s) of the successor)'
    ELSE k.subject || ' in contact with ' || others || ' for the first time'
  END"""


def _prepare(con: Any, new: list[str]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _fc_new (delivery_id VARCHAR)")
    con.executemany("INSERT INTO _fc_new VALUES (?)", [[d] for d in new])
    con.execute("""CREATE OR REPLACE TEMP TABLE _fc_wid AS
        WITH ws AS (SELECT watch_id, 1 AS role, subject AS s FROM watches WHERE subject IS NOT NULL
                    UNION ALL SELECT watch_id, 2, subject2 FROM watches WHERE subject2 IS NOT NULL)
        SELECT watch_id, role, s AS identifier FROM ws
        UNION SELECT ws.watch_id, ws.role, ei.identifier FROM ws JOIN entity_identifiers ei ON ei.entity_id = ws.s""")
    watched = "{c} IN (SELECT identifier FROM _fc_wid)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fc_ev AS
        SELECT *, delivery_id IN (SELECT delivery_id FROM _fc_new) AS is_new FROM ({_events_sql(watched, '')})""")
    open_place = con.execute("SELECT count(*) FROM watches WHERE kind = 'place'").fetchall()[0][0]
    newrows = "delivery_id IN (SELECT delivery_id FROM _fc_new)"
    sql = (f"SELECT * FROM ({_events_sql('', newrows)}) WHERE lat IS NOT NULL" if open_place
           else f"SELECT * FROM ({_events_sql('', newrows)}) WHERE FALSE")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fc_newpos AS {sql}")


def evaluate_watches(store: "CaseStore", new_deliveries: Iterable[str], ingest_run: str | None) -> list["Alert"]:
    """Evaluate every watch on the rows of ``new_deliveries``; store and return the alerts raised.

    Runs inside the caller's transaction (ingest's), so alerts commit with the
    delivery that raised them or not at all.
    """
    new = sorted(set(new_deliveries))
    con = store.con
    ensure_table(store)
    con.execute(ALERTS_DDL)
    if not new or not con.execute("SELECT count(*) FROM watches").fetchall()[0][0]:
        return []
    _prepare(con, new)
    hits = " UNION ALL ".join(f"SELECT * FROM ({q}) AS r{i}({_HIT})" for i, q in enumerate(_rules().values()))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fc_hits AS SELECT DISTINCT * FROM ({hits})")
    from fusioncell.watch.analytic import burner_hits, locate_hits, note_alerted

    burner_hits(store)  # successions: an analysis of the whole store, run only when a burner watch exists
    locate_hits(store, new)  # a full locate of each watched target, only when a locate watch exists
    run = ingest_run or ""
    con.execute(f"""
        INSERT INTO alerts (alert_id, watch_id, kind, delivery_id, ingest_run, fired_at, n_rows, first_t, last_t,
                            summary, evidence)
        SELECT 'alert-' || substr(md5(g.watch_id || '|' || g.delivery_id || '|' || ?), 1, 12), g.watch_id, k.kind,
               g.delivery_id, ?, now(), n, first_t, last_t, {_SUMMARY}, evidence
          FROM (SELECT watch_id, delivery_id, count(DISTINCT (tbl, event_id)) AS n, min(t) AS first_t,
                       max(t) AS last_t, max(detail) AS max_detail,
                       string_agg(DISTINCT identifier, ', ' ORDER BY identifier) AS ids,
                       string_agg(DISTINCT other, ', ' ORDER BY other) AS others,
                       list(DISTINCT {{'tbl': tbl, 'event_id': event_id, 'source_id': source_id, 't': t,
                                      'identifier': identifier, 'other': other, 'delivery_id': delivery_id}}) AS ev
                  FROM _fc_hits GROUP BY watch_id, delivery_id) g(watch_id, delivery_id, n, first_t, last_t,
                                                                  max_detail, ids, others, evidence)
          JOIN watches k USING (watch_id)""", [run, ingest_run])
    note_alerted(store)
    for t in ("_fc_hits", "_fc_newpos", "_fc_ev", "_fc_wid", "_fc_new"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return [a for a in list_alerts(store) if a.ingest_run == ingest_run] if ingest_run else []


def list_alerts(store: "CaseStore", since: datetime | None = None, agency: str | None = None) -> list[Alert]:
    """The case's alerts, oldest first (fired at or after ``since``).

    With ``agency``, only alerts whose every evidence row comes from a source
    that agency may see (its own, or releasable to it): an alert partly built
    on withheld evidence would reveal it by existing.
    """
    if not store.has_table("alerts"):
        return []
    sql = ("SELECT alert_id, watch_id, kind, delivery_id, ingest_run, fired_at, n_rows, first_t, last_t, summary, "
           "list_sort(evidence) FROM alerts WHERE (? IS NULL OR fired_at >= ?)")
    args: list[Any] = [since, since]
    if agency is not None:
        sql += (" AND NOT EXISTS (SELECT 1 FROM (SELECT unnest(evidence) AS e) x WHERE x.e.source_id NOT IN "
                "(SELECT source_id FROM sources WHERE agency = ? OR list_contains(releasable_to, ?)))")
        args += [agency, agency]
    rows = store.con.execute(sql + " ORDER BY fired_at, alert_id", args).fetchall()
    return [Alert(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7], r[8], r[9],
                  tuple(sorted((Evidence(**e) for e in r[10]), key=_in_time))) for r in rows]


def _in_time(e: "Evidence") -> tuple[bool, datetime, str, str]:
    """An alert's rows oldest first (rows without a time last; ties by table and event id): kept in table and
    event-id order, a page's "first 50" jumped from June to July and back."""
    t = e.t if e.t is not None else datetime.max.replace(tzinfo=timezone.utc)
    return (e.t is None, t, str(e.tbl), str(e.event_id))
