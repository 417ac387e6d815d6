"""The programmatic API of the network stage (what locate/plan and the CLI call).

Questions about the whole case read the cached whole-case ties table
(:mod:`fusioncell.network.ties`), so repeated calls are cheap; questions about
a focus read the ties of its neighbourhood only (:func:`around`, net9), built
per call and never cached (docs/network.md, "Who reads what").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

import igraph as ig
import numpy as np
import pyarrow as pa

from fusioncell.errors import NotFound, UsageError
from fusioncell.model.identifiers import IdentifierError, normalize_identifier
from fusioncell.network.edges import Level
from fusioncell.network.graph import communities, from_edges, key_player_measures, key_player_rank, tie_at_cut
from fusioncell.network.hood import HoodTies, hub_nodes_sql, ties_around
from fusioncell.network.ties import IDENTIFIERS_ON_READ, TABLES, build_ties, explain
from fusioncell.resolve import activity_delivered, persons_table
from fusioncell.store.derived import arrow, dict_rows, pylist
from fusioncell.store import CaseStore, plans

#: Columns of :func:`contact_ties` besides the pair.
TIE_COLUMNS = (
    "strength", "relationship", "relationship_p", "relationship_probs", "n_events", "n_calls",
    "total_duration_s", "mean_call_s", "reciprocity", "night_share", "weekend_share", "business_share",
    "active_days", "rhythm", "burstiness", "recency_days", "first", "last", "identifiers", "claim_kinds",
    "claim_p", "claim_evidence", "n_meetings", "meet_p", "n_vehicles", "veh_p", "n_places", "place_p", "hub",
    "coloc_share", "coloc_day_share", "same_home", "same_work", "tie_share",
    "evening_share", "short_share", "quick_share", "first_frac", "tie_share_max", "named_ends",
    "layers", "provenance",
)


def string_table(name: str, values: Iterable[str]) -> pa.Table:
    """A one-column Arrow table of strings, built from its buffers.

    ``pa.array``/``pa.table`` on Python objects import pandas the first time in
    a process (pyarrow's array-like check): 0.15–0.25 s CPU, which was the
    unexplained cost of the first close-circles query of a process (net9).

    >>> string_table("n", ["a", "bc"]).column("n").to_pylist()
    ['a', 'bc']
    """
    raw = [str(v).encode() for v in values]
    offsets = np.zeros(len(raw) + 1, dtype=np.int32)
    np.cumsum(np.fromiter((len(b) for b in raw), dtype=np.int32, count=len(raw)), out=offsets[1:])
    col = pa.StringArray.from_buffers(len(raw), pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(raw)))
    return pa.Table.from_arrays([col], names=[name])


def contact_ties(store: CaseStore, level: Level = "person") -> Any:
    """All ties of the case as a ``pyarrow.Table``, strongest first.

    Parameters
    ----------
    store
        The case store.
    level
        ``"person"``: nodes are resolved persons (an identifier nobody is
        attributed stays its own node); ``"identifier"``: nodes are identifiers.

    Returns
    -------
    pyarrow.Table
        ``a``, ``b`` (``a < b``) and :data:`TIE_COLUMNS`: tie ``strength``
        (0–1), ``relationship`` (partner, family, friend, work, logistics,
        one-off, or unknown when the evidence is thin), ``relationship_p``, the per-label ``relationship_probs``,
        the behavioural features and claims that drove them, the ``layers``
        that feed the tie and the ``provenance`` of its non-call evidence
        (``{layer, source, ref, agency, grade, p}``, docs/network.md).

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> contact_ties(CaseStore.memory()).num_rows
    0
    """
    build_ties(store, level)
    cols = ", ".join(f"{IDENTIFIERS_ON_READ} AS identifiers" if c == "identifiers" and level == "identifier" else c
                     for c in TIE_COLUMNS)
    return arrow(store.con, f"SELECT a, b, {cols} FROM {TABLES[level]} ORDER BY strength DESC, a, b")


def hubs(store: CaseStore, level: Level = "person", around: Any = None) -> list[dict[str, Any]]:
    """Hubs (call centres, voicemail, switchboards) whose ties are down-weighted, most contacts first.

    ``[{node, contacts}]``: a hub has at least ``HUB_MIN_CONTACTS`` distinct
    call contacts and ``HUB_FACTOR`` times the case's median
    (:mod:`fusioncell.network.ties`, the rule of plan ``network.ties``). With
    ``around`` (a :class:`~fusioncell.network.hood.HoodTies`), the hubs among
    its nodes, without the whole-case table.

    >>> from fusioncell.store import CaseStore
    >>> hubs(CaseStore.memory())
    []
    """
    if around is not None:
        return dict_rows(store.con, f"SELECT node, contacts FROM {around.hubs} ORDER BY contacts DESC, node")
    build_ties(store, level)
    return dict_rows(store.con, f"SELECT node, contacts FROM ({hub_nodes_sql(TABLES[level], None)}) "
                                "ORDER BY contacts DESC, node")


def display_identifiers(store: CaseStore, nodes: Iterable[str] | None = None) -> dict[str, str]:
    """Node → the identifier to show for it (the person's most active identifier; plan
    ``network.shown_identifiers`` on the store's engine). With ``nodes``, only those nodes' persons (their
    identifiers' calls only are read)."""
    persons_table(store)  # the attributions the plan reads (cached)
    delivered = activity_delivered(store)  # each identifier's number of records, from ingest's activity (no scan)
    if nodes is None:
        rows = plans.run(store, "network.shown_identifiers", delivered=delivered).to_pylist()
    else:
        only = string_table("n", sorted(set(nodes)))
        rows = plans.run(store, "network.shown_identifiers", inputs={"nodes": only}, only=True,
                         delivered=delivered).to_pylist()
    return {str(r["person"]): str(r["identifier"]) for r in rows}


def resolve_focus(store: CaseStore, focus: str) -> str:
    """The person-level node a user's ``--focus`` names, or :class:`NotFound`.

    Read from the attributions, the entities and the ``identifiers`` table (every
    identifier seen in any observation table; the observation tables themselves
    when it lacks one), so no ties are built: a tie's end is always one of those.
    """
    con = store.con
    who = persons_table(store).name
    # the focus as typed first, then normalised (E.164 for a phone). Normalised only when the case does not
    # hold it as typed (net18: most foci are copied from an output, and parsing the number loads phonenumbers)
    candidates = [focus.strip()]
    for c in _candidates(store, focus, candidates):
        rows = con.execute(f"SELECT person FROM {who} WHERE identifier = ?", [c]).fetchall()
        if rows:
            return str(rows[0][0])
        rows = con.execute(
            f"SELECT 1 FROM entities WHERE entity_id = ? UNION ALL SELECT 1 FROM {who} WHERE person = ?"
            " UNION ALL SELECT 1 FROM identifiers WHERE identifier = ?",
            [c, c, c],
        ).fetchall()
        if rows:
            return c
    for c in candidates:  # a store written without ingest's ``identifiers`` table: the observation tables
        rows = con.execute(
            "SELECT 1 FROM comms WHERE caller = $1 OR callee = $1 UNION ALL SELECT 1 FROM claims WHERE subject = $1 "
            "OR object = $1 UNION ALL SELECT 1 FROM sightings WHERE subject = $1 UNION ALL SELECT 1 FROM locations "
            "WHERE identifier = $1 UNION ALL SELECT 1 FROM entity_identifiers WHERE identifier = $1 LIMIT 1",
            [c]).fetchall()
        if rows:
            return c
    raise NotFound(f"{focus}: no such identifier, alias or entity in the case")


def _candidates(store: CaseStore, focus: str, candidates: list[str]) -> Iterator[str]:
    """Yield ``candidates`` (the focus as typed), then append its normalised form when it differs and yield
    it: normalised only if the caller asked past the focus as typed (an unreadable focus adds nothing)."""
    yield candidates[0]
    try:
        region = store.con.execute("SELECT phone_region FROM case_info LIMIT 1").fetchall()
        norm = normalize_identifier(focus, region=(region[0][0] if region else None)).value
    except IdentifierError:
        return
    if norm not in candidates:
        candidates.append(norm)
        yield norm


def _person_or_none(node: str, persons: set[str]) -> str | None:
    return node if node in persons else None


def close_circles(store: CaseStore, foci: Iterable[str], k: int = 20, ties_table: str | None = None,
                  shown: Mapping[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Close circles of several foci in one plan on the engine: ``{focus: close_circle(store, focus, k)}``.

    Plan ``network.circles`` (:mod:`fusioncell.store.plans.network`): the top
    ``k`` of every focus chosen on the pair and strength columns, then only
    the chosen rows joined back for their features. By default on the cached
    whole-case table; ``ties_table`` names another person-level ties table that
    holds every tie of the foci (a :func:`~fusioncell.network.hood.ties_around`
    table with at least one hop: no whole-case table is built). ``shown``: the
    :func:`display_identifiers` of (at least) the circles' people, when the
    caller has them already.
    """
    foci = list(foci)
    nodes = {f: resolve_focus(store, f) for f in foci}
    if store.engine_settings is not None and store.engine_settings.name != "duckdb":
        ties_table = None  # a neighbourhood's table is a DuckDB temp table; the plan runs on the engine
    if ties_table is None:
        build_ties(store, "person")
    focus_nodes = string_table("focus_node", sorted(set(nodes.values())))
    rows = pylist(plans.run(store, "network.circles", inputs={"foci": focus_nodes}, k=int(k),
                            ties_table=ties_table or TABLES["person"]))
    by_node: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_node.setdefault(r["focus_node"], []).append(r)
    if shown is None:
        shown = display_identifiers(store, {r["other"] for r in rows})
    persons = {r[0] for r in store.con.execute(f"SELECT DISTINCT person FROM {persons_table(store).name}").fetchall()}
    return {f: [_circle_entry(i, r, shown, persons) for i, r in enumerate(by_node.get(n, []), 1)]
            for f, n in nodes.items()}


def _circle_entry(i: int, r: dict[str, Any], shown: Mapping[str, str], persons: set[str]) -> dict[str, Any]:
    other = r["other"]
    return {
        "rank": i,
        "identifier": shown.get(other, other),
        "person": _person_or_none(other, persons),
        "strength": round(float(r["strength"]), 3),
        "relationship": r["relationship"],
        "relationship_p": round(float(r["relationship_p"]), 3),
        "why": explain(r),
        "node": other,
        "identifiers": list(r["identifiers"]),
        "relationship_probs": {kk: round(float(v), 3) for kk, v in r["relationship_probs"].items()},
        "features": {
            f: (float(r[f]) if r[f] is not None else None)
            for f in ("n_events", "total_duration_s", "mean_call_s", "reciprocity", "night_share",
                      "weekend_share", "business_share", "active_days", "rhythm", "burstiness",
                      "recency_days")
        },
    }


def close_circle(store: CaseStore, focus: str, k: int = 20, ties_table: str | None = None,
                 shown: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The ``k`` people closest to ``focus``, ranked by tie strength, each explained.

    ``focus`` is an identifier, alias or entity id (resolved through
    attributions, so all of a person's phones count).

    Returns
    -------
    list of dict
        ``rank``, ``identifier`` (shown identifier), ``person`` (resolved
        person or None), ``strength``, ``relationship``, ``relationship_p``,
        ``why``, and ``node``, ``identifiers`` (identifiers in the tie),
        ``relationship_probs``, ``features``. ``ties_table``, ``shown``: as :func:`close_circles`.
    """
    return close_circles(store, [focus], k, ties_table, shown)[focus]


@dataclass(frozen=True, slots=True)
class TieGraph:
    """The person-level tie graph with its node names."""

    graph: ig.Graph

    @property
    def names(self) -> list[str]:
        return list(self.graph.vs["name"]) if self.graph.vcount() else []


#: The layers a tie can come from (docs/network.md).
LAYERS = ("calls", "claims", "meetings", "vehicles", "places")


def check_layers(layers: Iterable[str] | None) -> list[str] | None:
    """The layers asked for, validated (None: all)."""
    if layers is None:
        return None
    out = [x.strip() for x in layers if x.strip()]
    bad = [x for x in out if x not in LAYERS]
    if bad or not out:
        raise UsageError(f"--layers: unknown layer {', '.join(bad) or '(none)'}; use {', '.join(LAYERS)}")
    return out


def tie_graph(store: CaseStore, min_strength: float = 0.0, nodes: Iterable[str] | None = None,
              layers: Iterable[str] | None = None, ties_table: str | None = None) -> TieGraph:
    """The person-level tie graph (igraph), edge weight = tie strength.

    With ``nodes``, only the ties among those nodes are read (the selection
    runs on the engine, so a neighbourhood never loads the whole case graph).
    With ``layers``, only ties fed by at least one of those layers (calls,
    claims, meetings); each edge carries its ``layers``. ``ties_table``: read
    that person-level table (a neighbourhood's, :func:`~fusioncell.network.hood.ties_around`)
    instead of the cached whole-case one.
    """
    if ties_table is None:
        build_ties(store, "person")
    con = store.con
    where = f"strength > {float(min_strength)}"
    chosen = check_layers(layers)
    if chosen:
        where += " AND list_has_any(layers, [" + ", ".join(f"'{x}'" for x in chosen) + "])"
    if nodes is not None:
        con.execute("CREATE OR REPLACE TEMP TABLE _tg_nodes AS SELECT DISTINCT unnest(?::VARCHAR[]) AS n",
                    [sorted(set(nodes))])
        where += " AND a IN (SELECT n FROM _tg_nodes) AND b IN (SELECT n FROM _tg_nodes)"
    tbl = arrow(con, f"SELECT a, b, strength, layers FROM {ties_table or TABLES['person']} WHERE {where} ORDER BY a, b")
    # to_pylist, not to_numpy: any Arrow -> numpy conversion imports pandas the first time (0.2 s, net12)
    g = from_edges(tbl.column("a").to_pylist(), tbl.column("b").to_pylist(), tbl.column("strength").to_pylist())
    if g.ecount() == tbl.num_rows and tbl.num_rows:
        g.es["layers"] = tbl.column("layers").to_pylist()
    return TieGraph(g)


def neighbourhood(store: CaseStore, seeds: Iterable[str], hops: int = 2) -> list[str]:
    """Person-level nodes within ``hops`` ties of any seed (identifiers, aliases or entity ids).

    The ties of the neighbourhood only (:func:`~fusioncell.network.hood.ties_around`;
    the whole-case table answers on a non-DuckDB engine): the same nodes as a
    breadth-first search on the whole-case table.
    """
    return around(store, seeds, hops).nodes


def around(store: CaseStore, seeds: Iterable[str], hops: int = 2, table: str = "_net_ties_around") -> HoodTies:
    """The person-level ties among the nodes within ``hops`` of the seeds (identifiers, aliases or entity
    ids, resolved as ``--focus``), in temp ``table``: :func:`~fusioncell.network.hood.ties_around`.

    Its ``table`` serves :func:`close_circles`, :func:`tie_graph`, :func:`key_players`
    (``ties_table=``) and its ``hubs`` :func:`hubs` (``around=``) — every answer
    about the neighbourhood without the whole-case table.
    """
    seed_nodes = sorted({resolve_focus(store, s) for s in seeds})
    return ties_around(store, {n: int(hops) for n in seed_nodes}, hops=int(hops), level="person", table=table)


def key_players(
    store: CaseStore, nodes: Iterable[str] | None = None, top: int = 10, k_sets: int = 3, seed: int = 0,
    layers: Iterable[str] | None = None, ties_table: str | None = None,
) -> dict[str, Any]:
    """Key players of the tie graph (or of the subgraph on ``nodes``; ``ties_table`` as :func:`tie_graph`).

    Returns
    -------
    dict
        ``ranked``: list of ``{node, score, measures, layers}`` in the order of
        :func:`~fusioncell.network.graph.key_player_rank` (degree, then
        betweenness, then brokerage);
        ``kpp_pos`` / ``kpp_neg``: greedy Borgatti sets (nodes) with their
        reach / fragmentation; ``communities``: list of node lists; ``tie``: the draw the list's last ranks
        make among equal degrees (:func:`~fusioncell.network.graph.tie_at_cut`), or None.
    """
    g = tie_graph(store, nodes=nodes, layers=layers, ties_table=ties_table).graph
    names = list(g.vs["name"]) if g.vcount() else []
    mem = communities(g, seed=seed)
    has_layers = "layers" in g.es.attributes()
    m = key_player_measures(g, mem, k=k_sets)

    order, score = key_player_rank(m)
    tie = tie_at_cut(m["degree"], order, top)
    order = order[:top]
    pos_set, reach = m["kpp_pos"]
    neg_set, frag = m["kpp_neg"]
    ranked = [
        {
            "node": names[v],
            "score": round(float(score[v]), 3),
            "measures": {
                "degree": int(m["degree"][v]),
                "weighted_degree": round(float(m["weighted_degree"][v]), 3),
                "betweenness": round(float(m["betweenness"][v]), 4),
                "brokerage": int(m["brokerage"][v]),
                "kpp_pos": v in pos_set,
                "kpp_neg": v in neg_set,
            },
            "layers": sorted({x for e in g.incident(v) for x in (g.es[e]["layers"] or [])}) if has_layers else [],
        }
        for v in order
    ]
    groups: dict[int, list[str]] = {}
    for v, c in enumerate(mem):
        groups.setdefault(c, []).append(names[v])
    comms = sorted((sorted(x) for x in groups.values()), key=lambda x: (-len(x), x[0]))
    return {
        "ranked": ranked,
        "kpp_pos": {"nodes": [names[v] for v in pos_set], "reach": round(reach, 3)},
        "kpp_neg": {"nodes": [names[v] for v in neg_set], "fragmentation": round(frag, 3)},
        "communities": comms,
        "seed": seed,
        "tie": tie,
    }
