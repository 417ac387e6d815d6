"""Graph algorithms on the (reduced) tie graph, with igraph.

The heavy aggregation is relational (:mod:`fusioncell.network.ties`); what
arrives here is one weighted edge per pair, small enough for igraph in
memory. Functions take an :class:`igraph.Graph` with vertex attribute
``name`` and edge attribute ``weight`` (tie strength in (0, 1]); distances
for path measures are ``1 / weight`` (a strong tie is short).

Every randomised step takes a ``seed`` and logs it.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Iterable, Sequence

import igraph as ig
import numpy as np

log = logging.getLogger(__name__)


def from_edges(a: Sequence[str], b: Sequence[str], weight: Sequence[float]) -> ig.Graph:
    """Undirected weighted graph from parallel edge columns (names as vertex ids)."""
    names = sorted(set(a) | set(b))
    idx = {n: i for i, n in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(idx[x], idx[y]) for x, y in zip(a, b)], directed=False)
    g.vs["name"] = names
    g.es["weight"] = [max(float(w), 1e-9) for w in weight]
    return g


def _dist(g: ig.Graph) -> list[float]:
    return [1.0 / w for w in g.es["weight"]] if g.ecount() else []


def weighted_betweenness(g: ig.Graph, normalized: bool = True) -> np.ndarray:
    """Betweenness on distances ``1/strength``; normalised like networkx (÷ (n−1)(n−2)/2)."""
    n = g.vcount()
    if n == 0:
        return np.zeros(0)
    bt = np.asarray(g.betweenness(directed=False, weights=_dist(g) or None), dtype=float)
    if normalized and n > 2:
        bt = bt / ((n - 1) * (n - 2) / 2.0)
    return bt


def communities(g: ig.Graph, seed: int = 0, resolution: float = 1.0) -> list[int]:
    """Leiden communities maximising weighted modularity; membership per vertex."""
    if g.vcount() == 0:
        return []
    log.debug("leiden seed=%d", seed)
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(
            objective_function="modularity", weights="weight" if g.ecount() else None,
            resolution=resolution, n_iterations=-1,
        )
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)
    return list(part.membership)


def brokerage(g: ig.Graph, membership: Sequence[int]) -> np.ndarray:
    """Brokerage: number of *other* communities a vertex's neighbours belong to.

    A vertex tying several communities together is a broker (Gould &
    Fernandez's coordinator/liaison idea reduced to community labels).
    """
    mem = np.asarray(membership)
    out = np.zeros(g.vcount())
    for v, nb in enumerate(g.get_adjlist()):
        if nb:
            out[v] = len(set(mem[nb].tolist()) - {mem[v]})
    return out


def fragmentation(g: ig.Graph, removed: Iterable[int] = ()) -> float:
    """Borgatti's fragmentation F = 1 − Σ s_k(s_k−1) / (n(n−1)) after removing ``removed``.

    ``n`` counts the remaining vertices; 0 when all remaining are connected, 1 when all isolated.
    """
    rem = set(removed)
    keep = [v for v in range(g.vcount()) if v not in rem]
    n = len(keep)
    if n < 2:
        return 1.0
    sizes = np.asarray(g.induced_subgraph(keep).connected_components().sizes(), dtype=float)
    return float(1.0 - (sizes * (sizes - 1)).sum() / (n * (n - 1)))


def kpp_neg(g: ig.Graph, k: int, candidates: Sequence[int] | None = None) -> tuple[list[int], float]:
    """Greedy KPP-Neg: the k vertices whose removal most fragments the graph.

    Greedy additions followed by one pass of single swaps (Borgatti 2006 uses
    greedy with swaps). ``candidates`` limits the search (default: all
    vertices). Returns vertex indices and the fragmentation reached.
    """
    n = g.vcount()
    cand = list(range(n)) if candidates is None else list(candidates)
    k = max(0, min(k, len(cand)))
    chosen: list[int] = []
    for _ in range(k):
        best, best_f = -1, -1.0
        for v in cand:
            if v in chosen:
                continue
            f = fragmentation(g, chosen + [v])
            if f > best_f + 1e-12:
                best, best_f = v, f
        chosen.append(best)
    score = fragmentation(g, chosen) if chosen else fragmentation(g)
    if len(cand) * n <= 200_000:  # one swap pass, affordable on a case neighbourhood
        for i in range(len(chosen)):
            for v in cand:
                if v in chosen:
                    continue
                trial = chosen[:i] + [v] + chosen[i + 1:]
                f = fragmentation(g, trial)
                if f > score + 1e-12:
                    chosen, score = trial, f
    return chosen, score


def _reach(dist_to_set: np.ndarray, members: set[int]) -> float:
    """Distance-weighted reach of a set: mean over non-members of 1/d (0 when unreachable)."""
    mask = np.ones(len(dist_to_set), dtype=bool)
    mask[list(members)] = False
    if not mask.any():
        return 1.0
    d = dist_to_set[mask]
    with np.errstate(divide="ignore"):
        inv = np.where(np.isfinite(d) & (d > 0), 1.0 / d, 0.0)
    return float(inv.mean())


def kpp_pos(g: ig.Graph, k: int, candidates: Sequence[int] | None = None) -> tuple[list[int], float]:
    """Greedy KPP-Pos: k vertices that together reach the most others (hop distances).

    Maximises Borgatti's distance-weighted reach ``mean_v 1/d(v, S)`` over
    vertices outside S, with ``d`` in hops (whom one can reach through how
    many intermediaries). ``candidates`` limits the search (default: all).
    Returns vertex indices and the reach reached (0..1).
    """
    n = g.vcount()
    cand = list(range(n)) if candidates is None else list(candidates)
    k = max(0, min(k, len(cand)))
    if n == 0 or k == 0:
        return [], 0.0
    hops = np.asarray(g.distances(source=cand), dtype=float)  # |cand|×n, inf when unreachable
    chosen: list[int] = []
    cur = np.full(n, np.inf)
    for _ in range(k):
        best, best_r, best_d = -1, -1.0, cur
        for i, v in enumerate(cand):
            if v in chosen:
                continue
            d = np.minimum(cur, hops[i])
            r = _reach(d, set(chosen) | {v})
            if r > best_r + 1e-12:
                best, best_r, best_d = v, r, d
        chosen.append(best)
        cur = best_d
    return chosen, _reach(cur, set(chosen))


def k_hop(g: ig.Graph, seeds: Iterable[int], hops: int) -> list[int]:
    """Vertices within ``hops`` edges of any seed (seeds included), sorted."""
    seeds = list(seeds)
    if not seeds:
        return []
    hood = g.neighborhood(seeds, order=hops)
    return sorted({v for h in hood for v in h})


def key_player_measures(
    g: ig.Graph, membership: Sequence[int] | None = None, k: int = 3, max_candidates: int = 60
) -> dict[str, Any]:
    """Degree, weighted degree, betweenness, brokerage and the KPP sets of ``g``.

    KPP searches run over the ``max_candidates`` vertices ranked best by
    degree + betweenness (the greedy set search is quadratic otherwise).
    """
    mem = list(membership) if membership is not None else communities(g)
    deg = np.asarray(g.degree(), dtype=float)
    strength = np.asarray(g.strength(weights="weight"), dtype=float) if g.ecount() else np.zeros(g.vcount())
    bt = weighted_betweenness(g)
    n = g.vcount()
    if n > max_candidates:
        order = np.lexsort((-deg, -(bt + deg / max(deg.max(), 1.0))))
        cand: list[int] | None = sorted(int(v) for v in order[:max_candidates])
    else:
        cand = None
    return {
        "degree": deg,
        "weighted_degree": strength,
        "betweenness": bt,
        "brokerage": brokerage(g, mem),
        "membership": mem,
        "kpp_pos": kpp_pos(g, k, cand),
        "kpp_neg": kpp_neg(g, k, cand),
    }


def key_player_rank(m: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Order of vertices for the key-player list and the score shown beside each.

    Degree first, weighted betweenness breaking its ties, then brokerage: the
    top of this order is always a top-by-degree list; where the cut falls inside
    a tie of degree, betweenness picks who makes the list, a bet that wins or
    loses against degree's expectation (:func:`tie_at_cut` reports the draw;
    no tie-break tried in net15 was never below that expectation).
    Chosen on real covert networks (``bench/covert_networks.py --precision``,
    docs/benchmarks.md): a mean of normalised degree, betweenness and
    brokerage fell below degree on 4 of 21 networks; betweenness alone on 3.
    The score is degree over the maximum degree, plus betweenness (max-normalised)
    times 0.001 so that the order of scores is the order of the list.
    """
    deg = np.asarray(m["degree"], dtype=float)
    bt = np.asarray(m["betweenness"], dtype=float)
    br = np.asarray(m["brokerage"], dtype=float)
    if deg.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    order = np.lexsort((-br, -bt, -deg))
    score = deg / max(deg.max(), 1.0) + 1e-3 * (bt / bt.max() if bt.max() > 0 else bt)
    return order, score


def tie_at_cut(degree: np.ndarray, order: np.ndarray, top: int) -> dict[str, int] | None:
    """Where a top-``top`` list in ``order`` (degree first) ends inside a tie of degree, the draw it makes.

    ``{"degree", "first_rank", "shown", "among"}``: ranks ``first_rank`` to ``top`` are ``shown`` of the
    ``among`` vertices with that degree; by degree any ``shown`` of them were as good, and the tie-break
    (betweenness) picked these. None when the list is the whole graph or its last degree ends with it. On
    real covert networks such a tie-break put more leaders in the top 10 than degree's expectation on 3
    networks and fewer on 2 (docs/benchmarks.md, net15): the analyst is told which places are a draw.
    """
    deg = np.asarray(degree, dtype=float)
    if len(order) <= top or top < 1:
        return None
    d = deg[order[top - 1]]
    if deg[order[top]] != d:
        return None
    shown = int((deg[order[:top]] == d).sum())
    return {"degree": int(d), "first_rank": top - shown + 1, "shown": shown, "among": int((deg == d).sum())}
