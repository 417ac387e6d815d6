"""The watches of a case: what an analyst asked to be told about, kept in the store.

Kinds (each scoped to named entities, never to a whole list):

==============  ===========================================  ==========================================
kind            arguments                                    fires on a new row that ...
==============  ===========================================  ==========================================
``identifier``  ID                                           mentions ID (a call, a fix, a sighting of a
                                                             plate, a report claim)
``person``      ENTITY                                       mentions the entity or an identifier it
                                                             declares in entities.jsonl
``place``       LAT LON ``--radius-m`` [``--of`` ID]          puts anyone (or ID) within the radius
``new-area``    ID [``--radius-m``, default 1000]             puts ID farther than the radius from every
                                                             position of ID loaded before
``meeting``     ID ID2 [``--radius-m`` 250, ``--window-min``  puts the two within the radius and window
                30]                                          of each other (one of the two rows new)
``dark-return`` ID [``--gap-h``, default 48]                 is ID's first activity after at least
                                                             ``gap-h`` hours of silence
``new-contact`` ID                                           is a call or message between ID and a
                                                             party never in contact with ID before
``locate``      ENTITY [``--threshold`` P]                    moves locate's top area for the target beyond
                                                             its radius, or its probability across P
``burner``      ID                                           is a row of the successor phone of a burner
                                                             succession touching ID's chain, not known
                                                             before (:mod:`fusioncell.watch.analytic`)
==============  ===========================================  ==========================================

ID is an identifier as written anywhere in the case (normalised like the case
files: ``33 1234 5678`` is ``+523312345678`` in an ``MX`` case) or an entity
id; an entity stands for itself and every identifier it declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from fusioncell.errors import NotFound, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore

KINDS = ("identifier", "person", "place", "new-area", "meeting", "dark-return", "new-contact", "burner", "locate")

WATCHES_DDL = """CREATE TABLE IF NOT EXISTS watches (
    watch_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    subject VARCHAR,
    subject2 VARCHAR,
    lat DOUBLE,
    lon DOUBLE,
    radius_m DOUBLE,
    window_s DOUBLE,
    gap_s DOUBLE,
    note VARCHAR,
    created_by VARCHAR,
    created_at TIMESTAMPTZ NOT NULL)"""

DEFAULT_RADIUS_M = {"new-area": 1000.0, "meeting": 250.0}
DEFAULT_WINDOW_MIN = 30.0
DEFAULT_GAP_H = 48.0


@dataclass(frozen=True, slots=True)
class Watch:
    """One standing watch (a row of ``watches``)."""

    watch_id: str
    kind: str
    subject: str | None
    subject2: str | None
    lat: float | None
    lon: float | None
    radius_m: float | None
    window_s: float | None
    gap_s: float | None
    note: str | None
    created_by: str | None
    created_at: datetime
    #: locate: the probability whose crossing fires (None: only a move of the top area fires)
    threshold: float | None = None

    def describe(self, name: Callable[[str], str] | None = None) -> str:
        """One line an analyst reads: what the watch fires on.

        ``name`` turns a subject into the words of the sentence (a protected
        person's number becomes "phone P-7f3a9c", :mod:`fusioncell.security.naming`);
        by default the subject itself.
        """
        k = self.kind
        if name is not None:
            return replace(self, subject=name(self.subject) if self.subject else self.subject,
                           subject2=name(self.subject2) if self.subject2 else self.subject2).describe()
        if k in ("identifier", "person"):
            return f"{k} {self.subject}: any new row that names it"
        if k == "place":
            who = f" of {self.subject}" if self.subject else ""
            return f"place {self.lat:.5f},{self.lon:.5f} r {self.radius_m:g} m: a new position{who} inside"
        if k == "new-area":
            return f"new-area {self.subject}: a new position more than {self.radius_m:g} m from any before"
        if k == "meeting":
            return (f"meeting {self.subject} + {self.subject2}: within {self.radius_m:g} m and "
                    f"{(self.window_s or 0) / 60:g} min")
        if k == "dark-return":
            return f"dark-return {self.subject}: active again after {(self.gap_s or 0) / 3600:g} h or more of silence"
        if k == "locate":
            cross = f", or its probability crosses {self.threshold:g}" if self.threshold is not None else ""
            return f"locate {self.subject}: its top area moves{cross}"
        if k == "burner":
            return f"burner {self.subject}: a new burner succession touching it (or a phone it passed to)"
        return f"new-contact {self.subject}: a party never in contact with it before"

    def to_dict(self) -> dict[str, object]:
        return {"watch_id": self.watch_id, "kind": self.kind, "subject": self.subject, "subject2": self.subject2,
                "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m, "window_s": self.window_s,
                "gap_s": self.gap_s, "threshold": self.threshold, "note": self.note, "created_by": self.created_by,
                "created_at": self.created_at.isoformat(), "describe": self.describe()}


def ensure_table(store: "CaseStore") -> None:
    store.con.execute(WATCHES_DDL)
    store.con.execute("ALTER TABLE watches ADD COLUMN IF NOT EXISTS threshold DOUBLE")  # locate (added later)


def normalise_subject(store: "CaseStore", raw: str, *, entity: bool = False) -> str:
    """An identifier or entity id as the case files would store it; raise UsageError when it is neither."""
    from fusioncell.ingest.idnorm import IdNormalizer

    text = raw.strip()
    entity_ids = frozenset(r[0] for r in store.con.execute("SELECT entity_id FROM entities").fetchall())
    if entity:
        if text not in entity_ids:
            raise NotFound(f"{text!r}: no entity with this id in the case (entities.jsonl)")
        return text
    region = store.case().phone_region if store.is_ingested() else None
    ident, _, error = IdNormalizer(region, entity_ids).normalize(text)
    if ident is None:
        raise UsageError(f"watch subject {raw!r}: {error}")
    return ident


def _positive(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise UsageError(f"--{name} must be a positive number, got {value:g}")


def add_watch(store: "CaseStore", kind: str, args: list[str], *, radius_m: float | None = None,
              of: str | None = None, window_min: float | None = None, gap_h: float | None = None,
              note: str | None = None, actor: str | None = None, threshold: float | None = None) -> Watch:
    """Add a watch (see the module docstring for kinds and arguments) and return it.

    Raises
    ------
    UsageError
        An unknown kind, the wrong number of arguments, a coordinate out of range,
        a non-positive radius, window or gap.
    NotFound
        ``person`` names no entity of the case.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown watch kind {kind!r}; one of: {', '.join(KINDS)}")
    want = {"place": 2, "meeting": 2}.get(kind, 1)
    if len(args) != want:
        usage = {"place": "LAT LON --radius-m R", "meeting": "ID ID2"}.get(kind, "ENTITY" if kind in ("person", "locate")
                                                                             else "ID")
        raise UsageError(f"watch {kind} takes {usage} ({len(args)} argument(s) given)")
    for name, value in (("radius-m", radius_m), ("window-min", window_min), ("gap-h", gap_h)):
        _positive(name, value)
    if threshold is not None and not 0 < threshold < 1:
        raise UsageError(f"--threshold is a probability between 0 and 1 (exclusive), got {threshold:g}")
    if threshold is not None and kind != "locate":
        raise UsageError("--threshold applies to a locate watch only")
    subject = subject2 = None
    lat = lon = None
    if kind == "place":
        try:
            lat, lon = float(args[0]), float(args[1])
        except ValueError:
            raise UsageError(f"watch place: LAT LON must be numbers, got {args[0]!r} {args[1]!r}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UsageError(f"watch place: {lat:g},{lon:g} is not a latitude,longitude")
        if radius_m is None:
            raise UsageError("watch place needs --radius-m (metres)")
        subject = normalise_subject(store, of) if of else None
    else:
        subject = normalise_subject(store, args[0], entity=kind in ("person", "locate"))
        if kind == "meeting":
            subject2 = normalise_subject(store, args[1])
            if subject2 == subject:
                raise UsageError("watch meeting needs two different identifiers")
    radius = radius_m if radius_m is not None else DEFAULT_RADIUS_M.get(kind)
    window_s = (window_min if window_min is not None else DEFAULT_WINDOW_MIN) * 60 if kind == "meeting" else None
    gap_s = (gap_h if gap_h is not None else DEFAULT_GAP_H) * 3600 if kind == "dark-return" else None
    ensure_table(store)
    used = "SELECT watch_id FROM watches" + (" UNION ALL SELECT watch_id FROM alerts"
                                             if store.has_table("alerts") else "")
    # never reuse the id of a removed watch: its past alerts keep pointing at it
    row = store.con.execute(f"SELECT max(try_cast(substr(watch_id, 3) AS BIGINT)) FROM ({used}) "
                            "WHERE watch_id LIKE 'w-%'").fetchall()
    watch_id = f"w-{int(row[0][0] or 0) + 1}"
    if actor is None:
        from fusioncell.security.audit import current_actor

        actor = current_actor()
    w = Watch(watch_id, kind, subject, subject2, lat, lon, radius if kind in ("place", "new-area", "meeting") else None,
              window_s, gap_s, note, actor, datetime.now(timezone.utc), threshold)
    store.con.execute("INSERT INTO watches (watch_id, kind, subject, subject2, lat, lon, radius_m, window_s, gap_s, note,"
                      " created_by, created_at, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [w.watch_id, w.kind, w.subject, w.subject2, w.lat, w.lon, w.radius_m, w.window_s, w.gap_s,
                       w.note, w.created_by, w.created_at, w.threshold])
    if kind == "burner" and store.is_ingested():
        from fusioncell.watch.analytic import note_baseline

        note_baseline(store, w.watch_id)  # the successions known now are the past: never alerted
    if kind == "locate" and store.is_ingested():
        from fusioncell.watch.analytic import note_top, top_area

        note_top(store, w.watch_id, top_area(store, str(subject)))  # the top area now: the next delivery compares with it
    return w


def list_watches(store: "CaseStore") -> list[Watch]:
    """The case's watches, oldest first."""
    if not store.has_table("watches"):
        return []
    cols = {c[0] for c in store.con.execute("DESCRIBE watches").fetchall()}
    more = "" if "threshold" in cols else ", NULL"  # a store from before locate watches (read-only: no ALTER)
    rows = store.con.execute(f"SELECT *{more} FROM watches ORDER BY created_at, watch_id").fetchall()
    return [Watch(*r) for r in rows]


_WATCH_ID = re.compile(r"w-\d+")


def remove_watch(store: "CaseStore", watch_id: str) -> Watch:
    """Remove a watch (its past alerts stay); raise NotFound when there is none with this id."""
    found = [w for w in list_watches(store) if w.watch_id == watch_id.strip()]
    if not found:
        hint = "" if _WATCH_ID.fullmatch(watch_id.strip()) else " (watch ids look like w-3; see fusioncell watch list)"
        raise NotFound(f"{watch_id!r}: no such watch in this case{hint}")
    store.con.execute("DELETE FROM watches WHERE watch_id = ?", [found[0].watch_id])
    return found[0]
