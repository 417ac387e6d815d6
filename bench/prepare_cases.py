"""Simulate and ingest benchmark cases ahead of time (the expensive part), in parallel.

    .venv/bin/python bench/prepare_cases.py --seeds 1000-1009 --difficulties easy,normal,hard
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import parse_seeds, partner_case, seed_case  # noqa: E402


def prepare(job: tuple[int, str]) -> str:
    seed, diff = job
    seed_case(seed, diff)
    partner_case(seed, diff)
    return f"{diff}-{seed}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1000-1009")
    ap.add_argument("--difficulties", default="easy,normal,hard")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    seeds = parse_seeds(a.seeds)
    jobs = [(s, d) for s in seeds for d in a.difficulties.split(",")]
    with ProcessPoolExecutor(a.workers) as ex:
        for name in ex.map(prepare, jobs):
            print(name, flush=True)


if __name__ == "__main__":
    main()
