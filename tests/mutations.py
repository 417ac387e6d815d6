"""Mutating a valid case folder one file at a time, and the only two outcomes ingest may have.

Used by ``tests/test_ingest_mutations.py`` (a few examples in ``make test``)
and ``bench/fuzz_ingest.py`` (many, with counts). A case folder is built by
the schema-driven factory (:mod:`casefolder`), ingested once into a store;
each example copies that store, mutates one file of the folder (bytes
flipped, a line cut short, doubled or dropped, a field replaced by a hostile
value, the file re-encoded or given CR-only line ends) and runs
``fusioncell ingest`` through the CLI entry point in process. It must end in

* exit 0 (the mutation was still a valid case), or
* exit 2 with one line on stderr and the store's data exactly as before;

never a traceback, never another exit code, never longer than a bound.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from casefolder import CaseFolder, at

#: Tables whose content is the case; an ingest refused with exit 2 must leave them as they were.
#: (``audit_log`` and ``runs`` record the refused attempt, by design.)
DATA_TABLES = ("case_info", "targets", "sources", "comms", "locations", "sightings", "reports", "claims",
               "entities", "entity_identifiers", "identifiers", "ingest_log", "deliveries")
FILES = ("case.toml", "sources.csv", "comms.csv", "locations.csv", "sightings.csv", "reports.jsonl",
         "entities.jsonl")
#: One ingest of this small case takes about a second; anything near this bound is a hang.
TIME_BOUND_S = 60.0

HOSTILE: tuple[str, ...] = (
    "9" * 5000, "1e400", "-1e400", "1e308", "nan", "-NaN", "inf", "Infinity", "1_000", "0x1F", "-0", "",
    "\u200b", "\u200b\u200d\ufeff", "\u3164", "\u00ad", "\x00", "\x1b[31m", "\x07", "\x7f",
    "\ud800", "\udfff", "é" * 3, "\u202e\u2066", "A" * 70_000, "[" * 5000, "{" * 5000 + "}" * 5000,
    '"', "\"\"\"", ",,,,", ";", "*", "TLP:PURPLE", "0000-01-01T00:00:00Z", "2026-02-02T10:00:00+25:00",
    "9999-12-31T23:59:59Z", "2026-02-30T10:00:00Z", "2026-02-02T10:00:00", "2026-02-02", "+52", "+5233" + "1" * 30,
    "imei:", "plate:", "alias:\u200b", "person-target", "masked:phone-00", "true", "null", "-999", "999",
    "\r", "\n", "\r\n\r\n", "\t", " ", "💥" * 10, "'; DROP TABLE comms; --",
)


def build_case(folder: Path) -> Path:
    """A small valid case with every file of the format, from the factory."""
    cf = CaseFolder(case_id="fuzz-case")
    cf.source("cdr", "SIGINT", "A")
    cf.source("geo", "GEOINT", "B")
    cf.source("imint", "IMINT", "C")
    cf.source("hum", "HUMINT", "D")
    cf.person("person-partner", phone=["+523312345678"])
    phones = ["+523312345678", "+523398765432", "+523311112222", "+523344445555"]
    for d in range(3):
        for i, p in enumerate(phones):
            cf.call(p, phones[(i + 1) % 4], at(d, 9 + i), cell=(19.95 + i / 100, -103.73), duration_s=60 + i)
            cf.fix(p, at(d, 22), 19.94 + i / 100, -103.75, 200.0)
    cf.sighting("plate:JAL-4821-B", at(1, 14), 19.95, -103.74, 0.8, note="white pickup", source_id="imint")
    cf.sighting("person-target", at(2, 7), 19.96, -103.72, 0.6, source_id="imint")
    cf.report("hum", at(1, 18), 2, [
        {"subject": "person-target", "predicate": "partner_of", "object": "person-partner"},
        {"subject": "person-target", "predicate": "located_near", "lat": 19.95, "lon": -103.73, "radius_m": 1500},
    ], text="La novia del objetivo usa el 33 1234 5678.")
    return cf.write(folder)


@dataclass(frozen=True)
class Mutation:
    """One change to one file; ``describe()`` is what a failing example prints."""

    file: str
    kind: str
    a: int
    b: int
    value: str

    def describe(self) -> str:
        v = self.value if len(self.value) < 40 else self.value[:37] + "..."
        return f"{self.kind} on {self.file} (a={self.a}, b={self.b}, value={v!r})"

    def apply(self, folder: Path) -> None:
        path = folder / self.file
        data = path.read_bytes()
        path.write_bytes(mutate_bytes(data, self, self.file.endswith(".jsonl")))


def _encode(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")  # lone surrogates as the bytes a careless writer leaves


def _replace_field(lines: list[bytes], m: Mutation, jsonl: bool) -> list[bytes]:
    i = m.a % len(lines)
    if jsonl:
        try:
            obj = json.loads(lines[i])
        except ValueError:
            return lines
        keys = list(obj) if isinstance(obj, dict) else []
        if not keys:
            return lines
        key = keys[m.b % len(keys)]
        hostile: Any = m.value
        if m.value.lstrip("-").isdigit():
            hostile = int(m.value) if len(m.value) < 4000 else m.value  # numbers as JSON numbers too
        obj[key] = hostile
        text = json.dumps(obj, ensure_ascii=m.b % 2 == 0)  # \uXXXX escapes or raw characters
        return lines[:i] + [_encode(text)] + lines[i + 1:]
    cells = lines[i].split(b",")
    cells[m.b % len(cells)] = _encode(m.value)
    return lines[:i] + [b",".join(cells)] + lines[i + 1:]


def mutate_bytes(data: bytes, m: Mutation, jsonl: bool = False) -> bytes:
    """``data`` changed as ``m`` says (a pure function, for shrinking and replay)."""
    if m.kind == "flip":
        if not data:
            return data
        arr = bytearray(data)
        arr[m.a % len(arr)] = m.b % 256
        return bytes(arr)
    if m.kind == "cr_only":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if m.kind == "utf16":
        return data.decode("utf-8").encode("utf-16")
    if m.kind == "latin1":
        return data.decode("utf-8").encode("latin-1", "replace") + "ñ".encode("latin-1")
    if m.kind == "deep_json":
        return data + b"[" * (1000 + m.a % 200_000) + b"\n"
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    i = m.a % len(lines)
    if m.kind == "truncate_line":
        cut = m.b % (len(lines[i]) + 1)
        lines[i] = lines[i][:cut]
    elif m.kind == "duplicate_line":
        lines.insert(i, lines[i])
    elif m.kind == "drop_line":
        del lines[i]
    elif m.kind == "field":
        lines = _replace_field(lines, m, jsonl)
    return b"\n".join(lines)


KINDS = ("flip", "truncate_line", "duplicate_line", "drop_line", "field", "field", "field", "cr_only", "utf16",
         "latin1", "deep_json")

mutations = st.builds(
    Mutation,
    file=st.sampled_from(FILES),
    kind=st.sampled_from(KINDS),
    a=st.integers(0, 1 << 20),
    b=st.integers(0, 1 << 16),
    value=st.sampled_from(HOSTILE) | st.text(max_size=30) | st.sampled_from(HOSTILE).map(lambda v: f" {v} "),
)


@dataclass(frozen=True)
class Outcome:
    code: int | str
    stderr: str
    seconds: float
    unchanged: bool


def snapshot(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the data tables (sorted), read without taking the store's write lock for long."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in DATA_TABLES if t in have}
    finally:
        con.close()


def run_cli(args: list[str]) -> tuple[int | str, str, str]:
    """``fusioncell ARGS`` through the CLI entry point, in process: (exit code, stdout, stderr).

    An exception escaping ``main()`` (a traceback) comes back as the code ``"traceback: <type>: <msg>"``.
    """
    from fusioncell import cli

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["fusioncell", *args]
    code: int | str = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - the finding itself
        code = f"traceback: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def run_mutation(m: Mutation, base_case: Path, base_store: Path, work: Path) -> Outcome:
    """Copy the ingested case, apply ``m``, ingest through the CLI, and say what happened."""
    case, store = work / "case", work / "case.duckdb"
    shutil.copytree(base_case, case)
    shutil.copy(base_store, store)
    before = snapshot(store)
    m.apply(case)
    t0 = time.perf_counter()
    code, _out, err = run_cli(["ingest", str(case), "--store", str(store)])
    seconds = time.perf_counter() - t0
    unchanged = snapshot(store) == before if code == 2 else True
    return Outcome(code, err, seconds, unchanged)


def violations(o: Outcome) -> list[str]:
    """What is wrong with an outcome (empty when it is one of the two allowed)."""
    bad = []
    if o.code not in (0, 2):
        bad.append(f"exit {o.code!r}")
    if "Traceback" in o.stderr:
        bad.append("a traceback on stderr")
    if o.code == 2:
        lines = o.stderr.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith("fusioncell: error: "):
            bad.append(f"not one error line: {o.stderr[:300]!r}")
        if not o.unchanged:
            bad.append("the store changed although ingest was refused")
    if o.seconds > TIME_BOUND_S:
        bad.append(f"took {o.seconds:.0f} s")
    return bad
