"""Fuzz ingest for longer: the law of tests/test_ingest_mutations.py on many mutated cases, with counts.

Each example copies a small valid case (built by the test factory) and its
ingested store, mutates one file (tests/mutations.py: bytes flipped, lines
cut/doubled/dropped, hostile field values, UTF-16/Latin-1, CR-only line
ends, deep JSON) and runs ``fusioncell ingest`` in process. Counts: clean
loads (exit 0), clean refusals (exit 2, one line, store unchanged) and
violations (anything else), with the slowest example. Violations are printed
as replayable ``Mutation(...)`` lines.

Usage::

    nice .venv/bin/python bench/fuzz_ingest.py --examples 300 [--seed 1]

Record the counts, with the command, in docs/benchmarks.md (## Ingest fuzzing).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from mutations import Mutation, build_case, mutations, run_cli, run_mutation, violations  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    by_kind: collections.Counter[tuple[str, str]] = collections.Counter()
    bad: list[tuple[Mutation, list[str]]] = []
    slowest = (0.0, "")
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        case = build_case(root / "case")
        store = root / "case.duckdb"
        code, _o, err = run_cli(["ingest", str(case), "--store", str(store)])
        if code != 0:
            print(f"the base case does not ingest: {err}", file=sys.stderr)
            return 1
        n = 0

        @seed(args.seed)
        @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(m=mutations)
        def one(m: Mutation) -> None:
            nonlocal slowest, n
            n += 1
            with tempfile.TemporaryDirectory(dir=tmp) as work:
                o = run_mutation(m, case, store, Path(work))
            v = violations(o)
            outcome = "violation" if v else ("loaded" if o.code == 0 else "refused")
            counts[outcome] += 1
            by_kind[(m.kind, outcome)] += 1
            if v:
                bad.append((m, v))
            if o.seconds > slowest[0]:
                slowest = (o.seconds, m.describe())

        one()
    wall = time.perf_counter() - t_start
    print(f"examples {sum(counts.values())}: loaded {counts['loaded']}, refused cleanly {counts['refused']}, "
          f"violations {counts['violation']}; {wall:.0f} s wall; slowest {slowest[0]:.1f} s ({slowest[1]})")
    for kind in sorted({k for k, _ in by_kind}):
        print(f"  {kind:15s} loaded {by_kind[(kind, 'loaded')]:4d}  refused {by_kind[(kind, 'refused')]:4d}  "
              f"violations {by_kind[(kind, 'violation')]:4d}")
    for m, v in bad:
        print(f"VIOLATION {m!r}: {'; '.join(v)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
