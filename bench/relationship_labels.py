"""Relationship labels on simulated cases: fit on some world families, report on held-out ones.

For each (family, seed): simulate a case (``fusioncell.sim.simulate``), ingest
it, build the person-level ties and pair every true tie of truth.json
(partner, family, friend, work, logistics; acquaintances excluded) that has
communications with our tie between the two persons' nodes. The features are
the relationship model's (``fusioncell.network.ties.FEATURES``: timing, call
length, rhythm, reciprocity, burstiness, volume, and the evidence of place —
calls from one cell, a shared home, a shared work place, the tie's share of
the quieter end's traffic) plus the claim bonuses.

``--fit`` fits the multinomial log-linear model (numpy gradient descent,
L2 pulled towards the literature coefficients of ``ties.PRIOR_COEF`` rather
than towards zero, so a feature the simulator says nothing about keeps its
tradecraft meaning) on the training families and writes
``fusioncell/network/relationship_model.json``. The report is on the
held-out families and seeds only: accuracy, precision and recall per label,
the confusion matrix, and the majority-label baseline (always the most
frequent label of the training set), the calibration by ``relationship_p``,
the work and logistics ties split by the truth roles of their ends (the
issue's lieutenant / business / driver labels, :data:`ROLE_GROUPS`), and with
``--lofo`` each family held out in turn (fit on the others). The cache keeps
each case's rows as soon as it is collected; it is keyed by family and seed
only, so start a new cache file when the simulator or the features change::

    nice .venv/bin/python bench/relationship_labels.py --fit --lofo \\
        --train baseline,sparse-coverage,decoy-heavy,deception --train-seeds 0-9 \\
        --test phone-discipline,late-move,mixed --test-seeds 1000-1009 --lam 20 --cache /work/wt/net6-cases/labels.json

``--style-scale 0.5`` scores on cases whose ties differ only half as much by
kind as the simulator's (a stand-in for a foreign simulator with other habits).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import parse_seeds  # noqa: E402

from fusioncell.ingest import ingest_case
from fusioncell.network import person_of
from fusioncell.network.ties import COEF, FEATURES, LABELS, MODEL_PATH, PRIOR_COEF, THIN_EVENTS, UNKNOWN_P, build_ties
from fusioncell.sim import simulate
from fusioncell.store import CaseStore

KINDS = ("partner", "family", "friend", "work", "logistics")
FEATS = tuple(k for k in FEATURES if k != "single")  # "single" is the one-off rule, not fitted


#: Where collect() keeps its cache after every new case (--cache).
CACHE_PATH: Path | None = None

#: How pronounced each kind's behaviour is in the simulated cases (1: the simulator's own; see --style-scale).
STYLE_SCALE = 1.0


def _scaled_style(seed: int) -> Any:
    """The simulator's tie style pulled towards "every kind calls alike" by 1 - STYLE_SCALE."""
    import dataclasses

    from fusioncell.sim.families import tie_style

    st = tie_style(seed)
    k = STYLE_SCALE

    def pull(x: Any, to: Any) -> Any:
        return to + k * (x - to)

    return dataclasses.replace(st, mix=st.mix * k, keep_weekday=pull(st.keep_weekday, 1.0),
                               keep_weekend=pull(st.keep_weekend, 1.0), median_s=pull(st.median_s, 75.0),
                               op_days=pull(st.op_days, 1.0), follow_p=st.follow_p * k)


def case_rows(family: str, seed: int, workdir: Path) -> list[dict[str, Any]]:
    """Feature rows of the true ties of one simulated case (with their truth kind)."""
    case = workdir / f"case-{family}-{seed}"
    shutil.rmtree(case, ignore_errors=True)
    if STYLE_SCALE != 1.0:  # a foreign simulator whose ties differ less by kind (bench only)
        import fusioncell.sim.calls as sim_calls

        sim_calls.tie_style = _scaled_style  # type: ignore[assignment]
    simulate(case, seed=seed, difficulty="normal", family=family)
    truth = json.loads((case / "truth.json").read_text())
    db = workdir / f"case-{family}-{seed}.duckdb"
    store = CaseStore.open(db)
    try:
        ingest_case(case, store)
        owner = person_of(store)
        build_ties(store, "person")
        node_person: dict[str, str] = {}
        for pid, p in truth["persons"].items():
            for ph in p["phones"]:
                node_person.setdefault(owner.get(ph["identifier"], ph["identifier"]), pid)
            if p.get("entity_id"):
                node_person.setdefault(p["entity_id"], pid)
        feats = ", ".join(f"coalesce({expr}, 0) AS f_{k}" for k, expr in FEATURES.items())
        cps = ", ".join(f"coalesce(cp_{lab.replace('-', '_')}, 0) AS cp_{lab.replace('-', '_')}" for lab in KINDS)
        tbl = store.con.execute(
            f"SELECT a, b, n_events, relationship, {feats}, {cps}, "
            f"(claim_p > 0 OR n_meetings > 0 OR veh_p > 0 OR place_p > 0) AS other_ev "
            f"FROM net_ties_person WHERE n_events > 0").fetchall()
        cols = [d[0] for d in store.con.description or []]
    finally:
        store.close()
        shutil.rmtree(case, ignore_errors=True)
        db.unlink(missing_ok=True)
    by_pair: dict[tuple[str, str], dict[str, Any]] = {}
    for row in tbl:
        r = dict(zip(cols, row))
        pa, pb = node_person.get(r["a"]), node_person.get(r["b"])
        if pa and pb and pa != pb:
            key = (min(pa, pb), max(pa, pb))
            if key not in by_pair or r["n_events"] > by_pair[key]["n_events"]:
                by_pair[key] = r
    out = []
    for t in truth["ties"]:
        if t["kind"] not in KINDS:
            continue
        r = by_pair.get((min(t["a"], t["b"]), max(t["a"], t["b"])))
        if r is not None:  # weak ties (acquaintances) are kept aside: truth "acquaintance"
            roles = sorted(truth["persons"][x]["role"] for x in (t["a"], t["b"]))
            out.append({**r, "truth": "acquaintance" if t.get("weak") else t["kind"], "family": family, "seed": seed,
                        "roles": roles})
    return out


#: The issue's finer organisational labels, read off the truth roles of a tie's two ends (first match wins).
#: The simulator's kinds are the five of KINDS and its ties call by kind (``sim/families.tie_style``): two
#: lieutenants' tie and a lieutenant's tie with a civilian colleague are both "work", a courier's and a
#: bodyguard's (driver's) org ties both "logistics".
ROLE_GROUPS = (("lieutenant (two lieutenants)", "work", lambda rs: rs == ["lieutenant", "lieutenant"]),
               ("business (work with a civilian)", "work", lambda rs: "civilian" in rs),
               ("driver/bodyguard", "logistics", lambda rs: "bodyguard" in rs),
               ("courier", "logistics", lambda rs: "courier" in rs))


def role_group(r: dict[str, Any]) -> str | None:
    """The finer label of a true work/logistics tie by its ends' roles, or None."""
    roles = list(r.get("roles") or [])
    for name, kind, match in ROLE_GROUPS:
        if r["truth"] == kind and match(roles):
            return name
    return None


def role_table(rows: list[dict[str, Any]], pred: list[str]) -> str:
    """Predicted labels of the work and logistics ties split by the roles of their ends: would the evidence
    separate the issue's lieutenant / driver / business labels?"""
    labs = [*KINDS, "one-off", "unknown"]
    lines = ["| true tie (ends' roles) | ties | " + " | ".join(labs) + " |", "|---|---|" + "---|" * len(labs)]
    for name, _, _ in ROLE_GROUPS:
        got = [p for r, p in zip(rows, pred) if role_group(r) == name]
        if got:
            c = Counter(got)
            lines.append(f"| {name} | {len(got)} | " + " | ".join(str(c.get(lab, 0)) for lab in labs) + " |")
    feats = ("business", "long", "shortcalls", "quick", "coloc_day", "workplace", "volume")
    lines += ["", "Mean features of those ties:", "", "| true tie | " + " | ".join(feats) + " |",
              "|---|" + "---|" * len(feats)]
    for name, _, _ in ROLE_GROUPS:
        sel = [r for r in rows if role_group(r) == name]
        if sel:
            lines.append(f"| {name} | " + " | ".join(f"{np.mean([float(r[f'f_{k}']) for r in sel]):.2f}"
                                                    for k in feats) + " |")
    return "\n".join(lines)


def matrices(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([[float(r[f"f_{k}"]) for k in FEATS] + [1.0] for r in rows])
    off = np.array([[float(r.get(f"cp_{lab}", 0.0)) for lab in KINDS] for r in rows])
    y = np.array([KINDS.index(r["truth"]) for r in rows])
    return x, off, y


def fit(rows: list[dict[str, Any]], lam: float = 20.0, steps: int = 4000, lr: float = 0.05) -> dict[str, dict[str, float]]:
    """Multinomial log-linear fit, L2 towards PRIOR_COEF (MAP with a Gaussian prior), full-batch Adam."""
    x, off, y = matrices(rows)
    names = [*FEATS, "bias"]
    w0 = np.array([[PRIOR_COEF[lab].get(n, 0.0) for lab in KINDS] for n in names])
    w = w0.copy()
    onehot = np.eye(len(KINDS))[y]
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    n = len(y)
    for t in range(1, steps + 1):
        z = x @ w + off
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = x.T @ (p - onehot) / n + lam / n * (w - w0)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return {lab: {nm: round(float(w[i, j]), 4) for i, nm in enumerate(names) if abs(w[i, j]) > 1e-4}
            for j, lab in enumerate(KINDS)}


def predict(rows: list[dict[str, Any]], coef: dict[str, dict[str, float]], unknown: bool = True) -> list[str]:
    return [lab for lab, _ in predict_p(rows, coef, unknown)]


def predict_p(rows: list[dict[str, Any]], coef: dict[str, dict[str, float]],
              unknown: bool = True) -> list[tuple[str, float]]:
    """The label the SQL model gives, recomputed from the features: the argmax over all labels incl.
    one-off, or "unknown" by the rule of ``ties.UNKNOWN_P`` / ``ties.THIN_EVENTS`` (with ``unknown``)."""
    out = []
    for r in rows:
        if "f_single" not in r:  # rows collected before the feature existed: one event, no claim
            r["f_single"] = float(round(np.expm1(float(r["f_volume"]))) == 1 and not any(
                float(r.get(f"cp_{k}", 0)) for k in KINDS))
        scores = []
        for lab in LABELS:
            c = coef[lab]
            s = c.get("bias", 0.0) + sum(w * float(r[f"f_{k}"]) for k, w in c.items() if k != "bias")
            s += float(r.get(f"cp_{lab}", 0.0)) if lab != "one-off" else 0.0
            scores.append(s)
        sc = np.array(scores)
        i = int(np.argmax(sc))
        p_best = 1.0 / float(np.exp(sc - sc[i]).sum())
        arg = LABELS[i]
        if unknown and arg != "one-off" and (
                p_best < UNKNOWN_P or (int(r["n_events"]) < THIN_EVENTS and not r.get("other_ev"))):
            arg = "unknown"
        out.append((arg, p_best))
    return out


def calibration(rows: list[dict[str, Any]], coef: dict[str, dict[str, float]]) -> str:
    """How often the label is right by its probability (ties given one of the five labels)."""
    lines = ["| relationship_p | ties | right |", "|---|---|---|"]
    pred = predict_p(rows, coef)
    for lo, hi in ((0.0, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)):
        sel = [(r["truth"], lab) for r, (lab, p) in zip(rows, pred) if lab in KINDS and lo <= p < hi]
        if sel:
            lines.append(f"| {lo:.1f}–{min(hi, 1.0):.1f} | {len(sel)} | {sum(t == lab for t, lab in sel) / len(sel):.2f} |")
    return "\n".join(lines)


def report(rows: list[dict[str, Any]], pred: list[str], majority: str, title: str) -> str:
    truth = [r["truth"] for r in rows]
    n = len(rows)
    acc = sum(a == b for a, b in zip(truth, pred)) / n
    base = sum(t == majority for t in truth) / n
    labs = [*KINDS, "one-off", "unknown"]
    lines = [f"**{title}** ({n} true ties with communications)\n",
             f"accuracy **{acc:.2f}**; majority-label baseline (always `{majority}`) {base:.2f}\n",
             "| label | truth n | predicted n | precision | recall |", "|---|---|---|---|---|"]
    for lab in labs:
        tp = sum(t == lab and p == lab for t, p in zip(truth, pred))
        pn = sum(p == lab for p in pred)
        tn = sum(t == lab for t in truth)
        prec = f"{tp / pn:.2f}" if pn else "-"
        rec = f"{tp / tn:.2f}" if tn else "-"
        lines.append(f"| {lab} | {tn} | {pn} | {prec} | {rec} |")
    conf = Counter(zip(truth, pred))
    lines += ["", "Confusion (rows: truth, columns: predicted):", "",
              "| truth \\ predicted | " + " | ".join(labs) + " |", "|---|" + "---|" * len(labs)]
    for t in KINDS:
        lines.append(f"| {t} | " + " | ".join(str(conf.get((t, p), 0)) for p in labs) + " |")
    kept = [(t, p) for t, p in zip(truth, pred) if p in KINDS]
    if kept:
        lines.append(f"\nwhen the model gives one of the five labels ({len(kept)} of {n} ties, "
                     f"{len(kept) / n:.0%}): accuracy {sum(t == p for t, p in kept) / len(kept):.2f}")
    return "\n".join(lines)


def collect(families: list[str], seeds: list[int], workdir: Path, cache: dict[str, Any]) -> list[dict[str, Any]]:
    """Feature rows of every (family, seed); ``cache`` (key ``family:seed``) keeps the rows already collected."""
    rows: list[dict[str, Any]] = []
    for fam in families:
        for s in seeds:
            key = f"{fam}:{s}" + (f":style{STYLE_SCALE:g}" if STYLE_SCALE != 1.0 else "")
            if key not in cache:
                t0 = time.perf_counter()
                try:
                    cache[key] = case_rows(fam, s, workdir)
                except Exception as exc:  # a simulator failure must not hide the other cases
                    print(f"{fam} seed {s}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    continue
                print(f"{key}: {len(cache[key])} ties, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
                if CACHE_PATH is not None:  # kept case by case: a bounded run that is stopped loses nothing
                    CACHE_PATH.write_text(json.dumps(cache, default=str))
            rows += cache[key]
    return rows


def _fit_coef(train: list[dict[str, Any]], lam: float) -> dict[str, dict[str, float]]:
    return {**fit(train, lam=lam), "one-off": PRIOR_COEF["one-off"]}


def _scored(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["truth"] != "acquaintance"]


def leave_one_family_out(families: list[str], train_seeds: list[int], test_seeds: list[int], workdir: Path,
                         cache: dict[str, Any], lam: float) -> str:
    """Fit on every family but one (training seeds), score on the one left out (test seeds)."""
    lines = ["| family held out | ties | accuracy | majority baseline | labelled | accuracy when labelled |",
             "|---|---|---|---|---|---|"]
    truth_all: list[str] = []
    pred_all: list[str] = []
    for held in families:
        train = _scored(collect([f for f in families if f != held], train_seeds, workdir, cache))
        test = _scored(collect([held], test_seeds, workdir, cache))
        if not train or not test:
            continue
        majority = Counter(r["truth"] for r in train).most_common(1)[0][0]
        pred = predict(test, _fit_coef(train, lam))
        truth = [r["truth"] for r in test]
        truth_all += truth
        pred_all += pred
        acc = sum(t == p for t, p in zip(truth, pred)) / len(test)
        base = sum(t == majority for t in truth) / len(test)
        kept = [(t, p) for t, p in zip(truth, pred) if p in KINDS]
        acc_k = sum(t == p for t, p in kept) / len(kept) if kept else float("nan")
        lines.append(f"| {held} | {len(test)} | {acc:.2f} | {base:.2f} | {len(kept) / len(test):.0%} | {acc_k:.2f} |")
    if truth_all:
        acc = sum(t == p for t, p in zip(truth_all, pred_all)) / len(truth_all)
        lines.append(f"| **all** | {len(truth_all)} | **{acc:.2f}** | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", default="baseline,sparse-coverage,decoy-heavy,deception")
    ap.add_argument("--train-seeds", default="0-5")
    ap.add_argument("--test", default="phone-discipline,late-move,mixed")
    ap.add_argument("--test-seeds", default="1000-1005")
    ap.add_argument("--fit", action="store_true", help="refit and write the model file")
    ap.add_argument("--lofo", action="store_true",
                    help="also leave one family out: fit on the others, score on it (every family in turn)")
    ap.add_argument("--cache", type=Path, help="JSON file to keep/reuse the collected feature rows")
    ap.add_argument("--lam", type=float, default=20.0,
                    help="pull towards the literature coefficients (L2; larger keeps the tradecraft slopes)")
    ap.add_argument("--style-scale", type=float, default=1.0,
                    help="score on cases whose ties differ less by kind: each kind's behaviour pulled towards "
                         "everyone's by 1 - this (0: all kinds call alike); the training cases stay as simulated")
    args = ap.parse_args(argv)
    cache: dict[str, Any] = {}
    if args.cache and args.cache.exists():
        cache = json.loads(args.cache.read_text())
    tr_f, te_f = args.train.split(","), args.test.split(",")
    tr_s, te_s = parse_seeds(args.train_seeds), parse_seeds(args.test_seeds)
    global STYLE_SCALE, CACHE_PATH
    CACHE_PATH = args.cache
    with tempfile.TemporaryDirectory(prefix="fc-rel-") as tmp:
        train = collect(tr_f, tr_s, Path(tmp), cache)
        STYLE_SCALE = args.style_scale
        test = collect(te_f, te_s, Path(tmp), cache)
        STYLE_SCALE = 1.0
        lofo = leave_one_family_out([*tr_f, *te_f], tr_s, te_s, Path(tmp), cache, args.lam) if args.lofo else ""
    if args.cache:
        args.cache.write_text(json.dumps(cache, default=str))
    acq_test = [r for r in test if r["truth"] == "acquaintance"]
    train, test = _scored(train), _scored(test)
    majority = Counter(r["truth"] for r in train).most_common(1)[0][0]
    print(f"train: {args.train} seeds {args.train_seeds}; held out: {args.test} seeds {args.test_seeds}\n")
    print(report(test, predict(test, {lab: PRIOR_COEF[lab] for lab in LABELS}), majority,
                 "Literature coefficients alone (no fit)"))
    print()
    coef = COEF
    if args.fit:
        fitted = fit(train, lam=args.lam)
        coef = {**fitted, "one-off": PRIOR_COEF["one-off"]}
        MODEL_PATH.write_text(json.dumps({"fitted_on": {"families": args.train, "seeds": args.train_seeds, "lam": args.lam},
                                          "coef": fitted}, indent=1, sort_keys=True) + "\n")
        print(f"wrote {MODEL_PATH}\n")
    print(report(train, predict(train, coef), majority, "Fitted model, training cases"))
    print()
    print(report(test, predict(test, coef), majority, "Fitted model, held-out families and seeds"))
    print()
    print(report(test, predict(test, coef, unknown=False), majority,
                 "Fitted model, held-out, without the unknown rule (always a label)"))
    print("\nHeld-out ties by the label's probability (calibration):\n")
    print(calibration(test, coef))
    if acq_test:
        pa = predict(acq_test, coef)
        print(f"\nacquaintances (weak ties, not scored above): {len(acq_test)}, labelled one-off "
              f"{sum(p == 'one-off' for p in pa) / len(pa):.0%}, unknown {sum(p == 'unknown' for p in pa) / len(pa):.0%}, "
              f"friend {sum(p == 'friend' for p in pa) / len(pa):.0%}")
    if any("roles" in r for r in test):
        print("\nHeld-out work and logistics ties by the roles of their ends (the issue's finer labels):\n")
        print(role_table(test, predict(test, coef)))
    if lofo:
        print(f"\nLeave one family out (fit on the other families' seeds {args.train_seeds}, "
              f"score on the held-out family's seeds {args.test_seeds}):\n")
        print(lofo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
