"""Read-only views that feed the browser workbench: the graph, and the map-and-timeline scene.

Two routes, registered on the app by :func:`register` (one line in ``app.py``):

* ``GET /api/v1/views/graph`` — the person-level tie graph around the case's
  focus (nodes with their identifiers, key-player rank and close-circle flag,
  edges with strength, layers and first/last contact), laid out by igraph so the
  browser need not run a force layout. ``GET /api/v1/views/graph/neighbours``
  answers one node's ties, for "expand".
* ``GET /api/v1/views/scene`` — everything with a place or a time for the
  tracked identifiers (and any asked for): places, stays, tracks, sightings,
  meetings, dark intervals, locate's hypotheses and areas with their evidence
  chain (sources and grades), and the coverage of the cell sites.

Both read through the app's :class:`~fusioncell.server.deps.View` (so each read is
audited and role-checked), and both pass their whole answer through
:func:`fusioncell.security.minimise.mask_listing`: bystanders appear only as
pseudonyms, and a bystander's trace is never sent (asked-for identifiers that
would be masked are dropped from the scene).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

import numpy as np
from fastapi import Depends, FastAPI, Query, Response

#: Most nodes a first graph view holds (the strongest by summed tie strength, plus the seeds):
#: enough to see the organisation, few enough to read (the page offers 250 to 3,000).
MAX_NODES = 500
#: Most ties "expand" adds for one node.
MAX_NEIGHBOURS = 60
#: Most track points sent per identifier (evenly thinned beyond).
MAX_TRACK_POINTS = 4000


@dataclass(frozen=True, slots=True)
class GraphView:
    """The graph the browser draws: ``nodes`` and ``edges`` with the totals they were cut from."""

    focus: str | None
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    total_nodes: int
    total_edges: int
    key_players: list[str] = field(default_factory=list)
    close_circle: list[str] = field(default_factory=list)
    #: Where the key-player list ends inside a tie of degree, the draw it makes (as ``network``'s JSON
    #: ``key_players_tie``: ``{"degree", "first_rank", "shown", "among"}``), else None.
    key_players_tie: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class SceneView:
    """What has a place or a time, for ``subjects`` (tracked and asked-for identifiers)."""

    subjects: list[str]
    period: dict[str, str | None]
    places: list[dict[str, Any]]
    stays: list[dict[str, Any]]
    tracks: list[dict[str, Any]]
    sightings: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    dark: list[dict[str, Any]]
    hypotheses: list[dict[str, Any]]
    areas: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    target: str | None = None
    #: whose phone each subject is: ``{"identifier", "name"}`` for subjects resolve ties to a named person
    #: (a masked subject's entry is dropped before it is sent: see :func:`_masked_graph`)
    names: list[dict[str, str]] = field(default_factory=list)


def _iso(v: Any) -> str | None:
    """A UTC ISO string (``...Z``) for a timestamp, or None."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(v)


def _dicts(con: Any, sql: str, params: Sequence[Any] = (), tbl: Any = None) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts (timestamps as UTC ISO); ``tbl`` (an Arrow table) is readable as ``tbl``."""
    if tbl is not None:
        con.register("tbl", tbl)
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        if tbl is not None:
            con.unregister("tbl")
    return [{n: (_iso(v) if isinstance(v, datetime) else v) for n, v in zip(names, r)} for r in rows]


class Memo:
    """Per-app memory of view results, keyed by the store's observation key.

    The key (:func:`fusioncell.store.derived.observation_key`) changes when
    anything is ingested and when an analyst merges or splits identifiers, so a
    remembered view is never stale; the store itself is not written.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: dict[tuple[Any, ...], Response] = {}

    def get(self, cs: Any, name: str, args: tuple[Any, ...], make: Callable[[], Response]) -> Response:
        from fusioncell.store.derived import observation_key

        key = (name, args, observation_key(cs), _masking_key(cs))
        if key not in self._items:
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = make()
        return self._items[key]


def _masking_key(cs: Any) -> tuple[Any, ...]:
    """What decides masking besides the data: the unmasked and protected identifiers."""
    from fusioncell.security.minimise import ensure_tables

    ensure_tables(cs)
    return tuple(r[0] for r in cs.con.execute(
        "SELECT string_agg(identifier, ',' ORDER BY identifier) FROM minimisation_unmasked UNION ALL "
        "SELECT string_agg(identifier, ',' ORDER BY identifier) FROM minimisation_protected").fetchall())


# ----------------------------------------------------------------------------- graph

def _seeds(cs: Any) -> list[str]:
    """Person-level nodes the first view is built around: targets and tracked identifiers that have ties."""
    from fusioncell.network.api import resolve_focus

    con = cs.con
    cands = [r[0] for r in con.execute(
        "SELECT entity_id FROM targets UNION ALL SELECT DISTINCT identifier FROM locations").fetchall()]
    out: list[str] = []
    for c in cands:
        try:
            node = resolve_focus(cs, c)
        except Exception:  # noqa: BLE001 — a seed that names nothing simply seeds nothing
            continue
        if node not in out and con.execute("SELECT 1 FROM net_ties_person WHERE a = ? OR b = ? LIMIT 1",
                                           [node, node]).fetchone():
            out.append(node)
    return out


def _chosen_nodes(cs: Any, seeds: list[str], max_hops: int, max_nodes: int, fill: bool = True) -> list[str]:
    """The ``max_nodes`` nodes nearest the seeds: breadth-first, nearer hops first, then larger summed strength.

    Every node after the seeds has a tie to a node chosen before it, so the
    first graph is the connected network around the investigation, not a
    scatter of the case's busiest phones. Without seeds: the busiest nodes.
    With ``fill``, room left after ``max_hops`` goes to the rest of the case.
    """
    con = cs.con
    con.execute("CREATE OR REPLACE TEMP TABLE _gv_hood AS SELECT unnest(?::VARCHAR[]) AS n, 0 AS hop", [seeds])
    for h in range(1, max_hops + 1):
        if con.execute("SELECT count(*) FROM _gv_hood").fetchone()[0] >= max_nodes:
            break
        con.execute(f"""
            INSERT INTO _gv_hood SELECT DISTINCT x, {h} FROM (
                SELECT t.b AS x FROM net_ties_person t JOIN _gv_hood f ON f.hop = {h - 1} AND t.a = f.n
                UNION ALL SELECT t.a FROM net_ties_person t JOIN _gv_hood f ON f.hop = {h - 1} AND t.b = f.n
            ) WHERE x NOT IN (SELECT n FROM _gv_hood)""")
    pool = "JOIN _gv_hood h USING (n)" if seeds else "CROSS JOIN (SELECT 0 AS hop) h"
    ranked = [r[0] for r in con.execute(
        f"""SELECT n FROM (SELECT a AS n, strength FROM net_ties_person UNION ALL
                          SELECT b, strength FROM net_ties_person) {pool}
            GROUP BY n, h.hop ORDER BY h.hop, sum(strength) DESC, n LIMIT ?""", [max_nodes]).fetchall()]
    if fill and seeds and len(ranked) < max_nodes:  # room left: the rest of the case, busiest first
        ranked += [r[0] for r in con.execute(
            """SELECT n FROM (SELECT a AS n, strength FROM net_ties_person UNION ALL
                              SELECT b, strength FROM net_ties_person)
               WHERE n NOT IN (SELECT n FROM _gv_hood) GROUP BY n ORDER BY sum(strength) DESC, n LIMIT ?""",
            [max_nodes - len(ranked)]).fetchall()]
    keep = list(dict.fromkeys([*seeds, *ranked]))
    return keep[:max(max_nodes, len(seeds))]


def _node_rows(cs: Any, nodes: list[str]) -> list[dict[str, Any]]:
    """One row per node: label, person, caption, identifiers, kind."""
    from fusioncell.network.api import display_identifiers
    from fusioncell.resolve import persons_table

    shown = display_identifiers(cs, nodes)
    who = persons_table(cs).name
    con = cs.con
    con.execute("CREATE OR REPLACE TEMP TABLE _gv_nodes AS SELECT unnest(?::VARCHAR[]) AS n", [nodes])
    ids = dict(con.execute(
        f"""SELECT g.n, list(DISTINCT a.identifier ORDER BY a.identifier) FILTER (WHERE a.identifier IS NOT NULL)
           FROM _gv_nodes g LEFT JOIN {who} a ON a.person = g.n GROUP BY g.n""").fetchall())
    caption = dict(con.execute(
        "SELECT e.entity_id, e.caption FROM entities e JOIN _gv_nodes g ON g.n = e.entity_id").fetchall())
    targets = {r[0] for r in con.execute("SELECT entity_id FROM targets").fetchall()}
    out = []
    for n in nodes:  # the reduced graph (at most MAX_NODES), not the records
        idents = [i for i in (ids.get(n) or []) if not i.startswith("alias:")] or [n]
        label = shown.get(n, n)
        kind = "plate" if label.startswith("plate:") else "person" if n in caption or n.startswith("ent-") else "phone"
        out.append({"id": n, "label": label, "caption": caption.get(n), "kind": kind,
                    "identifiers": idents, "target": n in targets})
    return out


def _edge_rows(cs: Any, nodes: list[str], min_strength: float,
               ties: str = "net_ties_person") -> list[dict[str, Any]]:
    cs.con.execute("CREATE OR REPLACE TEMP TABLE _gv_nodes AS SELECT unnest(?::VARCHAR[]) AS n", [nodes])
    return _dicts(cs.con, f"""
        SELECT a || '|' || b AS id, a AS source, b AS target, round(strength, 4) AS strength, relationship,
               layers, n_events, first, last
        FROM {ties}
        WHERE a IN (SELECT n FROM _gv_nodes) AND b IN (SELECT n FROM _gv_nodes) AND strength >= ?
        ORDER BY a, b""", [float(min_strength)])


#: Ties per node that shape the layout (the strongest; the rest are drawn but do not pull).
LAYOUT_TIES = 3


def _layout(nodes: list[str], edges: list[dict[str, Any]], seed: int = 0) -> np.ndarray:
    """Fruchterman–Reingold positions (igraph, seeded) on each node's strongest ties, ~1000 units across.

    Laying out on a backbone (the :data:`LAYOUT_TIES` strongest ties of each
    node) keeps the cost near-linear in nodes and pulls strong ties together
    instead of drawing one hairball.
    """
    import igraph as ig

    if not nodes:
        return np.zeros((0, 2))
    index = {n: i for i, n in enumerate(nodes)}
    n = len(nodes)
    src = np.fromiter((index[e["source"]] for e in edges), dtype=np.int64, count=len(edges))
    dst = np.fromiter((index[e["target"]] for e in edges), dtype=np.int64, count=len(edges))
    st = np.fromiter((float(e["strength"]) for e in edges), dtype=float, count=len(edges))
    # rank each edge among the ties of either end (strongest first); keep it if it is top-k at one end
    ends = np.concatenate([src, dst])
    order = np.lexsort((-np.concatenate([st, st]), ends))
    first = np.searchsorted(ends[order], ends[order], side="left")
    rank = np.empty(2 * len(edges), dtype=np.int64)
    rank[order] = np.arange(2 * len(edges)) - first
    keep = (rank[:len(edges)] < LAYOUT_TIES) | (rank[len(edges):] < LAYOUT_TIES)
    g = ig.Graph(n=n, edges=np.column_stack([src[keep], dst[keep]]).tolist())
    start = np.random.default_rng(seed).uniform(-1, 1, size=(n, 2)).tolist()
    w = np.maximum(st[keep], 0.05).tolist() or None
    xy = np.asarray(g.layout_fruchterman_reingold(weights=w, seed=start, niter=200, grid="auto").coords)
    span = float(np.ptp(xy, axis=0).max()) or 1.0
    out: np.ndarray = (xy - xy.mean(axis=0)) * (1000.0 / span)
    return out


def graph_view(cs: Any, focus: str | None = None, hops: int = 2, max_nodes: int = MAX_NODES,
               min_strength: float = 0.0) -> GraphView:
    """The first graph of the workbench (see module docs); ``focus`` narrows it to a neighbourhood."""
    from fusioncell.network.api import close_circle, key_players, resolve_focus
    from fusioncell.network.ties import build_ties

    build_ties(cs, "person")
    con = cs.con
    total_edges = con.execute("SELECT count(*) FROM net_ties_person").fetchone()[0]
    total_nodes = con.execute("SELECT count(*) FROM (SELECT a FROM net_ties_person UNION "
                              "SELECT b FROM net_ties_person)").fetchone()[0]
    seeds = [resolve_focus(cs, focus)] if focus else _seeds(cs)
    nodes = _chosen_nodes(cs, seeds, hops if focus else 6, max_nodes, fill=not focus)
    edges = _edge_rows(cs, nodes, min_strength)
    xy = _layout(nodes, edges)
    ranked = key_players(cs, nodes, top=10) if edges else {"ranked": [], "tie": None}
    kp = [r["node"] for r in ranked["ranked"]]
    circle = [r["node"] for r in close_circle(cs, seeds[0], k=8)] if seeds else []
    rows = _node_rows(cs, nodes)
    for r, (x, y) in zip(rows, xy.tolist()):
        r.update(x=round(x, 1), y=round(y, 1), key_rank=(kp.index(r["id"]) + 1) if r["id"] in kp else None,
                 circle=r["id"] in circle, seed=r["id"] in seeds)
    return GraphView(focus=seeds[0] if seeds else None, nodes=rows, edges=edges, total_nodes=int(total_nodes),
                     total_edges=int(total_edges), key_players=kp, close_circle=circle,
                     key_players_tie=ranked["tie"])


def neighbours_view(cs: Any, node: str, limit: int = MAX_NEIGHBOURS) -> GraphView:
    """One node's strongest ties and the nodes at their other end (for "expand"), without positions."""
    from fusioncell.network.hood import ties_around

    node = _unpseudonym(cs, node)
    # the node's own ties only (one hop; on a non-DuckDB engine cut from the whole-case table)
    ties = ties_around(cs, {node: 1}, level="person", table="_gv_around").table
    others = [r[0] for r in cs.con.execute(
        f"SELECT CASE WHEN a = ? THEN b ELSE a END FROM {ties} WHERE a = ? OR b = ? "
        "ORDER BY strength DESC, 1 LIMIT ?", [node, node, node, int(limit)]).fetchall()]
    if not others:
        from fusioncell.errors import NotFound

        raise NotFound(f"{node}: no ties in this case")
    nodes = [node, *others]
    edges = [e for e in _edge_rows(cs, nodes, 0.0, ties) if node in (e["source"], e["target"])]
    return GraphView(focus=node, nodes=_node_rows(cs, nodes), edges=edges, total_nodes=len(nodes),
                     total_edges=len(edges))


def _unpseudonym(cs: Any, value: str) -> str:
    """The node behind a ``masked:`` pseudonym the browser was shown (other values unchanged)."""
    from fusioncell.security.minimise import PSEUDONYM_RE, case_secret, pseudonym

    if not PSEUDONYM_RE.fullmatch(value):
        return value
    key = case_secret(cs)
    nodes = [r[0] for r in cs.con.execute("SELECT a FROM net_ties_person UNION SELECT b FROM net_ties_person"
                                          ).fetchall()]
    found = [n for n in nodes if pseudonym(key, n) == value]
    return found[0] if found else value


# ----------------------------------------------------------------------------- scene

def _subjects(cs: Any, ids: Sequence[str]) -> list[str]:
    """Tracked identifiers, plus asked-for ones that are shown in clear (a bystander's trace is never sent)."""
    from fusioncell.security.minimise import Minimiser

    tracked = [r[0] for r in cs.con.execute("SELECT DISTINCT identifier FROM locations ORDER BY 1").fetchall()]
    m = Minimiser(cs)
    asked = [i for i in ids if i and not i.startswith("masked:") and not m.is_masked(i)]
    return list(dict.fromkeys([*tracked, *asked]))


def _subject_names(cs: Any, subjects: list[str]) -> list[dict[str, str]]:
    """The person each subject identifier belongs to (resolve's attribution, the analyst's merges applied),
    by the person's name in the case (its entity's caption: a name or an alias); unnamed ones are left out."""
    from fusioncell.resolve import persons_table

    if not subjects:
        return []
    who = persons_table(cs).name
    return _dicts(cs.con, f"""
        SELECT a.identifier, e.caption AS name FROM {who} a JOIN entities e ON e.entity_id = a.person
        WHERE a.identifier IN (SELECT unnest(?::VARCHAR[])) AND coalesce(e.caption, '') <> ''
        ORDER BY a.identifier""", [subjects])


def _evidence_sources(cs: Any, hyps: list[dict[str, Any]]) -> None:
    """Give each evidence item its sources (agency, discipline, reliability) and report grades, in place."""
    src = {r["source_id"]: r for r in _dicts(cs.con, "SELECT source_id, agency, discipline, reliability FROM sources")}
    rep = {r[0]: (r[1], r[2]) for r in cs.con.execute("SELECT report_id, source_id, credibility FROM reports").fetchall()}
    for h in hyps:
        for ev in h.get("evidence") or []:
            ev["sources"] = [src[s] for s in ev.get("source_ids") or [] if s in src]
            # a report's Admiralty grade: its source's reliability (A-F) and its own credibility (1-6)
            ev["grades"] = [f"{src.get(rep[e][0], {}).get('reliability', '?')}{rep[e][1] if rep[e][1] is not None else '?'}"
                            for e in ev.get("event_ids") or [] if e in rep][:10]


def _places(cs: Any, subjects: list[str]) -> list[dict[str, Any]]:
    from fusioncell.spacetime.analysis import places

    return _dicts(cs.con, """
        SELECT place_id, lat, lon, radius_m, label, n_visits, n_overnight, remote, visitors, first_seen, last_seen
        FROM tbl WHERE remote OR list_has_any(visitors, ?::VARCHAR[]) ORDER BY place_id""", [subjects],
                  tbl=places(cs))


def _stays(cs: Any, subjects: list[str]) -> list[dict[str, Any]]:
    from fusioncell.spacetime.analysis import visits

    if not subjects:
        return []
    return _dicts(cs.con, """
        SELECT identifier || '#' || visit_no AS id, identifier, place_id, start, "end", lat, lon, accuracy_m,
               overnight, anomaly, precision FROM tbl ORDER BY start, identifier""", tbl=visits(cs, subjects))


def _tracks(cs: Any, subjects: list[str]) -> list[dict[str, Any]]:
    rows = cs.con.execute(f"""
        WITH l AS (SELECT identifier, observed, lat, lon,
                          row_number() OVER (PARTITION BY identifier ORDER BY observed) AS k,
                          count(*) OVER (PARTITION BY identifier) AS n
                   FROM locations WHERE identifier IN (SELECT unnest(?::VARCHAR[])))
        SELECT identifier, list([lon, lat] ORDER BY observed), list(observed ORDER BY observed)
        FROM l WHERE (k - 1) % greatest(1, n // {MAX_TRACK_POINTS}) = 0 GROUP BY identifier ORDER BY 1""",
                          [subjects]).fetchall()
    return [{"identifier": i, "coords": c, "times": [_iso(t) for t in ts]} for i, c, ts in rows]


def _dark(cs: Any, subjects: list[str]) -> list[dict[str, Any]]:
    from fusioncell.spacetime.dark import dark_intervals

    if not subjects:
        return []
    return _dicts(cs.con, """
        SELECT identifier || '@' || epoch(start)::BIGINT AS id, identifier, start, "end", duration_s,
               last_lat AS lat, last_lon AS lon FROM tbl ORDER BY start""", tbl=dark_intervals(cs, subjects))


def scene_view(cs: Any, ids: Sequence[str] = (), top: int = 5) -> SceneView:
    """Map-and-timeline items for the tracked identifiers and ``ids`` (see module docs)."""
    from fusioncell.infer.locate import locate
    from fusioncell.spacetime.coverage import coverage
    from fusioncell.spacetime.report import meetings_report

    subjects = _subjects(cs, ids)
    period = cs.con.execute("SELECT min(start), max(start) FROM comms").fetchone()
    try:
        loc = locate(cs, top=top)
    except Exception:  # noqa: BLE001 — a case locate cannot answer still has a map
        loc = {"hypotheses": [], "areas": [], "target": None}
    hyps = [{**h, "id": f"h{h['rank']}"} for h in loc.get("hypotheses") or []]
    _evidence_sources(cs, hyps)
    meets = meetings_report(cs, subjects or None)["meetings"] if subjects else []
    cov = coverage(cs)
    sightings = _dicts(cs.con, """
        SELECT s.event_id AS id, s.subject, s.observed, s.lat, s.lon, s.confidence, s.note, s.source_id,
               src.reliability FROM sightings s LEFT JOIN sources src USING (source_id) ORDER BY s.observed""")
    return SceneView(
        subjects=subjects, period={"start": _iso(period[0]), "end": _iso(period[1])},
        places=_places(cs, subjects), stays=_stays(cs, subjects), tracks=_tracks(cs, subjects),
        sightings=sightings,
        meetings=[{**m, "id": f"m{i}"} for i, m in enumerate(meets)],
        dark=_dark(cs, subjects), hypotheses=hyps, areas=list(loc.get("areas") or []),
        coverage=[{"lat": round(float(a), 6), "lon": round(float(o), 6), "range_m": round(float(r)), "observed": int(n)}
                  for a, o, r, n in zip(cov.lat, cov.lon, cov.range_m, cov.observed)],
        target=loc.get("target"), names=_subject_names(cs, subjects))


# ----------------------------------------------------------------------------- routes

def _masked_graph(body: dict[str, Any]) -> dict[str, Any]:
    """A masked graph view made consistent: a masked node carries no name, an edge's id names its masked ends.

    ``mask_listing`` replaces whole identifiers; an edge id (``a|b``) and a
    person's caption are not identifiers, so they are rebuilt from what was
    masked rather than left to carry the person in clear.
    """
    if "names" in body:  # a scene: a masked subject keeps no name
        body["names"] = [n for n in body["names"] or [] if not str(n.get("identifier", "")).startswith("masked:")]
    for n in body.get("nodes") or []:
        if str(n.get("id", "")).startswith("masked:"):
            n["caption"] = None
    for e in body.get("edges") or []:
        if "source" in e and "target" in e:
            e["id"] = f"{e['source']}|{e['target']}"
    return body



def register(app: FastAPI, get_access: Callable[..., Any], api: str) -> None:
    """Add the view routes to ``app`` (reads go through ``get_access``'s View: audited, role-checked)."""
    from fusioncell.security.minimise import mask_listing

    memo = Memo()

    def masked(cs: Any, view: Any, keep: Sequence[str | None] = ()) -> Response:
        """The view masked and serialised once (remembered as bytes: no re-encoding per request)."""
        import json

        body = _masked_graph(mask_listing(cs, json.loads(json.dumps(asdict(view), default=str)), keep))
        # UTF-8, not \u escapes: the read filter then finds protected persons' names as written
        return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                        media_type="application/json")

    def warm(cs: Any, agency: str) -> None:
        """Compute the first graph and scene of ``agency``'s view ahead of the first request."""
        memo.get(cs, "graph", (agency, None, 2, MAX_NODES, 0.0), lambda: masked(cs, graph_view(cs), [None]))
        view = scene_view(cs)
        memo.get(cs, "scene", (agency, (), 5), lambda: masked(cs, view, view.subjects))

    app.state.warm_views = warm

    @app.get(f"{api}/views/graph")
    def graph(focus: str | None = Query(None, max_length=200), hops: int = Query(2, ge=1, le=4),
              max_nodes: int = Query(MAX_NODES, ge=10, le=6000), min_strength: float = Query(0.0, ge=0.0, le=1.0),
              acc: Any = Depends(get_access)) -> Response:
        """The tie graph for the workbench: nodes (laid out), edges with layers, key players, close circle."""
        with acc.read(f"views/graph focus={focus}") as cs:
            return memo.get(cs, "graph", (acc.principal.agency, focus, hops, max_nodes, min_strength), lambda: masked(
                cs, graph_view(cs, focus, hops, max_nodes, min_strength), [focus]))

    @app.get(f"{api}/views/graph/neighbours")
    def graph_neighbours(node: str = Query(..., min_length=1, max_length=200),
                         acc: Any = Depends(get_access)) -> Response:
        """One node's strongest ties (the workbench's "expand")."""
        with acc.read(f"views/graph/neighbours node={node}") as cs:
            return masked(cs, neighbours_view(cs, node))

    @app.get(f"{api}/views/scene")
    def scene(ids: str | None = Query(None, max_length=4000), top: int = Query(5, ge=1, le=20),
              acc: Any = Depends(get_access)) -> Response:
        """Places, stays, tracks, sightings, meetings, dark intervals, hypotheses with evidence, coverage."""
        idlist = [i.strip() for i in (ids or "").split(",") if i.strip()]
        with acc.read(f"views/scene ids={ids}") as cs:
            def make() -> Response:
                view = scene_view(cs, idlist, top)
                return masked(cs, view, view.subjects)

            return memo.get(cs, "scene", (acc.principal.agency, tuple(idlist), top), make)
