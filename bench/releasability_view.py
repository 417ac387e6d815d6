"""Cost of the releasability filter and of audit verification, against named peers.

    .venv/bin/python bench/releasability_view.py --rows 100000,1000000

``view_for`` copies the releasable rows of every observation table into a
separate in-memory store (via Arrow) and recomputes ``identifiers``. Peers:

* **DuckDB CTAS, same database** — ``CREATE TABLE … AS SELECT … WHERE
  source_id IN (…)`` inside the case's own database: the least a filtered
  copy can cost, but the copy would share the connection (and the withheld
  rows) with the partner's analysis;
* **pandas round trip** — ``fetchdf()`` + boolean mask + register + insert,
  the obvious hand-written alternative.

Audit: ``record`` appends per second and ``verify`` entries per second
(pure-Python SHA-256 chain) against **hashlib over the same bytes** (the
floor for any chain check).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import datetime, timedelta, timezone

from fusioncell.security import audit
from fusioncell.security.releasability import view_for
from fusioncell.store import CaseStore


def build(n_rows: int) -> CaseStore:
    s = CaseStore.memory()
    s.con.execute("INSERT INTO case_info (case_id, owner_agency, legal_authority, timezone)"
                  " VALUES ('bench', 'OWNER', 'order', 'UTC')")
    for i in range(10):
        rel = ["PARTNER"] if i % 2 == 0 else []
        s.con.execute("INSERT INTO sources (source_id, agency, discipline, method, reliability, releasable_to, line)"
                      " VALUES (?, 'OWNER', 'SIGINT', 'm', 'B', ?, ?)", [f"s{i}", rel, i])
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    s.con.execute(
        """
        INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee, caller_lat,
                           caller_lon, line)
        SELECT 'c' || i, 's' || (i % 10), 'OWNER', ?::TIMESTAMPTZ + to_seconds(i), 60, 'call',
               '+5233' || lpad(((i * 7919) % 50000)::VARCHAR, 8, '0'), '+5233' || lpad(((i * 104729) % 50000)::VARCHAR, 8, '0'),
               19.0 + (i % 1000) / 1e4, -103.0, i
        FROM range(?) t(i)
        """,
        [t0, n_rows],
    )
    s.con.execute(
        """
        INSERT INTO locations (event_id, source_id, agency, observed, identifier, lat, lon, accuracy_m, line)
        SELECT 'l' || i, 's' || (i % 10), 'OWNER', ?::TIMESTAMPTZ + to_seconds(i),
               '+5233' || lpad((i % 500)::VARCHAR, 8, '0'), 19.0 + (i % 997) / 1e4, -103.0 - (i % 991) / 1e4, 50, i
        FROM range(?) t(i)
        """,
        [t0 + timedelta(days=1), n_rows],
    )
    return s


def _time(fn: object) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - w0, time.process_time() - c0


def bench_view(n_rows: int) -> list[tuple[str, float, float]]:
    s = build(n_rows)
    visible = [f"s{i}" for i in range(0, 10, 2)]
    out = []
    w, c = _time(lambda: view_for(s, "PARTNER").close())
    out.append(("view_for (separate store)", w, c))

    def ctas() -> None:
        for t in ("comms", "locations"):
            s.con.execute(f"CREATE OR REPLACE TEMP TABLE v_{t} AS SELECT * FROM {t} WHERE source_id IN (SELECT unnest(?))",
                          [visible])

    w, c = _time(ctas)
    out.append(("DuckDB CTAS, same database", w, c))

    def pandas_rt() -> None:
        d = CaseStore.memory()
        for t in ("comms", "locations"):
            df = s.con.execute(f"SELECT * FROM {t}").fetchdf()
            df = df[df["source_id"].isin(visible)]
            d.con.register("_df", df)
            d.con.execute(f"INSERT INTO {t} SELECT * FROM _df")
            d.con.unregister("_df")
        d.close()

    w, c = _time(pandas_rt)
    out.append(("pandas round trip", w, c))
    s.close()
    return out


def bench_audit(n: int) -> list[tuple[str, float, float]]:
    s = CaseStore.memory()
    w, c = _time(lambda: [audit.record(s, "read", {"i": i}, actor="bench") for i in range(n)])
    res = [("audit.record", w, c)]
    w, c = _time(lambda: audit.verify(s))
    res.append(("audit.verify", w, c))
    rows = s.con.execute("SELECT what FROM audit_log ORDER BY seq").fetchall()
    def floor() -> None:
        h = "0" * 64
        for (what,) in rows:
            h = hashlib.sha256((h + what).encode()).hexdigest()
    w, c = _time(floor)
    res.append(("hashlib chain only (floor)", w, c))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="100000,1000000", help="rows per observation table (comms and locations)")
    ap.add_argument("--audit", type=int, default=2000, help="audit entries")
    args = ap.parse_args(argv)
    print("| rows/table | method | wall s | CPU s | rows/s (wall, both tables) |")
    print("|---:|---|---:|---:|---:|")
    for n in (int(x) for x in args.rows.split(",")):
        for name, w, c in bench_view(n):
            print(f"| {n:,} | {name} | {w:.3f} | {c:.3f} | {2 * n / w:,.0f} |")
    print()
    print(f"| audit entries | step | wall s | CPU s | entries/s |")
    print("|---:|---|---:|---:|---:|")
    for name, w, c in bench_audit(args.audit):
        print(f"| {args.audit:,} | {name} | {w:.3f} | {c:.3f} | {args.audit / w:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
