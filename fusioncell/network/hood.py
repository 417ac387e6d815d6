"""Ties of a neighbourhood only: the ties among the nodes within ``hops`` of some foci (net8, issue #13).

A close circle or the key players around a focus need the ties of a few
hundred nodes, not of the whole country. :func:`ties_around` finds the
neighbourhood on cheap passes over the calls (each hop: the distinct other
ends of the frontier's calls), takes every call of its nodes, and runs the
same plans as :func:`fusioncell.network.ties.build_ties` (``network.edges``
with ``records`` = those calls, then ``network.ties``) on them. The rows it
keeps — the ties with both ends in the neighbourhood — are those of the
whole-graph table, column for column:

* a pair's features need only its own calls, all of which are taken;
* a node's totals, top tie and home/work cells need all of its calls: both
  ends are neighbourhood nodes, all of whose calls are taken;
* the case's span and first day are read from all calls (two min/max);
* hubs need each end's number of contacts (exact, as above) and the case's
  median; that median (a GROUP BY over all call pairs) is computed only when
  some neighbourhood node has at least ``HUB_MIN_CONTACTS`` contacts — below
  that nobody can be a hub whatever the median;
* the claims, meetings, vehicles and places layers are read whole (they are
  small); when their ties reach nodes the calls alone did not, the
  neighbourhood grows and the plans run again (at most ``MAX_ROUNDS``, then
  the whole-graph table is built and cut).

The result is a temporary table: nothing is cached, so there is nothing to
invalidate (an analyst's merge or split, an append, changes the next call's
answer like any other query). DuckDB only; on another engine, or when the
rounds do not settle, it answers from :func:`build_ties` (the whole graph).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from fusioncell.model.grading import P_TRUE
from fusioncell.network import ties as T
from fusioncell.network.edges import COLOC_M, NIGHT_FROM_H, NIGHT_TO_H, Level, local_day0, timezone_of
from fusioncell.network.layers import OWNER_P, PLACE_DAYS, PLACE_MAX_VISITORS, VEHICLE_MAX_USERS, place_visits
from fusioncell.resolve import persons_table
from fusioncell.spacetime.sighted import MAX_DIST_M as SIGHTED_DIST_M
from fusioncell.spacetime.sighted import MAX_DT_S as SIGHTED_DT_S
from fusioncell.store import CaseStore, plans

#: Rebuilds allowed when other layers widen the neighbourhood before falling back to the whole graph.
MAX_ROUNDS = 4


@dataclass(frozen=True)
class HoodTies:
    """The ties among a neighbourhood's nodes (``table``, a temporary table with the columns of the
    ties table of ``level``), the ``nodes`` within ``hops`` of the foci, and how it was computed."""

    table: str
    nodes: list[str]
    level: str
    rounds: int
    whole_graph: bool
    #: The hubs among ``nodes`` (a temp table ``node, contacts``; docs/network.md, Hubs).
    hubs: str = ""


def _ids_sql(att: str | None) -> str:
    """SQL: the identifiers of the nodes in temp table ``_hd_nodes`` (every identifier of a person, by the
    attributions table ``att`` of :func:`persons_table`; None at identifier level)."""
    own = "SELECT n AS identifier FROM _hd_nodes"
    if att is None:
        return own
    return f"{own} UNION SELECT a.identifier FROM {att} a JOIN _hd_nodes h ON a.person = h.n"


def _nm(att: str | None) -> str:
    """SQL: the node map ``(identifier, node)`` (empty at identifier level)."""
    if att is None:
        return "(SELECT NULL::VARCHAR AS identifier, NULL::VARCHAR AS node WHERE FALSE)"
    return f"(SELECT identifier, person AS node FROM {att})"


def _expand_by_calls(store: CaseStore, att: str | None, hops: int) -> None:
    """Add to ``_hd_nodes(n, hop)`` the nodes within ``hops`` calls of its hop-0 nodes (one scan per hop)."""
    con = store.con
    nm = _nm(att)
    for h in range(1, hops + 1):
        ids = _ids_sql(att).replace("FROM _hd_nodes", f"FROM _hd_nodes WHERE hop = {h - 1}", 1)
        if att is not None:
            ids = ids.replace("JOIN _hd_nodes h ON", f"JOIN _hd_nodes h ON h.hop = {h - 1} AND", 1)
        con.execute(f"""
            INSERT INTO _hd_nodes
            WITH f AS ({ids}),
            x AS (SELECT DISTINCT caller, callee FROM comms
                  WHERE caller IN (SELECT identifier FROM f) OR callee IN (SELECT identifier FROM f)),
            ends AS (SELECT coalesce(m1.node, x.caller) AS s, coalesce(m2.node, x.callee) AS t FROM x
                     LEFT JOIN {nm} m1 ON m1.identifier = x.caller LEFT JOIN {nm} m2 ON m2.identifier = x.callee)
            SELECT DISTINCT y, {h} FROM (SELECT t AS y FROM ends WHERE s <> t UNION ALL SELECT s FROM ends WHERE s <> t)
            WHERE y NOT IN (SELECT n FROM _hd_nodes)""")
        _add_seeds(store, "_hd_nodes", h)


def _add_seeds(store: CaseStore, table: str, h: int) -> None:
    """Add the foci that enter the breadth-first search at hop ``h`` (``_hd_seeds``) unless already reached."""
    store.con.execute(f"INSERT INTO {table} SELECT n, hop FROM _hd_seeds WHERE hop = {h} "
                      f"AND n NOT IN (SELECT n FROM {table})")


def _hub_median(store: CaseStore, att: str | None) -> float:
    """The case's median number of contacts over all call pairs (as ``network.ties`` computes it)."""
    nm = _nm(att)
    row = store.con.execute(f"""
        WITH e AS (SELECT DISTINCT least(s, t) AS a, greatest(s, t) AS b FROM (
                   SELECT coalesce(m1.node, c.caller) AS s, coalesce(m2.node, c.callee) AS t FROM comms c
                   LEFT JOIN {nm} m1 ON m1.identifier = c.caller LEFT JOIN {nm} m2 ON m2.identifier = c.callee)
                   WHERE s <> t),
        deg AS (SELECT node, count(*) AS contacts FROM (SELECT a AS node FROM e UNION ALL SELECT b FROM e) GROUP BY node)
        SELECT coalesce(median(contacts), 0) FROM deg""").fetchone()
    return float(row[0]) if row else 0.0


def _build(store: CaseStore, level: Level, att: str | None, tz: str, day0: str | None, out: str) -> float:
    """The ties plans on the calls of the nodes in ``_hd_nodes`` (into temp table ``out``, every row); returns
    the hub median used (0 when no node of ``_hd_nodes`` has ``HUB_MIN_CONTACTS`` contacts)."""
    con = store.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE _hd_comms AS SELECT * FROM comms "
                f"WHERE caller IN ({_ids_sql(att)}) OR callee IN ({_ids_sql(att)})")
    edges = "_hd_edges"
    plans.materialise(store, edges, "network.edges", temp=True, run_id="hood", tz=tz, level=level,
                      night_from_h=NIGHT_FROM_H, night_to_h=NIGHT_TO_H, day0=day0, coloc_m=COLOC_M,
                      records="_hd_comms")
    top = con.execute(f"""SELECT coalesce(max(c), 0) FROM (SELECT n, count(*) AS c FROM (
                            SELECT a AS n FROM {edges} UNION ALL SELECT b FROM {edges}) GROUP BY n) d
                          WHERE n IN (SELECT n FROM _hd_nodes)""").fetchone()
    hub_med = _hub_median(store, att) if top and top[0] >= T.HUB_MIN_CONTACTS else 0.0
    plans.materialise(store, out, "network.ties", temp=True, inputs={"visits": place_visits(store)}, run_id="hood",
                      level=level, tz=tz, edges=edges, labels=T.LABELS, coef=T.COEF, features=T.FEATURES,
                      grades=P_TRUE, claim_labels=T.CLAIM_LABELS, bonus=T.CLAIM_BONUS, words=T.RELATION_WORDS,
                      ftm_p=T.FTM_P, claim_strength=T.CLAIM_STRENGTH, meeting_strength=T.MEETING_STRENGTH,
                      vehicle_strength=T.VEHICLE_STRENGTH, place_strength=T.PLACE_STRENGTH,
                      hub_min_contacts=T.HUB_MIN_CONTACTS, hub_factor=T.HUB_FACTOR, hub_weight=T.HUB_WEIGHT,
                      meet_dt_s=SIGHTED_DT_S, meet_dist_m=SIGHTED_DIST_M, owner_p=OWNER_P,
                      vehicle_max_users=VEHICLE_MAX_USERS, place_max_visitors=PLACE_MAX_VISITORS,
                      place_days=PLACE_DAYS, unknown_p=T.UNKNOWN_P, thin_events=T.THIN_EVENTS, hub_med=hub_med)
    con.execute(f"DROP TABLE IF EXISTS {edges}")
    con.execute("DROP TABLE IF EXISTS _hd_comms")
    return hub_med


def _bfs(store: CaseStore, ties: str, hops: int) -> None:
    """``_hd_reach(n, hop)``: the nodes within ``hops`` ties (of table ``ties``) of the foci (``_hd_seeds``)."""
    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE _hd_reach AS SELECT n, hop FROM _hd_seeds WHERE hop = 0")
    for h in range(1, hops + 1):
        con.execute(f"""INSERT INTO _hd_reach SELECT DISTINCT x, {h} FROM (
                          SELECT t.b AS x FROM {ties} t JOIN _hd_reach f ON f.hop = {h - 1} AND t.a = f.n
                          UNION ALL SELECT t.a FROM {ties} t JOIN _hd_reach f ON f.hop = {h - 1} AND t.b = f.n)
                        WHERE x NOT IN (SELECT n FROM _hd_reach)""")
        _add_seeds(store, "_hd_reach", h)


def ties_around(store: CaseStore, foci: Iterable[str] | Mapping[str, int], hops: int = 2,
                level: Level = "identifier", table: str = "_net_ties_hood") -> HoodTies:
    """The ties among the nodes within ``hops`` ties of ``foci`` (nodes of ``level``), into temp ``table``.

    The rows are those of ``build_ties(store, level)`` restricted to ties whose
    two ends are in the neighbourhood (``run_id`` aside: ``"hood"``). ``hops=1``
    gives every tie of the foci (their close circles) and the ties among their contacts.
    ``foci`` may map each focus to its own number of hops (``hops`` is then their
    maximum): one pass serves, say, the circles of twenty phones (1) and the key
    players around one of them (2).
    """
    con = store.con
    tz = timezone_of(store)
    att = persons_table(store).name if level == "person" else None  # the node map's attributions (cached)
    want = {str(f): int(h) for f, h in foci.items()} if isinstance(foci, Mapping) else {str(f): hops for f in foci}
    hops = max(want.values(), default=0)
    seeds = sorted(want)
    con.execute("CREATE OR REPLACE TEMP TABLE _hd_seeds AS SELECT n, min(hop) AS hop FROM (SELECT "
                "unnest(?::VARCHAR[]) AS n, unnest(?::INTEGER[]) AS hop) GROUP BY n", [seeds, [hops - want[f] for f in seeds]])
    con.execute("CREATE OR REPLACE TEMP TABLE _hd_nodes AS SELECT n, hop FROM _hd_seeds WHERE hop = 0")
    if store.engine_settings is not None and store.engine_settings.name != "duckdb":
        return _whole(store, level, hops, table)  # the hop passes are DuckDB SQL on the store
    _expand_by_calls(store, att, hops)
    day0 = local_day0(store, tz)
    for r in range(1, MAX_ROUNDS + 1):
        hub_med = _build(store, level, att, tz, day0, "_hd_all")
        _bfs(store, "_hd_all", hops)
        # exact when every node short of the last hop had all its calls taken (its ties are all in _hd_all)
        # and every node reached had too (the features of the ties among them are whole)
        missing = con.execute("SELECT count(*) FROM _hd_reach WHERE n NOT IN (SELECT n FROM _hd_nodes)").fetchone()
        if not missing or missing[0] == 0:
            con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _hd_all
                            WHERE a IN (SELECT n FROM _hd_reach) AND b IN (SELECT n FROM _hd_reach)""")
            nodes = sorted(str(x[0]) for x in con.execute("SELECT DISTINCT n FROM _hd_reach").fetchall())
            _hubs_of_reach(store, "_hd_all", f"{table}_hubs", hub_med)
            con.execute("DROP TABLE IF EXISTS _hd_all")
            return HoodTies(table, nodes, level, r, False, f"{table}_hubs")
        con.execute(f"INSERT INTO _hd_nodes SELECT n, {hops} + 1 FROM _hd_reach "
                    "WHERE n NOT IN (SELECT n FROM _hd_nodes)")
    con.execute("DROP TABLE IF EXISTS _hd_all")
    return _whole(store, level, hops, table)


def _whole(store: CaseStore, level: Level, hops: int, table: str) -> HoodTies:
    """The fallback: the whole-graph ties table (cached), cut to the neighbourhood of the foci (``_hd_seeds``)."""
    T.build_ties(store, level)
    src = T.TABLES[level]
    con = store.con
    _bfs(store, src, hops)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT * REPLACE ('hood' AS run_id) FROM {src}
                    WHERE a IN (SELECT n FROM _hd_reach) AND b IN (SELECT n FROM _hd_reach)""")
    nodes = sorted(str(x[0]) for x in con.execute("SELECT DISTINCT n FROM _hd_reach").fetchall())
    _hubs_of_reach(store, src, f"{table}_hubs", None)
    return HoodTies(table, nodes, level, 0, True, f"{table}_hubs")


def hub_nodes_sql(ties: str, med: float | None, nodes: str | None = None) -> str:
    """SQL ``node, contacts``: the hubs of the ties table ``ties`` as plan ``network.ties`` marks them — at
    least ``HUB_MIN_CONTACTS`` call contacts (ties with events) and ``HUB_FACTOR`` times the median ``med``
    (None: the median over ``ties`` itself, which must then hold every call tie of the case); with ``nodes``
    (SQL of a one-column relation ``n``) only those nodes, whose call ties must all be in ``ties``."""
    keep = f"WHERE node IN (SELECT n FROM {nodes})" if nodes else ""
    m = ("(SELECT coalesce(median(contacts), 0) AS med FROM deg)" if med is None
         else f"(SELECT CAST({float(med)!r} AS DOUBLE) AS med)")
    return f"""WITH ends AS (SELECT a AS node FROM {ties} WHERE n_events > 0 UNION ALL
                             SELECT b FROM {ties} WHERE n_events > 0),
               deg AS (SELECT node, count(*) AS contacts FROM ends GROUP BY node)
               SELECT node, contacts FROM (SELECT * FROM deg {keep}) CROSS JOIN {m} AS _m
               WHERE contacts >= {int(T.HUB_MIN_CONTACTS)} AND contacts >= CAST({float(T.HUB_FACTOR)!r} AS DOUBLE) * med"""


def _hubs_of_reach(store: CaseStore, ties: str, out: str, med: float | None) -> None:
    """Temp table ``out(node, contacts)``: the hubs among the nodes of ``_hd_reach`` (``ties`` holds all
    their call ties: ``_hd_all``, or the whole-graph table with ``med`` None)."""
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS {hub_nodes_sql(ties, med, '_hd_reach')}")
