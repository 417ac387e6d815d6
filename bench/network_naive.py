"""The naive pandas + networkx script of ``bench/network_speed.py --cli`` (net15, issue #13).

What an analyst without fusioncell would write: every call record into pandas,
the tie features of every pair, then the focus's 20 strongest ties and the key
players (degree, weighted betweenness breaking ties) of its 2-hop ego graph in
networkx. Run in its own process::

    python bench/network_naive.py STORE FOCUS TZ NIGHT_FROM_H NIGHT_TO_H

It imports only what it uses (DuckDB to read the store, numpy, pandas,
networkx), so its ``rest`` step (CPU before the first record is read:
interpreter start and these imports) is the naive script's own. Since net18
opening and closing the store (``store``) and writing the answer (``output``)
are clocked apart from reading the records (``read``): fusioncell's ``rest``
counts its own store open and close and output, so ``bench/network_speed.py``
sets ``rest + store + output`` beside it. Until net15
this code ran inside ``network_speed.py``, whose module imports (fusioncell's
network modules, pyarrow, and igraph with matplotlib) were charged to the naive
script's ``rest``. Prints one JSON line: the circle, the key players, the ego
graph's size and the CPU seconds of each step.
"""

from __future__ import annotations

import json
import sys
import time

import duckdb
import networkx as nx
import numpy as np
import pandas as pd

STEPS = ("read", "ties", "circle", "key players")


def pair_features(df: pd.DataFrame, tz: str, night_from_h: int, night_to_h: int) -> pd.DataFrame:
    """The tie features of every pair, in pandas (night-time: local hours ≥ ``night_from_h`` or < ``night_to_h``)."""
    lt = df["start"].dt.tz_convert(tz)
    a = np.where(df["caller"] < df["callee"], df["caller"], df["callee"])
    b = np.where(df["caller"] < df["callee"], df["callee"], df["caller"])
    hour = lt.dt.hour.to_numpy()
    dow = lt.dt.day_of_week.to_numpy()
    call = (df["channel"] == "call").to_numpy()
    x = pd.DataFrame({
        "a": a, "b": b, "t": df["start"].astype("int64") // 10**9, "dur": df["duration_s"].where(call),
        "call": call, "ab": (df["caller"].to_numpy() == a),
        "night": (hour >= night_from_h) | (hour < night_to_h), "weekend": dow >= 5,
        "business": (dow < 5) & (hour >= 9) & (hour < 18), "day": lt.dt.floor("D"),
    })
    x = x.sort_values(["a", "b", "t"])
    x["gap"] = x.groupby(["a", "b"])["t"].diff()
    agg = x.groupby(["a", "b"]).agg(
        n=("t", "size"), n_calls=("call", "sum"), dur=("dur", "sum"), mean_dur=("dur", "mean"),
        n_ab=("ab", "sum"), night=("night", "mean"), weekend=("weekend", "mean"), business=("business", "mean"),
        days=("day", "nunique"), gap_mu=("gap", "mean"),
    ).reset_index()
    agg["gap_sd"] = x.groupby(["a", "b"])["gap"].std(ddof=0).to_numpy()
    agg["recip"] = 2 * np.minimum(agg["n_ab"], agg["n"] - agg["n_ab"]) / agg["n"]
    agg["burst"] = ((agg["gap_sd"] - agg["gap_mu"]) / (agg["gap_sd"] + agg["gap_mu"])).fillna(0)
    agg["strength"] = 1 - np.exp(-(np.log1p(agg["n"]) + 0.5 * np.log1p(agg["dur"] / 60) + 3 * agg["days"] / 30
                                   + agg["recip"]) / 6)
    return agg


def main(store_path: str, focus: str, tz: str, night_from_h: int, night_to_h: int) -> int:
    clock = [time.process_time()]  # CPU at the end of each step; the first: interpreter start and imports
    con = duckdb.connect(store_path, read_only=True)
    clock.append(time.process_time())
    df = con.execute("SELECT caller, callee, start, duration_s, channel FROM comms").df()
    clock.append(time.process_time())
    con.close()
    clock.append(time.process_time())
    agg = pair_features(df, tz, night_from_h, night_to_h)
    clock.append(time.process_time())
    hit = agg[(agg["a"] == focus) | (agg["b"] == focus)].sort_values("strength", ascending=False).head(20)
    circle = [str(r.b if r.a == focus else r.a) for r in hit.itertuples()]
    clock.append(time.process_time())
    g = nx.Graph()
    g.add_weighted_edges_from(zip(agg["a"], agg["b"], agg["strength"]))
    sub = nx.ego_graph(g, focus, radius=2)
    for u, v, d in sub.edges(data=True):
        d["dist"] = 1.0 / d["weight"]
    bt = nx.betweenness_centrality(sub, weight="dist")
    deg = dict(sub.degree())
    players = sorted(sub, key=lambda n: (-deg[n], -bt[n], n))[:10]
    clock.append(time.process_time())
    answer = {"close_circle": circle, "key_players": players, "hood": sub.number_of_nodes()}
    json.dumps(answer)  # the output, clocked (the line printed below is the same answer with the clocks added)
    clock.append(time.process_time())
    t = clock
    cpu = {"rest": t[0], "store": (t[1] - t[0]) + (t[3] - t[2]), "read": t[2] - t[1], "ties": t[4] - t[3],
           "circle": t[5] - t[4], "key players": t[6] - t[5], "output": t[7] - t[6]}
    print(json.dumps({**answer, "steps": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
