"""The ``pattern`` and ``meetings`` CLI reports (JSON-able dicts and their text rendering)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from fusioncell.spacetime.sighted import sighted_meetings
from fusioncell.errors import NotFound
from fusioncell.resolve import persons
from fusioncell.spacetime._sql import one, settle
from fusioncell.spacetime.analysis import compute
from fusioncell.spacetime.colocation import meetings
from fusioncell.spacetime.dark import dark_intervals
from fusioncell.spacetime.places import timezone_of
from fusioncell.spacetime.routines import weekly_profile
from fusioncell.store import CaseStore, plans

MAX_ROWS = 50
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _case_id(store: CaseStore) -> str | None:
    row = one(store.con, "SELECT case_id FROM case_info LIMIT 1")
    return str(row[0]) if row else None


def resolve_identifier(store: CaseStore, identifier: str) -> str:
    """The normalised identifier a user typed, or :class:`NotFound`."""
    from fusioncell.model.identifiers import IdentifierError, normalize_identifier

    candidates = [identifier.strip()]
    row = one(store.con, "SELECT phone_region FROM case_info LIMIT 1")
    try:
        candidates.append(normalize_identifier(identifier, row[0] if row else None).value)
    except (IdentifierError, AttributeError, TypeError):
        pass
    for c in candidates:
        hit = one(store.con, """
            SELECT 1 WHERE EXISTS (SELECT 1 FROM identifiers WHERE identifier = $1)
                OR EXISTS (SELECT 1 FROM locations WHERE identifier = $1)
                OR EXISTS (SELECT 1 FROM comms WHERE caller = $1 OR callee = $1)
                OR EXISTS (SELECT 1 FROM sightings WHERE subject = $1)""", [c])
        if hit:
            return c
    raise NotFound(f"identifier {identifier!r} does not appear in this case")


def _iso(v: Any, tz: ZoneInfo) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=timezone.utc)
        iso: str = v.astimezone(tz).isoformat(timespec="minutes")
        return iso
    return str(v)


def _rows(tbl: pa.Table, tz: ZoneInfo, limit: int = MAX_ROWS) -> list[dict[str, Any]]:
    out = []
    for r in tbl.slice(0, limit).to_pylist():
        out.append({k: (_iso(v, tz) if isinstance(v, datetime) else (round(v, 6) if isinstance(v, float) else v))
                    for k, v in r.items()})
    return out


def pattern_report(store: CaseStore, identifier: str) -> dict[str, Any]:
    """Pattern of life of one identifier: places, routine, anomalies, going dark, meetings."""
    settle(store.con)
    ident = resolve_identifier(store, identifier)
    tz = ZoneInfo(timezone_of(store))
    stays, places_, vis = compute(store)
    mine = vis.filter(pc.equal(vis.column("identifier"), ident))
    c = plans.run(store, "pattern.counts", identifier=ident).to_pylist()
    counts = (c[0]["fixes"], c[0]["comms"], c[0]["sightings"]) if c else (0, 0, 0)
    # per place summary of this identifier
    pl_rows: list[dict[str, Any]] = []
    if mine.num_rows:
        per = plans.run(store, "pattern.places", inputs={"mine": mine, "places": places_})
        pl_rows = _rows(per, tz)
        for r in pl_rows:
            if r.get("distance_to_town_m") is not None and r["distance_to_town_m"] == float("inf"):
                r["distance_to_town_m"] = None
    prof = weekly_profile(store, vis, ident)
    routine = [{"day": DAYS[int(r["ldow"]) - 1], "hour": int(r["lhour"]), "place_id": r["place_id"],
                "share": round(float(r["share"]), 3)} for r in prof.to_pylist()]
    anom = mine.filter(mine.column("anomaly")).select(
        ["place_id", "start", "end", "duration_s", "precision", "overnight", "role", "new_place",
         "overnight_away", "outside_routine", "routine_share", "event_ids"])
    anom_rows = _rows(anom, tz)
    for r in anom_rows:
        r["event_ids"] = r["event_ids"][:20]
    dk = dark_intervals(store, [ident])
    dark_rows = _rows(dk.drop_columns(["identifier"]), tz)
    mt = meetings(store, [ident])
    mt = mt.sort_by([("p", "descending"), ("start", "ascending")])
    who = persons(store)
    person = who.person_of(ident)
    meet_rows = []
    for r in _rows(mt, tz):
        other = r["id_b"] if r["id_a"] == ident else r["id_a"]
        meet_rows.append({"with": other, "with_person": who.person_of(other),
                          **{k: v for k, v in r.items() if k not in ("id_a", "id_b", "event_ids")},
                          "event_ids": r["event_ids"][:20]})
    home = next((r for r in pl_rows if r.get("role") == "home"), None)
    work = next((r for r in pl_rows if r.get("role") == "work"), None)
    return {
        "case": _case_id(store),
        "identifier": ident,
        # who uses it now (resolve, with the analyst's merges and splits) and what else that person uses
        "person": person,
        "person_identifiers": [a.identifier for a in who.identifiers_of(person) if a.identifier != ident]
        if person else [],
        "timezone": str(tz),
        "observations": {"fixes": int(counts[0]), "comms": int(counts[1]), "sightings": int(counts[2])},
        "tracked": int(counts[0]) > 0,
        "home": home,
        "work": work,
        "places": pl_rows,
        "routine": routine,
        "anomalies": anom_rows,
        "dark": dark_rows,
        "meetings": meet_rows,
    }


def _fmt_place(r: dict[str, Any] | None) -> str:
    if not r:
        return "unknown"
    dist = r.get("distance_to_town_m")
    remote = r.get("remote")
    where = "remote/town unknown" if remote is None else ("remote" if remote else "in town")
    if dist is not None:
        where += f", {dist / 1000:.1f} km from the nearest town"
    return (f"{r['place_id']} ({r['lat']:.5f}, {r['lon']:.5f}) ±{r['radius_m']:.0f} m [{r['precision']}], {where}")


def render_pattern_text(d: dict[str, Any]) -> str:
    """Plain-text rendering of :func:`pattern_report`."""
    obs = d["observations"]
    also = d.get("person_identifiers") or []
    lines = [f"Pattern of life of {d['identifier']} (case {d['case']}, local time {d['timezone']})",
             *([f"  used by {d['person']}" + (f", who also uses {', '.join(also[:6])}" if also else "")]
               if d.get("person") else []),
             f"  observations: {obs['fixes']} fixes, {obs['comms']} call records, {obs['sightings']} sightings"
             + ("" if d["tracked"] else " — not tracked: places come from coarse cell sites only"),
             f"  home: {_fmt_place(d['home'])}",
             f"  work: {_fmt_place(d['work'])}", "", "Places (most time first):"]
    for r in d["places"][:TEXT_ROWS]:
        lines.append(f"  {r['role']:<5} {_fmt_place(r)}: {r['n_visits']} visits, {r['hours']} h, "
                     f"{r['n_overnight']} overnight, shared with {r['n_visitors'] - 1} other(s)")
    lines += _showing(d["places"], "places")
    if d["routine"]:
        lines += ["", "Routine (most frequent place by local hour, weekdays / weekend):"]
        for wk, days in (("weekdays", DAYS[:5]), ("weekend", DAYS[5:])):
            by_hour: dict[int, dict[str, int]] = {}
            for r in d["routine"]:
                if r["day"] in days:
                    by_hour.setdefault(r["hour"], {}).setdefault(r["place_id"], 0)
                    by_hour[r["hour"]][r["place_id"]] += 1
            cells = [f"{h:02d}h {max(c, key=c.__getitem__)}" for h, c in sorted(by_hour.items())]
            lines.append(f"  {wk}: " + (", ".join(cells[::3]) if cells else "no data"))
    lines += ["", f"Anomalies ({len(d['anomalies'])}):"]
    for r in d["anomalies"][:TEXT_ROWS]:
        why = [w for w, f in (("new place", r["new_place"]), ("overnight away from home", r["overnight_away"]),
                              ("outside routine", r["outside_routine"])) if f]
        lines.append(f"  {r['start']} → {r['end']} at {r['place_id']} [{r['precision']}]: {', '.join(why)}")
    lines += _showing(d["anomalies"], "anomalies")
    lines += ["", f"Going dark ({len(d['dark'])}):"]
    for r in d["dark"][:TEXT_ROWS]:
        last = (f"last seen ({r['last_lat']:.4f}, {r['last_lon']:.4f}) by {r['last_kind']}"
                if r.get("last_lat") is not None else "no position before")
        lines.append(f"  {r['start']} → {r['end']} ({r['duration_s'] / 3600:.1f} h, "
                     f"{r['expected_events']:.0f} events expected); {last}; "
                     f"{r['n_repeat']} other dark spell(s) nearby")
    lines += _showing(d["dark"], "dark spells")
    lines += ["", f"Meetings ({len(d['meetings'])}):"]
    for r in d["meetings"][:TEXT_ROWS]:
        lines.append(f"  with {r['with']}: {r['start']} → {r['end']} at ({r['lat']:.4f}, {r['lon']:.4f}), "
                     f"p={r['p']:.2f} [{r['precision']}], {r['n_hits']} co-located observations")
    lines += _showing(d["meetings"], "meetings")
    return "\n".join(lines)


#: Rows of each list the pattern text shows (the JSON has them all).
TEXT_ROWS = 15


def _showing(rows: list[Any], what: str) -> list[str]:
    """The line a cut listing ends with: "showing 15 of 40 places (--format json lists all)"."""
    if len(rows) <= TEXT_ROWS:
        return []
    return [f"  showing {TEXT_ROWS} of {len(rows)} {what} (--format json lists all)"]


#: Meetings listed in the JSON (the count says how many there are) and in the text.
MEETINGS_SHOWN = 200
TEXT_SHOWN = 60


def meetings_report(store: CaseStore, ids: list[str] | None) -> dict[str, Any]:
    """Meetings between identifiers (default: all tracked identifiers)."""
    settle(store.con)
    tz = ZoneInfo(timezone_of(store))
    resolved: Sequence[str] | None
    if ids:
        resolved = [resolve_identifier(store, i) for i in ids]
    else:
        tracked = store.con.sql("SELECT DISTINCT identifier FROM locations ORDER BY 1").fetchall()
        resolved = [r[0] for r in tracked] if tracked else None
    mt = meetings(store, resolved)
    # meetings seen directly (several subjects in one sighting place and time): only
    # narrowed when the analyst named identifiers, since subjects need not be tracked
    st = sighted_meetings(store, [resolve_identifier(store, i) for i in ids] if ids else None)
    rows = _rows(mt.sort_by([("p", "descending"), ("start", "ascending")]), tz, limit=MEETINGS_SHOWN)
    for r in rows:
        r["source"] = "cell sites" if r.get("precision") == "coarse" else "handset fixes"
    seen = _rows(st.sort_by([("p", "descending"), ("start", "ascending")]), tz, limit=MEETINGS_SHOWN)
    who = persons(store)
    for r in seen:
        r["source"] = "sighting"
        r["precision"] = "observed"
        r["both_seen_s"] = 0.0
        r["n_hits"] = r.pop("n_sightings")
    allrows = sorted(rows + seen, key=lambda r: (-float(r["p"]), str(r["start"])))[:MEETINGS_SHOWN]
    for r in allrows:
        r["event_ids"] = r["event_ids"][:20]
        # who each side is now (resolve, with the analyst's decisions); two identifiers of one person
        # together are that person's own devices, not a meeting of two people
        r["person_a"], r["person_b"] = who.person_of(str(r["id_a"])), who.person_of(str(r["id_b"]))
        r["same_person"] = r["person_a"] is not None and r["person_a"] == r["person_b"]
    total = mt.num_rows + st.num_rows
    return {"case": _case_id(store), "ids": list(resolved) if resolved is not None else None,
            "n_meetings": total, "by_source": {"handset": mt.num_rows, "sighting": st.num_rows},
            "shown": len(allrows), "meetings": allrows}


def render_meetings_text(d: dict[str, Any]) -> str:
    """Plain-text rendering of :func:`meetings_report`."""
    who = ", ".join(d["ids"]) if d["ids"] else "all identifiers"
    by = d.get("by_source") or {}
    lines = [f"Meetings in case {d['case']} involving {who}: {d['n_meetings']}"
             + (f" ({by.get('sighting', 0)} seen directly, {by.get('handset', 0)} from handsets)" if by else "")]
    shown = d["meetings"][:TEXT_SHOWN]
    for r in shown:
        own = f" — both used by {r['person_a']}" if r.get("same_person") else ""
        if r.get("source") == "sighting":
            lines.append(f"  {r['id_a']} + {r['id_b']}: seen together {r['start']} at ({r['lat']:.4f}, {r['lon']:.4f}) "
                         f"p={r['p']:.2f} [sighting], {r['n_hits']} sighting pair(s){own}")
        else:
            lines.append(f"  {r['id_a']} + {r['id_b']}: {r['start']} → {r['end']} "
                         f"({r['both_seen_s'] / 60:.0f} min both seen) at ({r['lat']:.4f}, {r['lon']:.4f}) "
                         f"p={r['p']:.2f} [{r.get('source', r['precision'])}], {r['n_hits']} hits{own}")
    if len(shown) < d["n_meetings"]:
        lines.append(f"  showing {len(shown)} of {d['n_meetings']} (--format json lists {d.get('shown', len(shown))})")
    return "\n".join(lines)
