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

    .venv/bin/python bench/covert_networks.py
"""

from __future__ import annotations

import csv
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from fusioncell.network.graph import communities, from_edges, key_player_measures

K = 5


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

    score = (norm(m["degree"]) + norm(m["betweenness"]) + norm(m["brokerage"])) / 3
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


def caviar(root: Path) -> list[tuple[str, dict[str, str]]]:
    out = []
    for ph in range(1, 12):
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


def main() -> int:
    root = data_root()
    if not (root / "covert").is_dir():
        print(f"covert network data not found under {root} (set FUSIONCELL_DATA); skipping")
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
