"""The report's data: :func:`gather` reads the case store and runs the analysis stages.

Each stage (``infer.locate``, ``infer.plan``, ``network.report``,
``spacetime``) is imported lazily and guarded: a stage that is missing or
fails turns its section into "not available: <reason>" instead of sinking
the report, and the pattern-of-life sections run under a time budget.
Tracks, cell sites, informant areas and sightings come straight from the
store's tables, aggregated in SQL. The result is a plain context (dicts,
lists, numpy arrays) that :mod:`fusioncell.products.report` renders.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from fusioncell.errors import FusioncellError, NotFound, UsageError

log = logging.getLogger(__name__)

#: Most identifiers drawn as tracks, and most fixes drawn per track.
MAX_TRACKS = 12
MAX_FIXES_PER_TRACK = 4000
#: Meetings shown only when the probability that the two truly met reaches this.
MEETING_MIN_P = 0.2


def _first(row: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in row and row[k] is not None:
            return row[k]
    return None


def _timeline_ids(ctx: Mapping[str, Any], tracked: Sequence[str]) -> list[str]:
    """Rows of the timeline: tracked identifiers, then the close circle and the plan's picks."""
    rows = list(tracked)
    net = ctx.get("network") or {}
    extra = [str(c.get("identifier")) for c in (net.get("close_circle") or [])[:6]]
    extra += [str(r.get("identifier")) for r in ((ctx.get("plan") or {}).get("recommendations") or [])[:3]]
    for m in ctx.get("meetings") or []:
        extra += [str(p) for p in m.get("participants") or []]
    for ident in extra:
        if ident not in rows and not ident.startswith("alias:") and len(rows) < 14:
            rows.append(ident)
    return rows


def _place_label(place: Mapping[str, Any], name: Callable[[str], str] = str) -> str:
    """A place's words: "home of phone P-7f3a9c" — its owners named by ``name``, never by number."""
    label = str(place.get("label") or "")
    owner = place.get("home_of")
    if isinstance(owner, (list, tuple)):
        owner = ", ".join(name(str(o)) for o in owner[:2]) + (" …" if len(owner) > 2 else "")
    elif owner:
        owner = name(str(owner))
    if label in ("home", "work") and owner:
        return f"{label} of {owner}"
    if place.get("remote"):
        return f"{label or 'place'} (remote)"
    return "" if label == "other" else label


def _place_namer(store: Any) -> Callable[[str], str]:
    """Names for the owners of places (security/naming.py); the identity without the security stage."""
    try:
        from fusioncell.security.naming import Namer
    except ImportError:
        return str
    return Namer.of(store)


def _normalise_tie(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"a": _first(row, "a", "src", "source", "u", "identifier_a", "person_a"),
            "b": _first(row, "b", "dst", "target", "v", "identifier_b", "person_b"),
            "strength": _first(row, "strength", "weight", "tie_strength") or 0.0,
            "relationship": _first(row, "relationship", "kind", "label") or "unknown"}


def _normalise_meeting(row: Mapping[str, Any]) -> dict[str, Any]:
    parts = _first(row, "participants", "identifiers", "ids", "members")
    if parts is None:
        parts = [x for x in (_first(row, "a", "identifier_a", "id_a"), _first(row, "b", "identifier_b", "id_b")) if x]
    return {"start": _first(row, "start", "from", "first"), "end": _first(row, "end", "to", "last"),
            "participants": [str(p) for p in parts], "lat": _first(row, "lat"), "lon": _first(row, "lon"),
            "place": _first(row, "place_label", "label", "place_id", "place"),
            "probability": _first(row, "p_any", "probability", "p", "score")}


def _tracks(store: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fixes of the most-located identifiers, thinned in SQL to at most MAX_FIXES_PER_TRACK each."""
    top = [r[0] for r in store.con.execute(
        "SELECT identifier FROM locations GROUP BY identifier ORDER BY count(*) DESC, identifier LIMIT ?",
        [MAX_TRACKS]).fetchall()]
    if not top:
        return {}
    res = store.con.execute(
        """WITH r AS (SELECT identifier, observed, lat, lon,
                             row_number() OVER (PARTITION BY identifier ORDER BY observed) AS rn,
                             count(*) OVER (PARTITION BY identifier) AS n
                      FROM locations WHERE identifier IN (SELECT unnest(?)))
           SELECT identifier, lat, lon FROM r
           WHERE (rn - 1) % greatest(1, CAST(ceil(n / ?) AS BIGINT)) = 0
           ORDER BY identifier, observed""", [top, float(MAX_FIXES_PER_TRACK)]).fetchnumpy()
    ids = np.asarray(res["identifier"]).astype(str)
    lat = np.asarray(res["lat"], dtype=float)
    lon = np.asarray(res["lon"], dtype=float)
    uniq, start = np.unique(ids, return_index=True)
    bounds = dict(zip(uniq.tolist(), zip(start.tolist(), list(start[1:]) + [len(ids)])))
    return {i: (lat[bounds[i][0]:bounds[i][1]], lon[bounds[i][0]:bounds[i][1]]) for i in top if i in bounds}


def _towers(store: Any) -> tuple[np.ndarray, np.ndarray] | None:
    res = store.con.execute(
        """SELECT DISTINCT round(lat, 5) AS lat, round(lon, 5) AS lon FROM (
             SELECT caller_lat AS lat, caller_lon AS lon FROM comms WHERE caller_lat IS NOT NULL AND caller_lon IS NOT NULL
             UNION ALL
             SELECT callee_lat, callee_lon FROM comms WHERE callee_lat IS NOT NULL AND callee_lon IS NOT NULL)
           LIMIT 5000""").fetchnumpy()
    if len(res["lat"]) == 0:
        return None
    return np.asarray(res["lat"], dtype=float), np.asarray(res["lon"], dtype=float)


def _rows(store: Any, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _table_rows(table: Any) -> list[dict[str, Any]]:
    if table is None:
        return []
    if hasattr(table, "to_pylist"):
        return list(table.to_pylist())
    return list(table)


class _OverBudget(Exception):
    """A section ran past its time budget and was interrupted."""


def _within_budget(store: Any, seconds: float, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; past ``seconds``, interrupt the store's DuckDB queries until it gives up.

    DuckDB's ``interrupt()`` cancels the running query and leaves the
    connection usable; it is repeated every second because a stage may run
    several queries in a row.
    """
    done = threading.Event()
    fired: list[bool] = []

    def nag() -> None:
        while not done.wait(1.0 if fired else seconds):
            fired.append(True)
            store.con.interrupt()

    watcher = threading.Thread(target=nag, name="report-budget", daemon=True)
    watcher.start()
    try:
        return fn()
    except Exception as exc:
        if fired:
            raise _OverBudget(f"took longer than {seconds:g} s") from exc
        raise
    finally:
        done.set()
        watcher.join()
        if fired:
            try:
                store.con.execute("ROLLBACK")
            except Exception:  # no transaction was open: nothing to undo
                pass


def gather(store: Any, target: str | None = None, *, section_budget_s: float = 180.0) -> dict[str, Any]:
    """Everything the report shows, read from ``store`` and the analysis stages.

    Each stage is imported lazily and guarded: if it is absent or fails, the
    reason lands in ``ctx["missing"]`` and the report says "not available".
    The pattern-of-life sections (places, visits, meetings, dark intervals)
    each get ``section_budget_s`` seconds; past that their DuckDB queries are
    interrupted and the section is reported as skipped.

    Raises
    ------
    fusioncell.errors.NotFound
        If the store holds no case, or ``target`` is not a target or entity of it.
    fusioncell.errors.UsageError
        If no target is given and the case names none.
    """
    info, tgt = _target_of(store, target)
    missing: dict[str, str] = {}
    attempt = _attempter(missing)

    def run_locate() -> Any:
        from fusioncell.infer.locate import locate
        return locate(store, target=tgt, top=5)

    def run_plan() -> Any:
        from fusioncell.infer.plan import plan
        return plan(store, target=tgt, budget=3)

    def run_network() -> Any:
        from fusioncell.network.report import network_report
        return network_report(store, focus=tgt, hops=2)

    ctx: dict[str, Any] = {
        "case": {"case_id": info.case_id, "title": info.title, "owner_agency": info.owner_agency,
                 "legal_authority": info.legal_authority, "timezone": info.timezone},
        "target": tgt,
        "generated": datetime.now(timezone.utc),
        "missing": missing,
    }
    ctx["locate"] = attempt("locate", run_locate)
    ctx["plan"] = attempt("plan", run_plan)
    ctx["network"] = attempt("network", run_network)
    ctx["tracks"] = attempt("tracks", lambda: _tracks(store))
    tracked = list(ctx["tracks"] or {})
    if ctx["network"]:
        ctx["ties"] = attempt("ties", lambda: _ties(store, ctx["network"]))

    _pattern_of_life(store, ctx, attempt, tracked, section_budget_s)
    ctx["towers"] = attempt("towers", lambda: _towers(store))
    ctx["areas"] = attempt("areas", lambda: _rows(store, """
        SELECT lat, lon, radius_m, reliability, credibility, subject FROM claims
        WHERE predicate = 'located_near' AND lat IS NOT NULL AND lon IS NOT NULL LIMIT 100"""))
    ctx["sightings"] = attempt("sightings", lambda: _rows(store, """
        SELECT lat, lon, subject FROM sightings ORDER BY coalesce(confidence, 0) DESC LIMIT 500"""))
    src_rows = _rows(store, "SELECT source_id, agency, discipline, reliability FROM sources")
    ctx["sources"] = {str(r["source_id"]): r for r in src_rows}
    ctx["credibility"] = {str(r["report_id"]): r["credibility"] for r in _rows(
        store, "SELECT report_id, credibility FROM reports WHERE credibility IS NOT NULL")}
    ctx["masked"] = attempt("minimisation", lambda: _minimise(store, ctx))
    ctx["names"] = attempt("captions", lambda: _captions(store)) or {}
    ctx["marking"] = attempt("marking", lambda: _report_marking(store, [str(r["source_id"]) for r in src_rows]))
    missing.pop("marking", None)
    return ctx


def _target_of(store: Any, target: str | None) -> tuple[Any, str]:
    """The case info and the report's target (given, else the case's first); unknown ones are refused."""
    info = store.case()
    tgt = target or (info.targets[0] if info.targets else None)
    if not tgt:
        raise UsageError("the case names no target; pass --target ENTITY_ID")
    known = store.con.execute(
        "SELECT count(*) FROM (SELECT entity_id FROM targets UNION SELECT entity_id FROM entities "
        "UNION SELECT identifier FROM identifiers) WHERE entity_id = ?", [tgt]).fetchone()
    if not known or not known[0]:
        raise NotFound(f"target {tgt!r} is not a target, entity or identifier of case {info.case_id}")
    return info, tgt


def _attempter(missing: dict[str, str]) -> Callable[[str, Callable[[], Any]], Any]:
    """``attempt(section, fn)``: ``fn()``, or None with the reason it is not available noted in ``missing``."""

    def attempt(section: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return fn()
        except ImportError as exc:
            missing[section] = f"stage not installed ({exc.name or exc})"
        except _OverBudget as exc:
            log.warning("report: section %s skipped, %s", section, exc)
            missing[section] = f"skipped: {exc}"
        except FusioncellError as exc:
            missing[section] = str(exc)
        except Exception as exc:  # a failing stage must not sink the whole product
            log.warning("report: section %s failed", section, exc_info=True)
            missing[section] = f"stage failed ({type(exc).__name__}: {exc})"
        finally:
            log.info("report: section %s took %.1f s", section, time.perf_counter() - started)
        return None

    return attempt


def _pattern_of_life(store: Any, ctx: dict[str, Any], attempt: Callable[[str, Callable[[], Any]], Any],
                     tracked: list[str], section_budget_s: float) -> None:
    """Places, visits, meetings and dark intervals into ``ctx``, each within ``section_budget_s`` seconds."""
    def spacetime(fn_name: str, **kw: Any) -> list[dict[str, Any]]:
        import fusioncell.spacetime as st

        fn = getattr(st, fn_name, None)
        if fn is None:
            raise ImportError(f"fusioncell.spacetime.{fn_name}", name=f"fusioncell.spacetime.{fn_name}")
        # Pattern-of-life sections illustrate; they must not hold the product hostage.
        return _table_rows(_within_budget(store, section_budget_s, lambda: fn(store, **kw)))

    places = attempt("places", lambda: spacetime("places")) or []
    fine = [p for p in places if p.get("precision") in (None, "fine")]
    namer = _place_namer(store)
    ctx["places"] = [dict(p, label=_place_label(p, namer)) for p in (fine or places)]
    remote = {str(p.get("place_id")): bool(p.get("remote")) for p in places}
    visits = attempt("visits", lambda: spacetime("visits", ids=tracked or None))
    ctx["visits"] = [dict(v, remote=bool(v.get("remote", remote.get(str(v.get("place_id")), False))))
                     for v in visits or [] if v.get("precision") in (None, "fine")]
    meets = [_normalise_meeting(m) for m in attempt("meetings", lambda: spacetime("meetings", ids=tracked or None)) or []]
    ctx["meetings"] = [m for m in meets if float(m.get("probability") or 0.0) >= MEETING_MIN_P]
    ctx["weak_meetings"] = len(meets) - len(ctx["meetings"])
    rows = _timeline_ids(ctx, tracked)
    ctx["timeline_ids"] = rows
    ctx["dark"] = attempt("dark", lambda: spacetime("dark_intervals", ids=rows or None))


def _ties(store: Any, net: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Ties among the people the network chart shows (focus, close circle, key players).

    The network stage keeps ties between person nodes and shows each person
    by one identifier (``display_identifiers``); the ties are mapped to the
    same names the ``network`` report uses, the focus keeping its own name.
    """
    import pyarrow.compute as pc

    from fusioncell.network import contact_ties

    try:
        from fusioncell.network import display_identifiers, resolve_focus

        shown: dict[str, str] = dict(display_identifiers(store))
        focus = str(net.get("focus") or "")
        if focus:
            shown[str(resolve_focus(store, focus))] = focus
    except ImportError:
        shown = {}
    ids = {str(net.get("focus"))} | {str(c.get("identifier")) for c in net.get("close_circle") or []} | \
        {str(k.get("identifier")) for k in (net.get("key_players") or [])[:10]}
    node_of = {v: k for k, v in shown.items()}
    nodes = {node_of.get(i, i) for i in ids}
    table = contact_ties(store)
    cols = set(getattr(table, "column_names", []))
    a_col = next((c for c in ("a", "src", "source", "u", "identifier_a", "person_a") if c in cols), None)
    b_col = next((c for c in ("b", "dst", "target", "v", "identifier_b", "person_b") if c in cols), None)
    if a_col and b_col:
        keep = pc.and_(pc.is_in(table[a_col], value_set=_pa_strings(nodes)),
                       pc.is_in(table[b_col], value_set=_pa_strings(nodes)))
        table = table.filter(keep)
    out = []
    for row in _table_rows(table):  # the ties among <= ~30 chart nodes
        tie = _normalise_tie(row)
        tie["a"], tie["b"] = shown.get(str(tie["a"]), str(tie["a"])), shown.get(str(tie["b"]), str(tie["b"]))
        out.append(tie)
    return out


def _pa_strings(values: set[str]) -> Any:
    import pyarrow as pa

    return pa.array(sorted(values), type=pa.string())


def _minimise(store: Any, ctx: dict[str, Any]) -> bool:
    """Mask non-pertinent identifiers everywhere in ``ctx`` (security stage's minimisation).

    Identifier fields and free text (summaries, reasons) are both masked, so
    a bystander's number cannot leak through an evidence summary. Returns
    whether anything was masked; without the security stage nothing is.
    """
    try:
        from fusioncell.security.minimise import Minimiser
    except ImportError:
        return False
    m = Minimiser(store)
    before = repr([ctx.get(k) for k in ("locate", "plan", "network", "ties", "meetings")])
    for key in ("locate", "plan", "network", "ties", "places", "visits", "meetings", "dark", "sightings"):
        if ctx.get(key):
            ctx[key] = m.mask_result(ctx[key])
    ctx["timeline_ids"] = [m.mask(str(i)) for i in ctx.get("timeline_ids") or []]
    tracks = ctx.get("tracks") or {}
    masked_tracks = {m.mask(k): v for k, v in tracks.items()}
    ctx["tracks"] = masked_tracks
    return set(masked_tracks) != set(tracks) or repr(
        [ctx.get(k) for k in ("locate", "plan", "network", "ties", "meetings")]) != before


def _captions(store: Any) -> dict[str, str]:
    """Entity id -> its caption (a person's name), to show names rather than ids."""
    rows = store.con.execute(
        "SELECT entity_id, caption FROM entities WHERE caption IS NOT NULL AND caption <> '' AND caption <> entity_id"
    ).fetchall()
    return {str(e): str(c) for e, c in rows}


def _report_marking(store: Any, source_ids: list[str]) -> str:
    from fusioncell.security.markings import derive_marking

    m = derive_marking(store, source_ids=source_ids)
    others = sorted(m.releasable_to)
    owner = m.owner.replace("+", ", ") or "owner"
    return f"{m.tlp_label} · {owner}{' · releasable to ' + ', '.join(others) if others else ' only'}"
