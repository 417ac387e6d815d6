"""Compare two case stores table by table: ``EXCEPT ALL`` both ways (what "identical to main's" means).

Run ids, load times and the audit chain's times and hashes differ between any two ingests and are left
out; a folder path differs when each tree ingested its own copy of a case, so ``--same-path A B`` rewrites
prefix ``A`` and ``B`` alike before comparing. Prints each table's rows and how many differ each way; exits 1
when any row differs.

Usage::

    .venv/bin/python bench/store_diff.py main.duckdb branch.duckdb --same-path /tmp/x/main/ /tmp/x/br/

(Session 18, docs/benchmarks.md "Ingest speed, session 18"; bench/odd_case.py writes the odd case.)
"""

from __future__ import annotations

import argparse
import sys

import duckdb

#: columns that differ between any two ingests of the same folder
VOLATILE = {"run_id", "ingest_run", "ingested_at", "started", "finished", "hashed_ns", "mtime_ns", "loaded_at",
            "quarantined_at", "prev_hash", "hash"}


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND table_name = ? "
        "ORDER BY column_index", [db, table]).fetchall()]


def diff(a: str, b: str, prefixes: list[str]) -> int:
    """Print the comparison of stores ``a`` and ``b``; the number of differing rows (both ways, every table)."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS a (READ_ONLY)", [a])
    con.execute("ATTACH ? AS b (READ_ONLY)", [b])
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' ORDER BY 1").fetchall()]
    total = 0
    for t in tables:
        cols, cols_b = _columns(con, "a", t), _columns(con, "b", t)
        if cols != cols_b:
            print(f"{t}: columns differ: {cols} / {cols_b}")
            total += 1
            continue
        audit = t.startswith("audit")  # the chain's times, and the hashes over them, differ by construction
        keep = [(c, ty) for c, ty in cols if c not in VOLATILE and not (audit and (
            ty.startswith("TIMESTAMP") or (ty == "VARCHAR" and c not in ("actor", "action", "detail", "what", "why"))))]
        exprs = []
        for c, ty in keep:
            e = f'"{c}"'
            if ty in ("VARCHAR", "JSON") and prefixes:
                e = f"CAST({e} AS VARCHAR)"
                for p in prefixes:
                    e = f"replace({e}, '{p.replace(chr(39), chr(39) * 2)}', '<folder>/')"
            exprs.append(e)
        sel = ", ".join(exprs) or "1"
        n = con.execute(f'SELECT count(*) FROM a."{t}"').fetchone()[0]  # type: ignore[index]
        one = con.execute(f'SELECT count(*) FROM (SELECT {sel} FROM a."{t}" EXCEPT ALL SELECT {sel} FROM b."{t}")').fetchone()[0]  # type: ignore[index]
        two = con.execute(f'SELECT count(*) FROM (SELECT {sel} FROM b."{t}" EXCEPT ALL SELECT {sel} FROM a."{t}")').fetchone()[0]  # type: ignore[index]
        left = sorted({c for c, _ in cols} - {c for c, _ in keep})
        print(f"{t:28s} rows {n:>11,}  differ {one} / {two}" + (f"  (left out: {', '.join(left)})" if left else ""))
        total += one + two
    print(f"rows that differ: {total}")
    return total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--same-path", nargs="*", default=[], metavar="PREFIX",
                    help="folder prefixes read as one (each tree's copy of the case)")
    args = ap.parse_args(argv)
    sys.exit(1 if diff(args.a, args.b, args.same_path) else 0)


if __name__ == "__main__":
    main()
