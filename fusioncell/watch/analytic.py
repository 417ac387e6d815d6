"""Watches on results of an analysis, not on rows: a new burner succession, locate's top area.

``burner ID`` (an identifier or an entity, which stands for the identifiers it
declares) fires when a burner-phone succession (``fusioncell.resolve``'s
:func:`~fusioncell.resolve.burner_successions`, called as is) links a phone
of the watched chain to another, the succession was not known before, and its
successor phone has rows in the new delivery (those rows are the evidence).
The chain grows with what the watch has seen: once ``A → B`` was known (when
the watch was added) or alerted, ``B → C`` touches it too.

What the watch already knows is kept in ``watch_state`` (one row per known
succession): the successions found when the watch was added (so adding a watch
raises nothing about the past) and every one it alerted since.

Cost: the succession analysis runs over the whole store (its derived table is
cached on the deliveries, so the next ``network``/``locate`` reuses it), and
only when a ``burner`` watch exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

STATE_DDL = """CREATE TABLE IF NOT EXISTS watch_state (
    watch_id VARCHAR NOT NULL, old VARCHAR NOT NULL, new VARCHAR NOT NULL, score DOUBLE, noted_at TIMESTAMPTZ)"""

#: The watched chain of every burner watch: its identifiers, and both ends of every succession it knows,
#: grown along the current successions (``_fc_burner``) from them.
_CHAIN = """
    WITH RECURSIVE chain(watch_id, identifier) AS (
        SELECT w.watch_id, w.identifier FROM _fc_bwid w
        UNION
        SELECT c.watch_id, CASE WHEN b.old = c.identifier THEN b.new ELSE b.old END
          FROM chain c JOIN _fc_burner b ON c.identifier IN (b.old, b.new)
          JOIN watch_state s ON s.watch_id = c.watch_id AND s.old = b.old AND s.new = b.new)
    SELECT DISTINCT watch_id, identifier FROM chain"""


def _successions(store: "CaseStore") -> pa.Table:
    from fusioncell.resolve import burner_successions

    rows = burner_successions(store)
    return pa.table({"old": pa.array([r["old"] for r in rows], pa.string()),
                     "new": pa.array([r["new"] for r in rows], pa.string()),
                     "score": pa.array([float(r["score"]) for r in rows], pa.float64())})


def _watched_ids(con: Any, watch_ids: str) -> None:
    """``_fc_bwid``: each burner watch's identifiers (an entity expanded to those it declares)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fc_bwid AS
        SELECT watch_id, subject AS identifier FROM watches WHERE {watch_ids}
        UNION SELECT k.watch_id, ei.identifier FROM watches k JOIN entity_identifiers ei ON ei.entity_id = k.subject
         WHERE {watch_ids}""")


def note_baseline(store: "CaseStore", watch_id: str) -> int:
    """Record the successions touching a new burner watch's chain now (they are the past, never alerted)."""
    con = store.con
    con.execute(STATE_DDL)
    con.register("_fc_burner", _successions(store))
    try:
        _watched_ids(con, f"watch_id = '{watch_id}'")
        n = 0
        while True:  # grow the chain until no succession touches it that is not known yet
            added = con.execute(f"""INSERT INTO watch_state (watch_id, old, new, score, noted_at)
                SELECT DISTINCT c.watch_id, b.old, b.new, b.score, now() FROM ({_CHAIN}) c
                  JOIN _fc_burner b ON c.identifier IN (b.old, b.new)
                 WHERE NOT EXISTS (SELECT 1 FROM watch_state s WHERE s.watch_id = c.watch_id
                                     AND s.old = b.old AND s.new = b.new)""").fetchall()
            got = int(added[0][0]) if added else 0
            n += got
            if not got:
                return n
    finally:
        con.unregister("_fc_burner")
        con.execute("DROP TABLE IF EXISTS _fc_bwid")


def burner_hits(store: "CaseStore") -> None:
    """Add to ``_fc_hits`` the rows of new successions touching a burner watch's chain (new rows only)."""
    con = store.con
    if not con.execute("SELECT count(*) FROM watches WHERE kind = 'burner'").fetchall()[0][0]:
        return
    con.execute(STATE_DDL)
    con.register("_fc_burner", _successions(store))
    try:
        _watched_ids(con, "kind = 'burner'")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _fc_bnew AS
            SELECT DISTINCT c.watch_id, b.old, b.new, b.score FROM ({_CHAIN}) c
              JOIN _fc_burner b ON c.identifier IN (b.old, b.new)
             WHERE NOT EXISTS (SELECT 1 FROM watch_state s WHERE s.watch_id = c.watch_id
                                 AND s.old = b.old AND s.new = b.new)""")
        con.execute("""INSERT INTO _fc_hits
            SELECT DISTINCT p.watch_id, m.delivery_id, 'comms', m.event_id, m.source_id, m.start, p.new, p.old, p.score
              FROM _fc_bnew p JOIN comms m ON p.new IN (m.caller, m.callee)
             WHERE m.delivery_id IN (SELECT delivery_id FROM _fc_new)""")
    finally:
        con.unregister("_fc_burner")
        con.execute("DROP TABLE IF EXISTS _fc_bwid")


def note_alerted(store: "CaseStore") -> None:
    """The successions just alerted become known to their watch (after the alerts are written)."""
    con = store.con
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_fc_bnew'").fetchall()[0][0]:
        return
    con.execute("""INSERT INTO watch_state (watch_id, old, new, score, noted_at)
        SELECT DISTINCT p.watch_id, p.old, p.new, p.score, now() FROM _fc_bnew p
         WHERE EXISTS (SELECT 1 FROM _fc_hits h WHERE h.watch_id = p.watch_id AND h.identifier = p.new
                         AND h.other = p.old)""")
    con.execute("DROP TABLE IF EXISTS _fc_bnew")


# -- locate: the focus's top area ------------------------------------------------
LOCATE_DDL = """CREATE TABLE IF NOT EXISTS watch_locate (
    watch_id VARCHAR NOT NULL, lat DOUBLE, lon DOUBLE, radius_m DOUBLE, probability DOUBLE NOT NULL,
    noted_at TIMESTAMPTZ NOT NULL)"""


@dataclass(frozen=True, slots=True)
class TopArea:
    """Locate's top area of a target (none: locate has no candidate place yet, probability 0)."""

    lat: float | None
    lon: float | None
    radius_m: float | None
    probability: float

    def text(self) -> str:
        if self.lat is None:
            return "none"
        return f"{self.lat:.5f},{self.lon:.5f} r {self.radius_m:.0f} m p {self.probability:.2f}"


def top_area(store: "CaseStore", target: str) -> TopArea:
    """Locate's top area for ``target`` now (the full analysis, :func:`fusioncell.infer.locate.locate`)."""
    from fusioncell.infer.locate import locate

    areas = locate(store, target, top=1).get("areas") or []
    if not areas:
        return TopArea(None, None, None, 0.0)
    a = areas[0]
    return TopArea(float(a["lat"]), float(a["lon"]), float(a["radius_m"]), float(a["probability"]))


def note_top(store: "CaseStore", watch_id: str, top: TopArea) -> None:
    store.con.execute(LOCATE_DDL)
    store.con.execute("INSERT INTO watch_locate (watch_id, lat, lon, radius_m, probability, noted_at)"
                      " VALUES (?, ?, ?, ?, ?, now())",
                      [watch_id, top.lat, top.lon, top.radius_m, top.probability])


def _last_top(store: "CaseStore", watch_id: str) -> TopArea | None:
    store.con.execute(LOCATE_DDL)
    row = store.con.execute("SELECT lat, lon, radius_m, probability FROM watch_locate WHERE watch_id = ? "
                            "ORDER BY noted_at DESC LIMIT 1", [watch_id]).fetchall()
    return TopArea(*row[0]) if row else None


def change(before: TopArea | None, now: TopArea, threshold: float | None) -> str | None:
    """Why the top area is news (appeared, vanished, moved beyond either area's radius, or crossed
    ``threshold``), or None."""
    from fusioncell.spacetime.geo import haversine_m

    was = before.probability if before is not None else 0.0
    had = before is not None and before.lat is not None
    if had != (now.lat is not None):
        return f"now {now.text()} (was {before.text() if before else 'none'})"
    if (before is not None and before.lat is not None and before.lon is not None and now.lat is not None
            and now.lon is not None):
        d = float(haversine_m(before.lat, before.lon, now.lat, now.lon))
        if d > max(before.radius_m or 0.0, now.radius_m or 0.0):
            return f"moved {d / 1000:.1f} km to {now.text()} (was {before.text()})"
    if threshold is not None and (was < threshold) != (now.probability < threshold):
        way = "rose above" if now.probability >= threshold else "fell below"
        return f"{way} {threshold:g}: {now.text()} (was {before.text() if before else 'none'})"
    return None


def locate_hits(store: "CaseStore", new: list[str]) -> None:
    """Add to ``_fc_hits`` one hit per locate watch whose target's top area changed with the new deliveries.

    Evidence: the new rows placed inside the new top area (what moved it), or, when none is, one row
    ``locate`` naming the area. The new top area is noted either way (the next delivery compares with it).
    """
    from fusioncell.errors import FusioncellError

    con = store.con
    watches = con.execute("SELECT watch_id, subject, threshold FROM watches WHERE kind = 'locate' "
                          "ORDER BY watch_id").fetchall()
    for watch_id, subject, threshold in watches:
        try:
            now = top_area(store, subject)
        except FusioncellError:  # e.g. the target is no longer in the case: nothing to compare
            continue
        why = change(_last_top(store, watch_id), now, threshold)
        note_top(store, watch_id, now)
        if why is None:
            continue
        args: list[Any] = [watch_id, subject, why]
        inside = "FALSE"
        if now.lat is not None:
            from fusioncell.spacetime.geo import haversine_sql

            inside = f"lat IS NOT NULL AND {haversine_sql('lat', 'lon', str(now.lat), str(now.lon))} <= {now.radius_m}"
        from fusioncell.watch.alerts import _events_sql

        newrows = "delivery_id IN (SELECT delivery_id FROM _fc_new)"
        return_rows = con.execute(f"""INSERT INTO _fc_hits
            SELECT DISTINCT ?, delivery_id, tbl, event_id, source_id, t, identifier, ? || ': ' || ?, {now.probability}
              FROM ({_events_sql('', newrows)}) WHERE {inside}""", args).fetchall()[0][0]
        if not return_rows:
            con.execute("INSERT INTO _fc_hits VALUES (?, ?, 'locate', 'top-area', NULL, now(), ?, ? || ': ' || ?, ?)",
                        [watch_id, sorted(new)[0], subject, subject, why, now.probability])
