"""Where do known leaders of real covert networks rank under each key-player measure?

Reads the public covert-network data (see ../shared/data/README.md) from
``$FUSIONCELL_DATA`` (default ``../shared/data`` relative to the repository)
and skips cleanly when it is absent. Networks and known leaders:

* CAVIAR (Morselli): 11 two-month wiretap phases, directed and weighted by the
  number of intercepted calls; node 1 is the principal trafficker (node 12
  rises to the top by phase 11).
* 9/11 (Krebs, covert_2): hijackers' associates and prior contacts; Mohamed Atta.
* Noordin Top network (covert_34): 10 tie types on 79 people; Noordin Mohammed
  Top. Ranked on the communications layer and on the union of all layers
  (weight = number of tie types).

Measures are fusioncell's own (:mod:`fusioncell.network.graph`): degree,
weighted degree, weighted betweenness (distance = 1/weight), brokerage across
Leiden communities, greedy KPP-Pos and KPP-Neg order (position of the leader
in the greedy set of size 5; "-" when not chosen), and the composite key-player
score the CLI ranks by. Run::

    .venv/bin/python bench/covert_networks.py [--precision]
"""

from __future__ import annotations

import csv
import os
import sys
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Callable

import igraph as ig
import numpy as np

from fusioncell.network.graph import communities, from_edges, key_player_measures, key_player_rank

K = 5
#: Cut for leaders' precision.
TOP = 10


def data_root() -> Path:
    env = os.environ.get("FUSIONCELL_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def rank_of(values: np.ndarray, v: int) -> int:
    """1-based competition rank of vertex v (ties share the best rank)."""
    return int((values > values[v] + 1e-12).sum()) + 1


def ranks(a: list[str], b: list[str], w: list[float], leader: str) -> dict[str, str]:
    wmax = max(w)
    g = from_edges(a, b, [x / wmax for x in w])
    names = g.vs["name"]
    if leader not in names:
        return {"n": str(g.vcount()), "note": "leader absent"}
    v = names.index(leader)
    mem = communities(g, seed=0)
    m = key_player_measures(g, mem, k=K, max_candidates=80)

    def norm(x: np.ndarray) -> np.ndarray:
        return x / x.max() if x.max() > 0 else x

    score = key_player_rank(m)[1]
    pos, neg = m["kpp_pos"][0], m["kpp_neg"][0]
    return {
        "n": str(g.vcount()),
        "degree": str(rank_of(m["degree"], v)),
        "w_degree": str(rank_of(m["weighted_degree"], v)),
        "betweenness": str(rank_of(m["betweenness"], v)),
        "brokerage": str(rank_of(m["brokerage"], v)),
        "kpp_pos": str(pos.index(v) + 1) if v in pos else "-",
        "kpp_neg": str(neg.index(v) + 1) if v in neg else "-",
        "score": str(rank_of(score, v)),
    }


def caviar_edges(root: Path, ph: int) -> tuple[list[str], list[str], list[float]]:
    path = root / "covert" / "caviar_directed_phases" / f"phase{ph}.csv"
    with path.open() as fh:
        rows = list(csv.reader(fh))
    ids = rows[0][1:]
    w: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows[1:]:
        src = r[0]
        for dst, x in zip(ids, r[1:]):
            val = float(x or 0)
            if val > 0 and src != dst:
                w[(min(src, dst), max(src, dst))] += val  # undirected: calls either way
    a, b = zip(*w)
    return list(a), list(b), list(w.values())


def caviar(root: Path) -> list[tuple[str, dict[str, str]]]:
    out = []
    for ph in range(1, 12):
        a, b, wl = caviar_edges(root, ph)
        w = dict(zip(zip(a, b), wl))
        out.append((f"CAVIAR phase {ph} (node 1)", ranks(list(a), list(b), list(w.values()), "1")))
        if ph >= 9:
            out.append((f"CAVIAR phase {ph} (node 12)", ranks(list(a), list(b), list(w.values()), "12")))
    return out


def edge_files(root: Path, prefix: str) -> list[Path]:
    return sorted((root / "covert" / "networkdata_csv").glob(f"{prefix}*.edges.csv"))


def read_edges(paths: list[Path]) -> tuple[list[str], list[str], list[float]]:
    w: dict[tuple[str, str], float] = defaultdict(float)
    for p in paths:
        with p.open() as fh:
            for r in csv.DictReader(fh):
                s, t = r["source"], r["target"]
                if s != t:
                    w[(min(s, t), max(s, t))] += 1.0
    a, b = zip(*w)
    return list(a), list(b), list(w.values())


def expected_hits(values: np.ndarray, leaders: np.ndarray, k: int) -> float:
    """Expected leaders in the top ``k`` by ``values`` when ties at the cut are broken at random."""
    if len(values) <= k:
        return float(leaders.sum())
    t = np.sort(values)[::-1][k - 1]
    above, tied = values > t + 1e-12, np.abs(values - t) <= 1e-12
    slots = k - int(above.sum())
    return float(leaders[above].sum() + slots * leaders[tied].sum() / max(int(tied.sum()), 1))


def rank_desc(x: np.ndarray) -> np.ndarray:
    """Average rank (1 = largest), ties sharing the mean of their positions."""
    order = np.argsort(-x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    for val in np.unique(x):  # small graphs: a loop over distinct values is fine in a bench
        m = x == val
        r[m] = r[m].mean()
    return r


def precision_at(a: list[str], b: list[str], w: list[float], leaders: set[str], k: int = TOP) -> dict[str, str]:
    """Leaders' precision at ``k`` (expected hits / min(k, #leaders)) under each measure."""
    wmax = max(w)
    g = from_edges(a, b, [x / wmax for x in w])
    names = g.vs["name"]
    lead = np.array([nm in leaders for nm in names])
    if not lead.any():
        return {"n": str(g.vcount()), "leaders": "0"}
    mem = communities(g, seed=0)
    m = key_player_measures(g, mem, k=k, max_candidates=80)
    with warnings.catch_warnings():  # igraph warns on disconnected graphs; the measure is reported as is
        warnings.simplefilter("ignore")
        eig = np.asarray(g.eigenvector_centrality(weights="weight", scale=True), dtype=float)
    # ARPACK's start vector differs run to run: equal vertices differed in the 1e-9s, so eigenvector's ties (and
    # borda's ranks) split at random between runs (net15; borda's PIRA period 2 read 0.00-0.67)
    eig = np.round(eig, 6)
    base = {"degree": m["degree"], "w_degree": m["weighted_degree"], "betweenness": m["betweenness"],
            "eigenvector": eig, "brokerage": m["brokerage"]}

    def norm(x: np.ndarray) -> np.ndarray:
        return x / x.max() if x.max() > 0 else x

    meas = dict(base)
    meas["old_score"] = (norm(m["degree"]) + norm(m["betweenness"]) + norm(m["brokerage"])) / 3
    meas["cli"] = key_player_rank(m)[1]  # what `fusioncell network` ranks by
    # rank aggregation (Borda): mean rank over degree, weighted degree, betweenness, eigenvector
    meas["borda"] = -np.mean([rank_desc(base[c]) for c in ("degree", "w_degree", "betweenness", "eigenvector")], axis=0)
    meas["deg_bt_mean"] = (norm(m["degree"]) + norm(m["betweenness"])) / 2
    meas.update(tie_breaks(g, m, eig))
    denom = min(k, int(lead.sum()))
    out = {"n": str(g.vcount()), "leaders": str(int(lead.sum()))}
    out.update(cut_of(np.asarray(m["degree"], dtype=float), lead, k))
    for name, x in meas.items():
        out[name] = f"{expected_hits(np.asarray(x, dtype=float), lead, k) / denom:.2f}"
    pos = m["kpp_pos"][0]
    out["kpp_pos"] = f"{lead[pos].sum() / denom:.2f}" if pos else "-"
    return out


def lex_value(*keys: np.ndarray) -> np.ndarray:
    """One value per vertex ordering them by ``keys`` lexicographically (first key first; 9 decimals, so
    float noise in a later key does not split what is a tie); equal key tuples share a value."""
    stacked = np.round(np.stack([np.asarray(k, dtype=float) for k in keys], axis=1), 9)
    _, inv = np.unique(stacked, axis=0, return_inverse=True)
    return np.asarray(inv, dtype=float).ravel()


def walks(g: ig.Graph, deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walks of length 2 and 3 from each vertex (unweighted): the neighbours' degrees summed, and theirs."""
    e = np.asarray(g.get_edgelist(), dtype=int).reshape(-1, 2)
    n = g.vcount()

    def step(x: np.ndarray) -> np.ndarray:
        return np.bincount(e[:, 0], weights=x[e[:, 1]], minlength=n) + np.bincount(e[:, 1], weights=x[e[:, 0]],
                                                                                    minlength=n)
    w2 = step(deg)
    return w2, step(w2)


def tie_breaks(g: ig.Graph, m: dict[str, np.ndarray], eig: np.ndarray) -> dict[str, np.ndarray]:
    """Degree first, its ties broken by another measure (net15): weighted degree, eigenvector, walks of
    length 2 then 3 (Katz centrality's order as its attenuation goes to 0), and the mean rank of betweenness,
    eigenvector and 2-walks. The CLI's rule at net14 (betweenness breaking ties) is ``cli``."""
    deg = np.asarray(m["degree"], dtype=float)
    w2, w3 = walks(g, deg)
    ens = -np.mean([rank_desc(np.asarray(x, dtype=float)) for x in (m["betweenness"], eig, w2)], axis=0)
    bt = np.asarray(m["betweenness"], dtype=float)
    # net18: betweenness then eigenvector within the tie (the CLI's rule, a third key), and the other order
    return {"deg_wdeg": lex_value(deg, m["weighted_degree"]), "deg_eig": lex_value(deg, eig),
            "deg_walks": lex_value(deg, w2, w3), "deg_ens": lex_value(deg, ens),
            "deg_bt_eig": lex_value(deg, bt, eig), "deg_eig_bt": lex_value(deg, eig, bt)}


def cut_of(deg: np.ndarray, lead: np.ndarray, k: int) -> dict[str, str]:
    """Where degree's top ``k`` ends: the degree at place ``k``, how many of the ``k`` places go to that degree
    (``slots``), how many vertices have it (``tied``) and how many of those are leaders. A cut inside a tie
    (``tied`` > ``slots``) is where any deterministic tie-break wins or loses against degree's expectation."""
    if len(deg) <= k:
        return {"cut_degree": "-", "slots": "-", "tied": "-", "leaders_tied": "-"}
    t = np.sort(deg)[::-1][k - 1]
    tied = np.abs(deg - t) <= 1e-12
    slots = k - int((deg > t + 1e-12).sum())
    return {"cut_degree": f"{t:g}", "slots": str(slots), "tied": str(int(tied.sum())),
            "leaders_tied": str(int(lead[tied].sum()))}


def leaders_from_nodes(path: Path, column: str, keep: Callable[[float], bool]) -> set[str]:
    """Names of the nodes whose attribute ``column`` satisfies ``keep`` (blank = not a leader)."""
    out: set[str] = set()
    with path.open() as fh:
        for r in csv.DictReader(fh):
            col = column if column in r else next((c for c in r if c.endswith(column)), column)
            v = (r.get(col) or "").strip()
            if v and keep(float(v)):
                out.add(r["name"])
    return out


def precision_rows(root: Path) -> list[tuple[str, dict[str, str]]]:
    """Every real network with a known leader set: single leaders and attribute-defined ones."""
    nd = root / "covert" / "networkdata_csv"
    rows: list[tuple[str, dict[str, str]]] = []
    for ph in range(1, 12):
        a, b, w = caviar_edges(root, ph)
        lead = {"1", "12"} if ph >= 9 else {"1"}  # node 12 rises to the top in phases 9-11 (Morselli)
        rows.append((f"CAVIAR phase {ph} ({', '.join(sorted(lead, key=int))})", precision_at(a, b, w, lead)))
    for label, prefix in (("9/11 associates (Atta)", "covert_2__1__"), ("9/11 prior contacts (Atta)", "covert_2__2__")):
        rows.append((label, precision_at(*read_edges(edge_files(root, prefix)), {"Mohamed Atta"})))
    rows.append(("Noordin all layers (Top)",
                 precision_at(*read_edges(edge_files(root, "covert_34__")), {"Noordin Mohammed Top"})))
    for f in sorted(nd.glob("covert_38__*.edges.csv")):
        stem = f.name[: -len(".edges.csv")]
        lead = leaders_from_nodes(nd / f"{stem}.nodes.csv", "senior", lambda v: v == 1.0)
        rows.append((f"PIRA {stem.split('__')[2]} (senior)", precision_at(*read_edges([f]), lead)))
    lead = leaders_from_nodes(nd / "covert_39__RHODESBOMBING.nodes.csv", "Role", lambda v: v == 2.0)
    rows.append(("17N Rhodes bombing (Role 2)", precision_at(*read_edges(edge_files(root, "covert_39__")), lead)))
    lead = leaders_from_nodes(nd / "covert_28__LONDON_GANG.nodes.csv", "Ranking", lambda v: v <= 2.0)
    rows.append(("London gang (Ranking 1-2)", precision_at(*read_edges(edge_files(root, "covert_28__")), lead)))
    return rows


def print_precision(rows: list[tuple[str, dict[str, str]]]) -> None:
    cols = ["n", "leaders", "degree", "w_degree", "betweenness", "eigenvector", "brokerage", "kpp_pos",
            "old_score", "borda", "deg_bt_mean", "cli", "deg_wdeg", "deg_eig", "deg_walks", "deg_ens", "deg_bt_eig",
            "deg_eig_bt"]
    print(f"\nLeaders' precision at {TOP} (expected, ties at the cut broken at random)\n")
    print(f"| network | {' | '.join(cols)} |")
    print("|---|" + "---|" * len(cols))
    means = {c: [] for c in cols[2:]}
    for label, r in rows:
        print(f"| {label} | " + " | ".join(r.get(c, "") for c in cols) + " |")
        for c in means:
            if r.get(c, "-") not in ("-", ""):
                means[c].append(float(r[c]))
    print("| **mean** | | | " + " | ".join(f"**{np.mean(v):.2f}**" if v else "" for v in means.values()) + " |")
    deg = np.array(means["degree"])
    below = [str(int((np.array(v) < deg - 0.05).sum())) if len(v) == len(deg) else "" for v in means.values()]
    print("| networks > 0.05 below degree | | | " + " | ".join(below) + " |")
    above = [str(int((np.array(v) > deg + 0.05).sum())) if len(v) == len(deg) else "" for v in means.values()]
    print("| networks > 0.05 above degree | | | " + " | ".join(above) + " |")
    rules = ["cli", "deg_wdeg", "deg_eig", "deg_walks", "deg_ens", "deg_bt_eig", "deg_eig_bt"]
    print(f"\nWhere degree's top {TOP} ends inside a tie (tied > slots): leaders a deterministic tie-break can pick "
          "from the tie, degree's expectation (slots × leaders tied / tied) and each rule's precision\n")
    print("| network | leaders | cut degree | slots | tied | leaders tied | degree | " + " | ".join(rules) + " |")
    print("|---|" + "---|" * (6 + len(rules)))
    for label, r in rows:
        if r.get("tied", "-") not in ("-", "") and int(r["tied"]) > int(r["slots"]):
            print(f"| {label} | {r['leaders']} | {r['cut_degree']} | {r['slots']} | {r['tied']} | {r['leaders_tied']} "
                  f"| {r['degree']} | " + " | ".join(r[c] for c in rules) + " |")


def main() -> int:
    root = data_root()
    if not (root / "covert").is_dir():
        print(f"covert network data not found under {root} (set FUSIONCELL_DATA); skipping")
        return 0
    if "--precision" in sys.argv:
        print_precision(precision_rows(root))
        return 0
    rows = caviar(root)
    for label, prefix in (("9/11 associates (Atta)", "covert_2__1__"), ("9/11 prior contacts (Atta)", "covert_2__2__")):
        rows.append((label, ranks(*read_edges(edge_files(root, prefix)), "Mohamed Atta")))
    rows.append(("Noordin communications (Top)",
                 ranks(*read_edges(edge_files(root, "covert_34__3__")), "Noordin Mohammed Top")))
    rows.append(("Noordin all 10 layers (Top)",
                 ranks(*read_edges(edge_files(root, "covert_34__")), "Noordin Mohammed Top")))
    cols = ["n", "degree", "w_degree", "betweenness", "brokerage", "kpp_pos", "kpp_neg", "score"]
    print(f"Rank of the known leader (1 = top; KPP: position in greedy set of {K}, '-' = not chosen)\n")
    print(f"| network | {' | '.join(cols)} |")
    print("|---|" + "---|" * len(cols))
    for label, r in rows:
        print(f"| {label} | " + " | ".join(r.get(c, r.get("note", "")) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
