"""Speed: contact graph from N call records, close circles and key players.

fusioncell (DuckDB aggregation + igraph) against the same computation in
pandas + networkx, on synthetic call records generated inside DuckDB
(``--rows``, default 10 million; phones = rows / 50, each calling ~20
regular contacts). Both sides compute, per undirected pair: event and call
counts, total and mean call duration, direction counts (reciprocity), night,
weekend and business-hour shares in the case's local time zone, active days
and burstiness of inter-event gaps; then the close circle (ties ranked by
strength) of 20 phones (both sides batched: one plan / one mask for all 20)
and key players (degree, weighted betweenness) of the 2-hop neighbourhood of
one phone (fusioncell cuts the neighbourhood on the engine and builds igraph
from it alone, as ``network --focus`` does; networkx gets the whole graph). fusioncell
additionally infers the relationship of every tie and its place evidence.
Data loading into pandas is not timed.

Since net8 fusioncell builds the ties of the neighbourhoods asked for only
(:func:`fusioncell.network.hood.ties_around`: every tie of the 20 foci for
the circles; the ties among the nodes within two hops of the first focus for
the key players), with the same features, strength, hubs and
relationship as the whole-graph table (one pass: the 20 foci with one hop,
the first with two); the peer still computes the ties of
every pair over all records, as an analyst would in pandas. ``--whole``
times the whole-graph table instead (``build_ties``, a cached run, as before). ::

    .venv/bin/python bench/network_speed.py --rows 10000000

``--cli`` (net9) times the analyst's path end to end instead: the store is
written to disk, then ``fusioncell network STORE --focus X --format json``
runs as a subprocess (twice: the first run builds the store's cached resolve
tables, the second reuses them), against a naive script in another subprocess
(``bench/network_naive.py``, importing only DuckDB, numpy, pandas and networkx) that reads every record from the same store into pandas, computes the ties of
every pair, and answers the same question with networkx (the focus's 20
strongest ties; degree and weighted betweenness on its 2-hop ego graph).
Wall and CPU of each child process (imports, store open and loading
included). ``--src DIR`` puts another source tree first on the CLI's path
(``main``: ``git archive`` of its commit), so both sides run on the same
store in the same hour::

    nice .venv/bin/python bench/network_speed.py --rows 1000000 --cli --src /tmp/main-src

Since net14 the store is written as ingest leaves it: the records are one
delivery (``comms.csv``) with ingest's per-delivery activity beside them
(:mod:`fusioncell.ingest.activity`, written by the tree the bench runs from;
its cost is ingest's and is not timed here), and ``--cli`` also prints a
per-stage table: the CLI child runs under ``bench/network_stages.py``, which
clocks each stage of the command (CPU, exclusive of nested stages), beside
the naive script's corresponding steps (read, ties, circle, key players).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import pyarrow as pa

from fusioncell.model.night import NIGHT
from fusioncell.network.api import string_table
from fusioncell.network.graph import from_edges, weighted_betweenness
from fusioncell.network.hood import ties_around
from fusioncell.network.ties import build_ties
from fusioncell.store import CaseStore, plans

TZ = "America/Mexico_City"


def make_store(path: Path, rows: int, seed: int) -> CaseStore:
    s = CaseStore.open(path)
    n_ph = max(100, rows // 50)
    s.con.execute("INSERT INTO case_info (case_id, title, owner_agency, legal_authority, timezone, phone_region)"
                  " VALUES ('speed', 'speed', 'AG', 'bench', ?, 'MX')", [TZ])
    s.con.execute(f"SELECT setseed({(seed % 1000) / 1000.0})")
    s.con.execute(
        f"""
        INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee, delivery_id)
        SELECT 'e' || i, 'src', 'AG',
               TIMESTAMPTZ '2026-01-05 00:00:00+00' + to_seconds(CAST(random() * 30 * 86400 AS BIGINT)),
               CASE WHEN random() < 0.15 THEN 0 ELSE round(-ln(random() + 1e-9) * 120) END,
               CASE WHEN random() < 0.15 THEN 'sms' ELSE 'call' END,
               '+5233' || lpad(CAST(a AS VARCHAR), 8, '0'),
               '+5233' || lpad(CAST((a + 1 + (hash(a * 31 + k) % {n_ph - 1})) % {n_ph} AS VARCHAR), 8, '0'),
               'comms.csv'
        FROM (SELECT i, CAST(floor(random() * {n_ph}) AS BIGINT) AS a,
                     CAST(floor(pow(random(), 2) * 20) AS BIGINT) AS k
              FROM range({rows}) t(i))
        """
    )
    _as_delivered(s, rows)
    return s


def _as_delivered(s: CaseStore, rows: int) -> None:
    """The records as one delivery (``comms.csv``) with what ingest writes beside them (net14: the per-delivery
    activity, :mod:`fusioncell.ingest.activity`; net18: the ``identifiers`` table; their cost is ingest's, not
    the command's). A tree without that
    module (main before net14) writes the records only; either tree's CLI reads the same store."""
    s.con.execute("INSERT INTO deliveries (delivery_id, kind, path, sha256, rows, quarantined, ingest_run, "
                  "loaded_at, first_load) VALUES ('comms.csv', 'comms.csv', 'comms.csv', '-', ?, 0, 'bench', now(), "
                  "true)", [rows])
    try:
        from fusioncell.ingest.activity import record_delivery
    except ImportError:  # pragma: no cover - an older tree
        return
    record_delivery(s.con, "comms.csv", rows)
    # and the `identifiers` table ingest fills after every load (net18: it was left empty, so the focus was
    # found only in the observation tables and the output's masking knew no identifier to look at)
    from fusioncell.ingest.derived import rebuild_identifiers

    rebuild_identifiers(s, s.engine())


class Clock:
    """Wall and process-CPU time of consecutive steps (CPU counts all threads of the process)."""

    def __init__(self) -> None:
        self.marks = [(time.perf_counter(), time.process_time())]

    def mark(self) -> None:
        self.marks.append((time.perf_counter(), time.process_time()))

    def steps(self, names: tuple[str, ...]) -> dict[str, tuple[float, float]]:
        out = {}
        for i, n in enumerate(names):
            (w0, c0), (w1, c1) = self.marks[i], self.marks[i + 1]
            out[n] = (w1 - w0, c1 - c0)
        (w0, c0), (w1, c1) = self.marks[0], self.marks[-1]
        out["total"] = (w1 - w0, c1 - c0)
        return out


STEPS = ("ties", "circles", "key players")


def ours_hood(store: CaseStore, foci: list[str]) -> dict[str, object]:
    """The neighbourhoods only, in one pass: every tie of the 20 foci (one hop, for their circles) and the ties
    among the nodes within two hops of the first focus (key players)."""
    clk = Clock()
    hood = ties_around(store, {**{f: 1 for f in foci}, foci[0]: 2}, table="_bench_hood")
    clk.mark()
    circ = plans.run(store, "network.circles", inputs={"foci": string_table("focus_node", foci)}, k=20,
                     ties_table=hood.table)
    clk.mark()
    hood_nodes, sub_e, bt = _key_players(store, hood.table, foci[0])
    clk.mark()
    return {"steps": clk.steps(STEPS), "edges": len(sub_e), "hood": len(hood_nodes), "hood_edges": True,
            "answer": (circ, sub_e, bt)}


def _key_players(store: CaseStore, ties: str, focus: str) -> tuple[list[str], pa.Table, np.ndarray]:
    """igraph on the 2-hop neighbourhood of ``focus`` only: its nodes, edges and weighted betweenness."""
    nodes = _two_hops(store, ties, focus)
    sub_e = store.con.sql(f"SELECT a, b, strength FROM {ties} WHERE a IN (SELECT n FROM _hood)"
                          " AND b IN (SELECT n FROM _hood)").to_arrow_table()
    sub = from_edges(sub_e.column("a").to_pylist(), sub_e.column("b").to_pylist(), sub_e.column("strength").to_numpy())
    bt = weighted_betweenness(sub)
    deg = np.asarray(sub.degree())
    _ = np.argsort(-(bt / max(bt.max(), 1e-12) + deg / deg.max()))[:10]
    return nodes, sub_e, bt


def _two_hops(store: CaseStore, ties: str, focus: str) -> list[str]:
    """``_hood``: the nodes within two ties of ``focus`` (two joins on the engine, as network.api.neighbourhood)."""
    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE _h0 AS SELECT ?::VARCHAR AS n", [focus])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _h1 AS SELECT DISTINCT CASE WHEN t.a = h.n THEN t.b ELSE t.a END AS n"
                f" FROM {ties} t JOIN _h0 h ON t.a = h.n OR t.b = h.n")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _hood AS SELECT n FROM _h0 UNION SELECT n FROM _h1 UNION"
                f" SELECT t.b FROM {ties} t JOIN _h1 h ON t.a = h.n UNION"
                f" SELECT t.a FROM {ties} t JOIN _h1 h ON t.b = h.n")
    return [r[0] for r in con.execute("SELECT n FROM _hood").fetchall()]


def ours(store: CaseStore, foci: list[str]) -> dict[str, object]:
    clk = Clock()
    build_ties(store, "identifier")  # the ties table on the engine (features, strength, relationship)
    clk.mark()
    # close circles of all foci in one plan on the engine (network.api.close_circles)
    circ = plans.run(store, "network.circles", inputs={"foci": string_table("focus_node", foci)},
                     k=20, ties_table="net_ties_identifier")
    clk.mark()
    # key players: the 2-hop neighbourhood cut on the engine (two joins, as network.api.neighbourhood does),
    # then igraph on that reduced graph only
    con = store.con
    hood, sub_e, bt = _key_players(store, "net_ties_identifier", foci[0])
    clk.mark()
    n_edges = con.execute("SELECT count(*) FROM net_ties_identifier").fetchall()[0][0]
    return {"steps": clk.steps(STEPS), "edges": n_edges, "hood": len(hood), "answer": (circ, sub_e, bt)}


def same_answer(x: dict[str, object], y: dict[str, object]) -> bool:
    """The circles (every column but run_id), the key players' edges and their betweenness agree."""
    (c1, e1, b1), (c2, e2, b2) = x["answer"], y["answer"]  # type: ignore[misc]
    def rows(t: pa.Table) -> list[tuple]:
        cols = [c for c in t.column_names if c != "run_id"]
        return sorted(map(repr, zip(*(t.column(c).to_pylist() for c in cols))))
    return rows(c1) == rows(c2) and rows(e1) == rows(e2) and np.allclose(np.sort(b1), np.sort(b2))


def _pair_features(df):  # type: ignore[no-untyped-def]
    """The naive peer's tie features of every pair, in pandas (as an analyst would write them)."""
    from network_naive import pair_features

    return pair_features(df, TZ, NIGHT.from_h, NIGHT.to_h)


def peer(store: CaseStore, foci: list[str]) -> dict[str, object]:
    import networkx as nx
    import pandas as pd

    df = store.con.execute("SELECT caller, callee, start, duration_s, channel FROM comms").df()
    clk = Clock()
    agg = _pair_features(df)
    clk.mark()
    # close circles of all foci at once: one mask, then the 20 strongest per focus
    hit = agg[agg["a"].isin(foci) | agg["b"].isin(foci)]
    both = pd.concat([hit.assign(focus=hit["a"]), hit.assign(focus=hit["b"])])
    _ = both[both["focus"].isin(foci)].sort_values("strength", ascending=False).groupby("focus").head(20)
    clk.mark()
    g = nx.Graph()
    g.add_weighted_edges_from(zip(agg["a"], agg["b"], agg["strength"]))
    sub = nx.ego_graph(g, foci[0], radius=2)
    for u, v, d in sub.edges(data=True):
        d["dist"] = 1.0 / d["weight"]
    bt = nx.betweenness_centrality(sub, weight="dist")
    deg = dict(sub.degree())
    _ = sorted(sub, key=lambda n: -(bt[n] + deg[n]))[:10]
    clk.mark()
    return {"steps": clk.steps(STEPS), "edges": len(agg), "hood": sub.number_of_nodes()}


def _child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system of the child) of one subprocess, and its stdout."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # cwd: a `python -c` child puts its working directory first on sys.path (a source tree there would win)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{cmd[:4]}...: exit {out.returncode}: {out.stderr.strip()[-400:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), out.stdout


def _compiled(tree: str) -> None:
    """The tree's bytecode written beside its sources, as installing fusioncell writes it (net18): where
    PYTHONDONTWRITEBYTECODE is set (these sessions' shells) and nothing had compiled the tree, every CLI run
    compiled the ~45 modules it imports from source (≈ 0.05 CPU s charged to `rest`); the naive script's
    libraries were compiled when they were installed."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(tree) / "fusioncell")], check=True,
                   capture_output=True)


def cli_bench(rows: int, seed: int, src: str | None, runs: int) -> int:
    """``--cli``: ``fusioncell network STORE --focus X`` against the naive script, each in its own process."""
    with tempfile.TemporaryDirectory(prefix="fc-netcli-") as tmp:
        path = Path(tmp) / "speed.duckdb"
        store = make_store(path, rows, seed)
        focus = store.con.execute("SELECT caller FROM comms GROUP BY caller ORDER BY count(*) DESC, caller "
                                  "LIMIT 1").fetchone()[0]
        store.close()
        env = dict(os.environ)
        tree = src or str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = tree + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        _compiled(tree)
        stages_py = str(Path(__file__).resolve().parent / "network_stages.py")  # the CLI, a CPU clock per stage
        ours_cmd = [sys.executable, stages_py, str(Path(tmp) / "stages.json"),
                    "network", str(path), "--focus", focus, "--format", "json"]
        # the naive script in its own file: its `rest` is its own imports, not this module's (net15)
        peer_cmd = [sys.executable, str(Path(__file__).resolve().parent / "network_naive.py"), str(path), focus, TZ,
                    str(NIGHT.from_h), str(NIGHT.to_h)]
        results: list[tuple[str, float, float, str]] = []
        stages: list[dict[str, Any]] = []
        for i in range(runs):
            w, c, out = _child(ours_cmd, env)
            results.append((f"fusioncell run {i + 1}", w, c, out))
            stages.append(json.loads((Path(tmp) / "stages.json").read_text()))
        pw, pc, pout = _child(peer_cmd, dict(os.environ))
        _, _, listed = _child([sys.executable, "-c", "import duckdb, sys; print(' '.join(r[0] for r in duckdb.connect("
                               "sys.argv[1], read_only=True).execute('SELECT table_name FROM duckdb_tables()')"
                               ".fetchall()))", str(path)], dict(os.environ))
        tables = set(listed.split())
        _, _, where = _child([sys.executable, "-c", "import fusioncell; print(fusioncell.__file__)"], env)
    print(f"`fusioncell network STORE --focus {focus}` on {rows:,} call records (seed {seed}; fusioncell from "
          f"{Path(where.strip()).parents[1]})\n")
    print("| run | fusioncell wall s | pandas+networkx wall s | ratio (wall) | fusioncell CPU s | "
          "pandas+networkx CPU s | ratio (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for name, w, c, _ in results:
        print(f"| {name} | {w:.2f} | {pw:.2f} | {pw / max(w, 1e-9):.1f}× | {c:.2f} | {pc:.2f} | {pc / max(c, 1e-9):.1f}× |")
    ours_ans, peer_ans = json.loads(results[-1][3]), json.loads(pout)
    _stage_table(stages, peer_ans["steps"])
    mine = [c["identifier"] for c in ours_ans["close_circle"]]
    print(f"\nclose circle: {len(mine)} (peer {len(peer_ans['close_circle'])}), top 5 shared with the peer's "
          f"top 5: {len(set(mine[:5]) & set(peer_ans['close_circle'][:5]))}; key players "
          f"{len(ours_ans['key_players'])}; peer's 2-hop ego graph {peer_ans['hood']:,} nodes; "
          f"whole-case table net_ties_person in the store afterwards: {'net_ties_person' in tables}")
    return 0


#: fusioncell's stages (bench/network_stages.py) and the naive script's steps that answer the same part, if any
STAGE_PEER: dict[str, tuple[str, ...]] = {
    "ties": ("read", "ties"), "circle": ("circle",), "key players": ("key players",), "communities": (),
    "successions": (), "persons": (), "focus and labels": (), "hubs": (), "rest": ("rest", "store", "output"),
}
PEER_NAMES = {"read": "read every record", "ties": "ties of every pair", "circle": "circle",
              "key players": "graph, ego graph, betweenness", "rest": "interpreter, imports",
              "store": "store open and close", "output": "output"}


def _ratio(r: float) -> str:
    """A ratio, with two decimals below 2× (where ≥ 1× is the question)."""
    return f"{r:.2f}×" if r < 2 else f"{r:.1f}×"


def _stage_table(stages: list[dict[str, Any]], peer_steps: dict[str, float]) -> None:
    """The per-stage table (CPU s): each fusioncell run's stage beside the naive script's corresponding steps."""
    runs = len(stages)
    print("\nPer stage, CPU s (fusioncell: exclusive of nested stages; `rest`: interpreter, imports, store, output):\n")
    print("| stage | " + " | ".join(f"fusioncell run {i + 1}" for i in range(runs)) + " | naive step(s) | naive CPU s | "
          + " | ".join(f"ratio run {i + 1}" for i in range(runs)) + " |")
    print("|---|" + "---|" * (2 * runs + 2))
    for stage, peer_of in STAGE_PEER.items():
        mine = [st["rest"] if stage == "rest" else st["stages"].get(stage, 0.0) for st in stages]
        pc = sum(peer_steps.get(x, 0.0) for x in peer_of)
        ratios = [_ratio(pc / max(m, 1e-9)) if peer_of else "—" for m in mine]
        print(f"| {stage} | " + " | ".join(f"{m:.2f}" for m in mine)
              + f" | {' + '.join(PEER_NAMES[x] for x in peer_of) or '(none)'} | {pc:.2f} | " + " | ".join(ratios) + " |")
    tot = [st["total"] for st in stages]
    pt = sum(peer_steps.values())
    print("| total | " + " | ".join(f"{t:.2f}" for t in tot) + f" | all | {pt:.2f} | "
          + " | ".join(f"{pt / max(t, 1e-9):.1f}×" for t in tot) + " |")
    # until net18 the naive `rest` was its imports alone (its store open and close were in `read`, its output
    # not clocked): the ratio on that footing too, and the split
    imp = peer_steps.get("rest", 0.0)
    print(f"\nnaive rest: imports {imp:.3f}, store open and close {peer_steps.get('store', 0.0):.3f}, output "
          f"{peer_steps.get('output', 0.0):.3f} CPU s; rest ratio against its imports alone: "
          + " / ".join(f"{imp / max(st['rest'], 1e-9):.2f}×" for st in stages))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--whole", action="store_true", help="time the whole-graph ties table (before net8)")
    ap.add_argument("--check", action="store_true", help="also run the other path and compare the answers")
    ap.add_argument("--cli", action="store_true", help="time `fusioncell network --focus` end to end (net9)")
    ap.add_argument("--src", help="with --cli: the source tree the CLI runs from (default this one)")
    ap.add_argument("--runs", type=int, default=2, help="with --cli: CLI runs on the same store")
    args = ap.parse_args(argv)
    if args.cli:
        return cli_bench(args.rows, args.seed, args.src, args.runs)
    with tempfile.TemporaryDirectory(prefix="fc-netspeed-") as tmp:
        store = make_store(Path(tmp) / "speed.duckdb", args.rows, args.seed)
        store.con.execute(f"SET threads = {args.threads}")
        foci = [r[0] for r in store.con.execute(
            "SELECT caller FROM comms GROUP BY caller ORDER BY count(*) DESC, caller LIMIT 20").fetchall()]
        # the first Arrow fetch of a process costs ~0.13 s CPU whatever the query (the library's warm-up, measured
        # on a 10-row query): paid here, untimed, as the peer's imports are
        store.con.sql("SELECT 1 AS x").to_arrow_table()
        # the first full (generation 2) garbage collection of the process scans every object the imports made
        # (0.07 s CPU): it fell in whichever step came after the ties, usually the circles (net9). Done and the
        # survivors frozen here, untimed, like the imports
        gc.collect()
        gc.freeze()
        o = (ours if args.whole else ours_hood)(store, foci)
        if args.check:
            other = (ours_hood if args.whole else ours)(store, foci)
            print(f"neighbourhood and whole-graph answers identical: {same_answer(o, other)}")
        import resource

        peak_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB (Linux)
        p = peer(store, foci)
        peak_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        store.close()
    print(f"Contact graph from {args.rows:,} call records (seed {args.seed}, DuckDB threads {args.threads})\n")
    print("| step | fusioncell wall s | pandas+networkx wall s | ratio (wall) | fusioncell CPU s | "
          "pandas+networkx CPU s | ratio (CPU) |")
    print("|---|---|---|---|---|---|---|")
    os_, ps_ = o["steps"], p["steps"]
    for k in (*STEPS, "total"):  # key players include building the graph
        (ow, oc), (pw, pc) = os_[k], ps_[k]
        print(f"| {k} | {ow:.2f} | {pw:.2f} | {pw / max(ow, 1e-9):.1f}× | {oc:.2f} | {pc:.2f} | "
              f"{pc / max(oc, 1e-9):.1f}× |")
    what = "edges within the 2-hop neighbourhood" if o.get("hood_edges") else "edges"
    print(f"\n{what}: {o['edges']:,} (peer, all: {p['edges']:,}); 2-hop neighbourhood: {o['hood']:,} nodes "
          f"(peer {p['hood']:,}). CPU time counts every thread of the process (DuckDB uses {args.threads}).")
    print(f"peak resident memory: {peak_ours:.2f} GiB after generating the records and the fusioncell steps; "
          f"{peak_all:.2f} GiB after pandas + networkx (same process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
