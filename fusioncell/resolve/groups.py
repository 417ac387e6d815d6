"""Group phone switches: k phones fall silent and k new phones start, together.

A disciplined cell changes all its handsets on one day. One-for-one burner
succession (:mod:`fusioncell.resolve.burner`) then finds nothing: the new
phones call only each other, so no new phone shares contacts with an old
one. What survives a switch is *who they are*: where each member's phone
sleeps and works (cell sites and fixes), when each calls (hour-of-day
profile), and the shape of the group (the boss calls everyone; the driver
calls the boss). So:

1. candidates (relational, on the engine): phones whose last event falls on
   day *d* and that called each other (a closed old group), and phones whose
   first event falls on day *d*..*d*+``max_gap_days`` and that call each other
   (a new group), both of at least ``min_group`` members;
2. per old/new pair: cell-site overlap (weighted Jaccard), hour-profile
   cosine, and, once a matching exists, *structural consistency* — the share
   of the old phone's group contacts whose matched new phones are the new
   phone's group contacts;
3. a maximum-weight bipartite matching (igraph) of old to new phones,
   refined three times with the structural term; each matched pair gets a
   probability from a documented logistic score, and the pairs of one switch
   share a ``group`` id.

Everything per record runs in SQL; Python sees only the candidate groups
(tens of phones).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import igraph as ig
import numpy as np

from fusioncell.resolve.activity import TABLE as ACTIVITY
from fusioncell.resolve.activity import build_activity
from fusioncell.store.derived import arrow, cached
from fusioncell.store import CaseStore


@dataclass(frozen=True, slots=True)
class GroupParams:
    min_group: int = 3
    max_gap_days: int = 2
    min_events: int = 3
    cell_deg: float = 0.01
    # logistic: z = b0 + bc*cells + bh*hours + bs*structure
    b0: float = -5.0
    bc: float = 4.0
    bh: float = 3.0
    bs: float = 4.0
    min_p: float = 0.5


def _candidates_sql(p: GroupParams, tzname: str) -> str:
    """CTEs span .. c2 (``WITH``, no final SELECT): the candidate phones of a switch, from resolve_activity alone."""
    return f"""WITH span AS (SELECT min(start) AS t0, max(start) AS t1 FROM comms),
    act AS (  -- each phone's calls made and received (resolve_activity, shared with burner succession)
        SELECT ident, first_seen, last_seen, n_events AS n, n_out FROM {ACTIVITY}
    ), cand AS (
        SELECT a.ident,
               CASE WHEN a.last_seen <= s.t1 - INTERVAL 1 DAY THEN CAST(timezone('{tzname}', a.last_seen) AS DATE) END AS end_day,
               CASE WHEN a.first_seen >= s.t0 + INTERVAL 1 DAY THEN CAST(timezone('{tzname}', a.first_seen) AS DATE) END AS start_day
        FROM act a, span s WHERE a.n >= {p.min_events} AND a.n_out >= 1  -- a phone that only receives has no habits of its own
    ), ends AS (SELECT DISTINCT end_day AS d FROM cand WHERE end_day IS NOT NULL),
    starts AS (SELECT DISTINCT start_day AS d FROM cand WHERE start_day IS NOT NULL),
    -- An old group of day d is matched only to new groups starting on d .. d + max_gap_days: a day
    -- without such a partner day can give no switch, and its phones' profiles are never read.
    end_ok AS (SELECT DISTINCT e.d FROM ends e JOIN starts s ON s.d >= e.d AND s.d <= e.d + {int(p.max_gap_days)}),
    start_ok AS (SELECT DISTINCT s.d FROM ends e JOIN starts s ON s.d >= e.d AND s.d <= e.d + {int(p.max_gap_days)}),
    c2 AS (
        SELECT c.ident, CASE WHEN c.end_day IN (SELECT d FROM end_ok) THEN c.end_day END AS end_day,
               CASE WHEN c.start_day IN (SELECT d FROM start_ok) THEN c.start_day END AS start_day
        FROM cand c
        WHERE c.end_day IN (SELECT d FROM end_ok) OR c.start_day IN (SELECT d FROM start_ok)
    )"""


def _profiles(store: CaseStore, p: GroupParams) -> tuple[list[str], dict[str, Any]]:
    """Candidate phones with their day of first/last event, hour profile, cell sites and group contacts."""
    build_activity(store)
    tz = store.con.execute("SELECT coalesce(any_value(timezone), 'UTC') FROM case_info").fetchone()
    tzname = str(tz[0]).replace("'", "") if tz else "UTC"
    head = _candidates_sql(p, tzname)
    # no candidate phone (none fell silent on a day with a partner day): no switch, and no record is read
    if not store.con.execute(f"{head} SELECT count(*) FROM c2").fetchall()[0][0]:
        return [], {}
    q = f"""{head},
    -- Distinct correspondents among the candidates first, with the caller's days, both
    -- materialised so that the optimiser cannot start from c2 x c2 on the day: every two
    -- phones sharing a last (first) day, 1.7 M rows on a medium case, 7 s of the 9 s.
    talk AS MATERIALIZED (
        WITH d AS (SELECT DISTINCT caller, callee FROM comms
                   WHERE caller <> callee AND caller IN (SELECT ident FROM c2) AND callee IN (SELECT ident FROM c2))
        SELECT DISTINCT ident, other FROM (SELECT caller AS ident, callee AS other FROM d
                                           UNION ALL SELECT callee, caller FROM d)
    ), talk_day AS MATERIALIZED (
        SELECT t.ident, t.other, a.end_day, a.start_day FROM talk t JOIN c2 a ON a.ident = t.ident
    ),
    -- ties among phones that fell silent (started) within a day of each other: a switch late in the
    -- evening runs past midnight, and a calendar day would cut the group in two
    inner_old AS (
        SELECT t.ident, t.other, 'old' AS side FROM talk_day t JOIN c2 b ON b.ident = t.other
        WHERE b.end_day BETWEEN t.end_day - 1 AND t.end_day + 1
    ), inner_new AS (
        SELECT t.ident, t.other, 'new' AS side FROM talk_day t JOIN c2 b ON b.ident = t.other
        WHERE b.start_day BETWEEN t.start_day - 1 AND t.start_day + 1
    ), ties AS (SELECT * FROM inner_old UNION ALL SELECT * FROM inner_new),
    members AS MATERIALIZED (SELECT DISTINCT ident FROM ties),
    mc AS MATERIALIZED (  -- the members' records, read once
        SELECT caller, callee, start, caller_lat, caller_lon, callee_lat, callee_lon FROM comms
        WHERE caller <> callee AND (caller IN (SELECT ident FROM members) OR callee IN (SELECT ident FROM members))
    ), ev AS (  -- the members' own events, with their side's cell
        SELECT caller AS ident, start, caller_lat AS lat, caller_lon AS lon FROM mc
        WHERE caller IN (SELECT ident FROM members)
        UNION ALL
        SELECT callee, start, callee_lat, callee_lon FROM mc WHERE callee IN (SELECT ident FROM members)
    ), hours AS (
        SELECT e.ident, hour(timezone('{tzname}', e.start)) AS h, count(*) AS n FROM ev e GROUP BY 1, 2
    ), cells AS (
        SELECT e.ident, CAST(floor(e.lat / {p.cell_deg}) AS BIGINT) * 100000 + CAST(floor(e.lon / {p.cell_deg}) AS BIGINT) AS cell,
               count(*) AS n
        FROM ev e WHERE e.lat IS NOT NULL GROUP BY 1, 2
    )
    SELECT m.ident, c.end_day, c.start_day,
           (SELECT list({{'h': h, 'n': n}}) FROM hours x WHERE x.ident = m.ident) AS hours,
           (SELECT list({{'c': cell, 'n': n}}) FROM cells x WHERE x.ident = m.ident) AS cells,
           (SELECT list(DISTINCT other) FILTER (WHERE side = 'old') FROM ties t WHERE t.ident = m.ident) AS old_ties,
           (SELECT list(DISTINCT other) FILTER (WHERE side = 'new') FROM ties t WHERE t.ident = m.ident) AS new_ties
    FROM members m JOIN c2 c USING (ident) ORDER BY m.ident
    """
    rows = arrow(store.con, q).to_pylist()
    return [r["ident"] for r in rows], {r["ident"]: r for r in rows}


def _components(idents: list[str], ties: dict[str, list[str]]) -> list[list[str]]:
    """Connected groups of phones (small: the candidate groups of one day)."""
    idx = {x: i for i, x in enumerate(idents)}
    edges = [(idx[a], idx[b]) for a in idents for b in ties.get(a) or [] if b in idx and idx[a] < idx[b]]
    g = ig.Graph(n=len(idents), edges=edges)
    return [[idents[v] for v in comp] for comp in g.connected_components() if len(comp) > 1]


def _vec(items: list[dict[str, Any]] | None, key: str) -> dict[Any, float]:
    return {it[key]: float(it["n"]) for it in (items or [])}


def _cos(a: dict[Any, float], b: dict[Any, float]) -> float:
    num = sum(v * b.get(k, 0.0) for k, v in a.items())
    den = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return num / den if den else 0.0


def _ruzicka(a: dict[Any, float], b: dict[Any, float]) -> float:
    sa, sb = sum(a.values()) or 1.0, sum(b.values()) or 1.0
    keys = set(a) | set(b)
    mn = sum(min(a.get(k, 0.0) / sa, b.get(k, 0.0) / sb) for k in keys)
    mx = sum(max(a.get(k, 0.0) / sa, b.get(k, 0.0) / sb) for k in keys)
    return mn / mx if mx else 0.0


def _match(olds: list[str], news: list[str], prof: dict[str, Any], p: GroupParams) -> list[tuple[str, str, float]]:
    """Refined maximum-weight matching of an old group to a new group: (old, new, p)."""
    base = np.array([[p.bc * _ruzicka(_vec(prof[o]["cells"], "c"), _vec(prof[n]["cells"], "c"))
                      + p.bh * _cos(_vec(prof[o]["hours"], "h"), _vec(prof[n]["hours"], "h")) for n in news] for o in olds])
    mapping: dict[str, str] = {}
    score = base
    for _ in range(4):
        g = ig.Graph.Full_Bipartite(len(olds), len(news))
        w = [float(score[e.source, e.target - len(olds)]) + 1e-6 for e in g.es]
        m = g.maximum_bipartite_matching(weights=w)
        mapping = {olds[i]: news[m.match_of(i) - len(olds)] for i in range(len(olds)) if m.is_matched(i)}
        struct = np.zeros_like(base)
        for i, o in enumerate(olds):
            mine = [x for x in (prof[o]["old_ties"] or []) if x in mapping]
            for j, n in enumerate(news):
                theirs = set(prof[n]["new_ties"] or [])
                struct[i, j] = sum(mapping[x] in theirs for x in mine) / max(len(mine), len(theirs), 1)
        score = base + p.bs * struct
    out = []
    for i, o in enumerate(olds):
        if o in mapping:
            j = news.index(mapping[o])
            prob = 1.0 / (1.0 + math.exp(-(p.b0 + score[i, j])))
            if prob >= p.min_p:
                out.append((o, mapping[o], prob))
    return out


#: the derived table that keeps the switches of the case (recomputed when the observations change)
TABLE = "resolve_group_switches"


def group_switches(store: CaseStore, params: GroupParams | None = None) -> list[dict[str, Any]]:
    """Phones switched together: ``old``, ``new``, ``p``, ``group`` (shared by one switch), ``handover``, ``why``.

    Computed once per state of the case's observations and kept in the
    store (:func:`fusioncell.store.derived.cached`): network, attribution and
    the report each ask, and the profiles read every call record.
    """
    p = params or GroupParams()

    def build(run_id: str) -> None:
        rows = _switches(store, p)
        store.con.execute(f"CREATE OR REPLACE TABLE {TABLE} (run_id VARCHAR, old VARCHAR, new VARCHAR, p DOUBLE, "
                          "grp VARCHAR, handover VARCHAR, why VARCHAR, k INTEGER)")
        if rows:
            store.con.executemany(
                f"INSERT INTO {TABLE} (run_id, old, new, p, grp, handover, why, k) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [[run_id, r["old"], r["new"], r["p"], r["group"], r["handover"], r["why"], k]
                 for k, r in enumerate(rows)])

    cached(store, TABLE, asdict(p), build, depends=build_activity(store))  # this module's source keys it too
    return [{"old": o, "new": n, "p": float(pp), "group": g, "handover": h, "why": w}
            for o, n, pp, g, h, w in store.con.execute(
                f"SELECT old, new, p, grp, handover, why FROM {TABLE} ORDER BY k").fetchall()]


def _switches(store: CaseStore, p: GroupParams) -> list[dict[str, Any]]:
    """The switches, computed from the observations (see :func:`group_switches`)."""
    idents, prof = _profiles(store, p)
    if not idents:
        return []
    olds_all = [x for x in idents if prof[x]["end_day"] is not None and prof[x]["old_ties"]]
    news_all = [x for x in idents if prof[x]["start_day"] is not None and prof[x]["new_ties"]]
    # groups: phones that called each other and fell silent (started) within a day of each other; a
    # group's day is its first member's
    new_groups = [(min(prof[x]["start_day"] for x in g), g)
                  for g in _components(news_all, {x: prof[x]["new_ties"] for x in news_all})]
    out: list[dict[str, Any]] = []
    old_groups = sorted((min(prof[x]["end_day"] for x in g), max(prof[x]["end_day"] for x in g), sorted(g))
                        for g in _components(olds_all, {x: prof[x]["old_ties"] for x in olds_all}))
    for day, last, olds in old_groups:
        if len(olds) < p.min_group:
            continue
        best: list[tuple[str, str, float]] = []
        for start, news in new_groups:
            if not day <= start <= last + timedelta(days=p.max_gap_days):
                continue
            # more new phones than old ones cannot all be successors; more old ones can: a phone that
            # stopped the same day and called the group (another man's burner, a contact's new SIM)
            # joins the old group and is simply left unmatched
            if len(news) - len(olds) > max(1, len(olds) // 3):
                continue
            pairs = _match(olds, sorted(news), prof, p)
            if sum(x[2] for x in pairs) > sum(x[2] for x in best):
                best = pairs
        if len(best) >= p.min_group:
            # never a piece of a number: the group's phones (a protected person's among them) must not be
            # readable from its id, which products and the workbench show
            gid = f"g-{day.isoformat()}-{hashlib.sha256('|'.join(sorted(olds)).encode()).hexdigest()[:6]}"
            for o, n, prob in best:
                out.append({"old": o, "new": n, "p": round(prob, 3), "group": gid, "handover": str(day),
                            "why": f"switched with {len(best) - 1} other phones of one group on {day}: "
                                   "same cell sites and calling hours, same place in the group"})
    return out
