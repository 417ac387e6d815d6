"""Evidence about the target's location, as columnar arrays with provenance.

Everything here reads the case store relationally and hands small numpy
arrays to the model: the positions of the target's circle (high-resolution
fixes and coarse serving-cell positions), graded informant claims about
where he is, and sightings of him or of vehicles his circle uses. Each item
keeps its event id, source id and time, so every number in a hypothesis can
be traced back to the rows that produced it.

Coarse positions: a serving cell is the nearest site only part of the time,
and rural sites are kilometres apart, so a cell position's accuracy is taken
as the distance to the neighbouring sites, never better than
``MIN_CELL_ACCURACY_M`` (the one definition:
:func:`fusioncell.spacetime.positions.cell_accuracy_m`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from fusioncell.infer.circle import Circle
from fusioncell.infer.household import Reads
from fusioncell.infer.nights import stayed_the_night
from fusioncell.model.grading import grade, weight
from fusioncell.model.night import NIGHT
from fusioncell.model.vehicles import Descriptor, describe, p_same
from fusioncell.spacetime.geo import LocalGrid
from fusioncell.spacetime.positions import cell_accuracy_m
from fusioncell.store import CaseStore

FloatArray = npt.NDArray[np.float64]

DEFAULT_FIX_ACCURACY_M = 300.0
NIGHT_FROM_H, NIGHT_TO_H = NIGHT.from_h, NIGHT.to_h  # the one night (fusioncell.model.night)


@dataclass
class Positions:
    """Positions of circle members (one row per observation)."""

    identifier: npt.NDArray[np.object_]
    t: npt.NDArray[np.datetime64]  # UTC instants
    lat: FloatArray
    lon: FloatArray
    acc_m: FloatArray
    fine: npt.NDArray[np.bool_]
    night: npt.NDArray[np.bool_]
    night_key: npt.NDArray[np.int64]  # local date of the evening a night belongs to (days since epoch)
    event_id: npt.NDArray[np.object_]
    source_id: npt.NDArray[np.object_]
    tz_offset_s: npt.NDArray[np.int64]  # local time minus UTC at each observation (seconds)

    def __len__(self) -> int:
        return int(self.lat.shape[0])

    def take(self, mask: npt.NDArray[np.bool_]) -> "Positions":
        return Positions(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def idents(self) -> tuple[list[str], npt.NDArray[np.intp]]:
        """The distinct identifiers (sorted) and, per row, the index of its own: look a per-person value up
        once per person, then spread it to the rows (never a dictionary look-up per row)."""
        cached = self.__dict__.get("_idents")
        if cached is None:
            import pandas as pd  # a hash-based factorisation: linear in the rows, no sort of strings

            inv, u = pd.factorize(self.identifier, sort=True)
            cached = ([str(x) for x in u], np.asarray(inv, dtype=np.intp))
            self.__dict__["_idents"] = cached
        return cached

    def per_ident(self, values: Mapping[str, Any], default: Any = 0.0) -> FloatArray:
        """``values[identifier]`` for every row (``default`` where absent); a tuple value gives one column
        per element."""
        if not len(self):
            return np.zeros((0,) if not isinstance(default, tuple) else (0, len(default)))
        names, inv = self.idents()
        return np.array([values.get(k, default) for k in names], dtype=float)[inv]


@dataclass
class Claims:
    lat: FloatArray
    lon: FloatArray
    radius_m: FloatArray
    weight: FloatArray
    grade: npt.NDArray[np.object_]
    report_id: npt.NDArray[np.object_]
    source_id: npt.NDArray[np.object_]
    predicate: npt.NDArray[np.object_]
    reported: npt.NDArray[np.datetime64]


@dataclass
class Sightings:
    lat: FloatArray
    lon: FloatArray
    confidence: FloatArray
    subject: npt.NDArray[np.object_]
    of_target: npt.NDArray[np.bool_]
    event_id: npt.NDArray[np.object_]
    source_id: npt.NDArray[np.object_]
    t: npt.NDArray[np.datetime64]


def _arr(rows: list[tuple[object, ...]], i: int, dtype: npt.DTypeLike = object) -> npt.NDArray[Any]:
    return np.array([r[i] for r in rows], dtype=dtype)  # small result sets only


def tower_accuracy(store: CaseStore) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct serving-cell positions and the accuracy to assume for each (metres).

    Accuracy is the one definition, :func:`fusioncell.spacetime.positions.cell_accuracy_m`
    (the distance to the second-nearest other site, at least 800 m).
    """
    rows = store.con.execute(
        """
        SELECT DISTINCT lat, lon FROM (
          SELECT caller_lat AS lat, caller_lon AS lon FROM comms WHERE caller_lat IS NOT NULL
          UNION ALL
          SELECT callee_lat, callee_lon FROM comms WHERE callee_lat IS NOT NULL
        ) ORDER BY lat, lon
        """
    ).fetchnumpy()
    lat = np.asarray(rows["lat"], dtype=float)
    lon = np.asarray(rows["lon"], dtype=float)
    return lat, lon, cell_accuracy_m(lat, lon)


def member_positions(store: CaseStore, circle: Circle, timezone: str) -> Positions:
    """Fixes and serving-cell positions of every circle member."""
    ids = circle.identifiers()
    tl, tn, ta = tower_accuracy(store)
    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE _circle_ids AS SELECT unnest(?) AS identifier", [ids])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _towers AS SELECT unnest(?) AS lat, unnest(?) AS lon, unnest(?) AS acc",
        [tl.tolist(), tn.tolist(), ta.tolist()],
    )
    q = f"""
    WITH p AS (
      SELECT identifier, observed AS t, lat, lon, coalesce(accuracy_m, {DEFAULT_FIX_ACCURACY_M}) AS acc,
             TRUE AS fine, event_id, source_id
      FROM locations WHERE identifier IN (SELECT identifier FROM _circle_ids)
      UNION ALL
      SELECT c.caller, c.start, c.caller_lat, c.caller_lon, w.acc, FALSE, c.event_id, c.source_id
      FROM comms c JOIN _towers w ON w.lat = c.caller_lat AND w.lon = c.caller_lon
      WHERE c.caller IN (SELECT identifier FROM _circle_ids)
      UNION ALL
      SELECT c.callee, c.start, c.callee_lat, c.callee_lon, w.acc, FALSE, c.event_id, c.source_id
      FROM comms c JOIN _towers w ON w.lat = c.callee_lat AND w.lon = c.callee_lon
      WHERE c.callee IN (SELECT identifier FROM _circle_ids)
    ), l AS (
      SELECT *, (t AT TIME ZONE '{timezone}') AS tl FROM p
    )
    SELECT identifier, t, lat, lon, acc, fine,
           {NIGHT.sql('tl')} AS night,
           CAST(date_diff('day', DATE '1970-01-01', {NIGHT.night_of_sql('tl')}) AS BIGINT) AS night_key,
           event_id, source_id, CAST(epoch(tl) - epoch(t) AS BIGINT) AS tz_offset_s
    FROM l ORDER BY identifier, t, event_id
    """
    r = con.execute(q).fetchnumpy()
    n = len(r["lat"])
    pos = Positions(
        identifier=np.asarray(r["identifier"], dtype=object),
        t=np.asarray(r["t"]).astype("datetime64[s]") if n else np.zeros(0, dtype="datetime64[s]"),
        lat=np.asarray(r["lat"], dtype=float),
        lon=np.asarray(r["lon"], dtype=float),
        acc_m=np.asarray(r["acc"], dtype=float),
        fine=np.asarray(r["fine"], dtype=bool),
        night=np.asarray(r["night"], dtype=bool),
        night_key=np.asarray(r["night_key"], dtype=np.int64),
        event_id=np.asarray(r["event_id"], dtype=object),
        source_id=np.asarray(r["source_id"], dtype=object),
        tz_offset_s=np.asarray(r["tz_offset_s"], dtype=np.int64),
    )
    # a night is the small hours: an evening visit she left before 01:00 is a visit, not a night; and the
    # last evening of the collection is a night nobody observed
    end = con.execute("SELECT epoch(max(observed)) FROM locations").fetchone()
    pos.night = stayed_the_night(pos.identifier, pos.t, pos.lat, pos.lon, pos.acc_m, pos.fine, pos.night,
                                 pos.night_key, pos.tz_offset_s,
                                 collected_until_s=int(end[0]) if end and end[0] is not None else None)
    return pos


#: A claim whose area is no wider than this names a place (it makes a candidate, and it pins one: see
#: ``infer.locate.support_of``); a wider one says "somewhere in this area".
CLAIM_NAMES_PLACE_M = 1000.0


def target_claims(store: CaseStore, circle: Circle, as_of: datetime | None = None) -> Claims:
    """Graded claims placing the target (``located_near``, ``visits``) *now*.

    A claim's ``valid_from`` / ``valid_to`` (case format: optional) bound what it asserts: one whose
    validity ended before ``as_of`` (the end of the data) says where he *was*, one that starts after it
    says nothing yet; neither is evidence of where he is now, so both are left out.
    """
    rows = store.con.execute(
        """
        SELECT lat, lon, coalesce(radius_m, 300.0), reliability, credibility, report_id, source_id,
               predicate, reported
        FROM claims
        WHERE predicate IN ('located_near', 'visits') AND subject IN (SELECT unnest(?))
          AND lat IS NOT NULL AND lon IS NOT NULL
          AND (CAST(? AS TIMESTAMPTZ) IS NULL OR ((valid_to IS NULL OR valid_to >= CAST(? AS TIMESTAMPTZ))
                                                  AND (valid_from IS NULL OR valid_from <= CAST(? AS TIMESTAMPTZ))))
        ORDER BY report_id, claim_no
        """,
        [sorted(circle.target_keys), as_of, as_of, as_of],
    ).fetchall()
    return Claims(
        lat=np.array([r[0] for r in rows], dtype=float),
        lon=np.array([r[1] for r in rows], dtype=float),
        radius_m=np.maximum(np.array([r[2] for r in rows], dtype=float), 50.0),
        weight=np.array([weight(r[3], r[4]) for r in rows], dtype=float),
        grade=np.array([grade(r[3], r[4]) for r in rows], dtype=object),
        report_id=_arr(rows, 5),
        source_id=_arr(rows, 6),
        predicate=_arr(rows, 7),
        reported=np.array([np.datetime64(r[8].replace(tzinfo=None), "s") if r[8] else np.datetime64("NaT") for r in rows], dtype="datetime64[s]"),
    )


def circle_vehicle_descriptions(store: CaseStore, circle: Circle) -> list[tuple[Descriptor, str]]:
    """Descriptions of vehicles the target or his circle use, with where each came from.

    From Vehicle entities linked to them (plate, owner or operator), ``uses``
    claims whose object is a described vehicle rather than an identifier, and
    the text of reports whose claims name them.
    """
    persons = {m.person for m in circle.members.values() if m.person}
    keys = sorted(set(circle.members) | set(circle.target_keys) | persons)
    out: list[tuple[Descriptor, str]] = []
    for eid, props in store.con.execute(
            "SELECT entity_id, CAST(properties AS VARCHAR) FROM entities WHERE schema = 'Vehicle' ORDER BY entity_id").fetchall():
        text = props or ""
        if any(k in text for k in keys):
            d = describe(" ".join(str(v) for v in json.loads(text).values()) if text else "")
            if not d.empty:
                out.append((d, f"vehicle {eid}"))
    rows = store.con.execute(
        """
        SELECT DISTINCT r.report_id, coalesce(r.text, '') || ' ' || coalesce(c.object, '')
        FROM reports r JOIN claims c USING (report_id)
        WHERE c.subject IN (SELECT unnest(?)) OR c.object IN (SELECT unnest(?))
        ORDER BY 1
        """, [keys, keys]).fetchall()
    for rid, text in rows:
        d = describe(text)
        if not d.empty and (d.kind or d.model):
            out.append((d, f"report {rid}"))
    return out


#: Below this, a description match is not worth showing.
MIN_VEHICLE_MATCH = 0.2


#: Sightings with a known vehicle named by its entity id read as its plate: the case format lets an entity
#: id stand for an identifier, and ``veh-1`` seen and ``plate:JAL-4821-B`` read are one car (one household
#: vehicle, one member's car), never two. Only a Vehicle that declares exactly one plate; a person's entity
#: id stays the person (a sighting of her is not a sighting of her phone).
_SIGHTINGS_SQL = """
    (SELECT s.* REPLACE (coalesce(v.identifier, s.subject) AS subject) FROM sightings s LEFT JOIN (
        SELECT i.entity_id, min(i.identifier) AS identifier FROM entity_identifiers i
        JOIN entities e USING (entity_id)
        WHERE e.schema = 'Vehicle' AND i.identifier LIKE 'plate:%'
        GROUP BY i.entity_id HAVING count(DISTINCT i.identifier) = 1) v ON v.entity_id = s.subject)
"""


def relevant_sightings(store: CaseStore, circle: Circle) -> Sightings:
    """Sightings of the target or of identifiers (plates) his circle uses.

    Plus sightings of an unidentified vehicle (plate unreadable) whose
    description matches a vehicle his circle is described as using: their
    confidence is multiplied by the probability that it is the same vehicle
    (:func:`fusioncell.model.vehicles.p_same`), so several weak matches at
    one place add up while one alone stays weak.
    """
    subjects = sorted(set(circle.members) | set(circle.target_keys))
    rows = store.con.execute(
        f"""
        SELECT lat, lon, coalesce(confidence, 0.5), subject, event_id, source_id, observed
        FROM {_SIGHTINGS_SQL} WHERE subject IN (SELECT unnest(?)) ORDER BY observed, event_id
        """,
        [subjects],
    ).fetchall()
    described = circle_vehicle_descriptions(store, circle)
    if described:
        others = store.con.execute(
            f"""
            SELECT lat, lon, coalesce(confidence, 0.5), subject, event_id, source_id, observed,
                   coalesce(subject, '') || ' ' || coalesce(note, '') AS text
            FROM {_SIGHTINGS_SQL} WHERE subject NOT IN (SELECT unnest(?)) ORDER BY observed, event_id
            """, [subjects]).fetchall()
        best: dict[str, tuple[float, str]] = {}
        for text in {r[7] for r in others}:  # distinct descriptions, not rows
            d = describe(text)
            if d.empty:
                continue
            scored = [(p_same(d, dd), src) for dd, src in described]
            p, src = max(scored, key=lambda x: x[0])
            if p >= MIN_VEHICLE_MATCH:
                best[text] = (p, f"{d} matching {src} (p={p:.2f})")
        rows = rows + [(r[0], r[1], float(r[2]) * best[r[7]][0], best[r[7]][1], r[4], r[5], r[6])
                       for r in others if r[7] in best]
    keys = circle.target_keys
    return Sightings(
        lat=np.array([r[0] for r in rows], dtype=float),
        lon=np.array([r[1] for r in rows], dtype=float),
        confidence=np.array([r[2] for r in rows], dtype=float),
        subject=_arr(rows, 3),
        of_target=np.array([r[3] in keys for r in rows], dtype=bool),
        event_id=_arr(rows, 4),
        source_id=_arr(rows, 5),
        t=np.array([np.datetime64(r[6].replace(tzinfo=None), "s") for r in rows], dtype="datetime64[s]"),
    )


def plate_reads(store: CaseStore, circle: Circle) -> Reads:
    """Every sighting of a subject other than him (a plate, a person), oldest first, for
    :func:`fusioncell.infer.household.departures`: whose vehicle it is does not matter there.

    Only subjects that name one thing: an identifier or entity id with a digit in it and no
    wildcard. "plate:UNREADABLE", "plate:JAL-48??" or "vehicle:unknown" would be one subject parked
    everywhere (a household at every surveyed place, departures between them all).
    """
    res = store.con.execute(
        f"""
        SELECT lat, lon, epoch(observed)::BIGINT AS t, subject, coalesce(confidence, 0.5) AS confidence,
               event_id, source_id
        FROM {_SIGHTINGS_SQL}
        WHERE regexp_matches(subject, '[0-9]') AND NOT regexp_matches(subject, '[?*]')
          AND subject NOT IN (SELECT unnest(?))
          AND lat IS NOT NULL AND lon IS NOT NULL AND observed IS NOT NULL
        ORDER BY observed, event_id
        """, [sorted(circle.target_keys)]).fetchnumpy()
    return Reads(np.asarray(res["lat"], float), np.asarray(res["lon"], float),
                 np.asarray(res["t"], np.int64).astype("datetime64[s]"), np.asarray(res["subject"], str),
                 np.asarray(res["confidence"], float), np.asarray(res["event_id"], str),
                 np.asarray(res["source_id"], str))


def address_points(store: CaseStore) -> tuple[FloatArray, FloatArray, list[str]]:
    """Sites the case already names: Address entities, every sighting site, every claimed place.

    These are *candidate* positions only (aerial passes and reports cover
    decoys and innocent places too); whether the target is there is decided
    by the evidence features, never by a site being named.
    """
    rows = store.con.execute(
        """
        SELECT entity_id,
               TRY_CAST(json_extract_string(properties, '$.latitude[0]') AS DOUBLE),
               TRY_CAST(json_extract_string(properties, '$.longitude[0]') AS DOUBLE)
        FROM entities WHERE schema = 'Address'
        UNION ALL
        SELECT 'sighting site', avg(lat), avg(lon) FROM sightings
        GROUP BY round(lat / 0.002), round(lon / 0.002)
        UNION ALL
        SELECT 'claimed place', lat, lon FROM claims
        WHERE lat IS NOT NULL AND lon IS NOT NULL AND coalesce(radius_m, 0) <= ?
        ORDER BY 1, 2, 3
        """, [CLAIM_NAMES_PLACE_M]
    ).fetchall()
    rows = [r for r in rows if r[1] is not None and r[2] is not None]
    return (
        np.array([r[1] for r in rows], dtype=float),
        np.array([r[2] for r in rows], dtype=float),
        [r[0] for r in rows],
    )


def grid_for(lat: FloatArray, lon: FloatArray, cell_m: float = 100.0) -> LocalGrid:
    if lat.size == 0:
        return LocalGrid(0.0, 0.0, cell_m)
    return LocalGrid(float(np.median(lat)), float(np.median(lon)), cell_m)
