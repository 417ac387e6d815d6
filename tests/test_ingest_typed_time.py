"""The typed time of the typed first read (fusioncell.ingest.typedtime).

A time spelled exactly ``YYYY-MM-DDTHH:MM:SS`` plus the first record's offset is staged as its instant; any
other spelling stays a string and takes the string path's checks and expressions, row by row. The reference
for every stored value and message is the string path itself: the same case ingested with the typed time
turned off (``first_offset`` answering None, i.e. main's reading of the time column).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

import fusioncell.ingest.csvfiles as csvfiles
from casefolder import CaseFolder, at
from fusioncell.errors import InvalidCase
from fusioncell.ingest import ingest_case
from fusioncell.ingest.pipeline import rejects
from fusioncell.ingest.typedtime import canonical_offset, first_offset
from fusioncell.store import CaseStore
from fusioncell.store.engine import TYPED_TIME, DuckDBEngine, typed_time_sql

CANON = "2026-02-02T10:00:00-06:00"


@pytest.fixture
def staged_times(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, str]]]:
    """Every CSV staging of the ingest: (file name, the time columns staged typed and their offset)."""
    calls: list[tuple[str, dict[str, str]]] = []
    real = DuckDBEngine.stage_csv

    def spy(self: DuckDBEngine, path: Path, columns: Any, mixed_newlines: bool = False, name: str | None = None,
            doubles: Any = (), times: Any = None) -> Any:
        calls.append((Path(path).name, dict(times or {})))
        return real(self, path, columns, mixed_newlines, name, doubles, times)

    monkeypatch.setattr(DuckDBEngine, "stage_csv", spy)
    return calls


def _case(folder: Path, times: list[str], kind: str = "comms") -> Path:
    """Three rows (calls, fixes or sightings) at ``times`` (as spelled), written as delivered."""
    cf = CaseFolder()
    cf.source("cdr", "SIGINT")
    for i in range(len(times)):
        if kind == "comms":
            cf.call("+523311110000", f"+52331111000{i + 1}", at(0, 9 + i), cell=(20.67, -103.35), duration_s=60 + i)
        elif kind == "locations":
            cf.fix("+523311110000", at(0, 9 + i), 20.67, -103.35, source_id="cdr")
        else:
            cf.sighting("plate:JAL-1234", at(0, 9 + i), 20.67, -103.35, 0.9, source_id="cdr")
    for row, t in zip(cf.rows[f"{kind}.csv"], times):
        row["start" if kind == "comms" else "observed"] = t
    return cf.write(folder)


def _ingest(case: Path, store_path: Path, quarantine: bool = False) -> tuple[Any, ...]:
    """What the store holds after ingesting ``case``: the time columns of every row, the rejects, the
    delivery's offset; or the problems of a refusal."""
    try:
        with CaseStore.open(store_path, folder=case) as cs:
            ingest_case(case, cs, quarantine=quarantine)
            out = []
            for table, col in (("comms", "start"), ("locations", "observed"), ("sightings", "observed")):
                out.append(cs.con.execute(f"SELECT event_id, {col}, {col}_raw, line FROM {table} ORDER BY line")
                           .fetchall())
            rej = [(r["file"], r["line"], r["field"], r["rule"], r["raw"]) for r in rejects(cs)]
            offsets = cs.con.execute("SELECT delivery_id, time_offset FROM raw_time_offsets ORDER BY 1").fetchall()
        return ("loaded", out, rej, offsets)
    except InvalidCase as exc:
        return ("refused", [(p.file, p.line, p.column, p.message) for p in exc.problems])


def _both(tmp_path: Path, times: list[str], monkeypatch: pytest.MonkeyPatch, kind: str = "comms",
          quarantine: bool = False) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The case ingested by this tree, then with the time read as strings (the reference)."""
    case = _case(tmp_path / "case", times, kind)
    typed = _ingest(case, tmp_path / "typed.duckdb", quarantine)
    with monkeypatch.context() as m:
        m.setattr(csvfiles, "first_offset", lambda *a: None)
        strings = _ingest(case, tmp_path / "strings.duckdb", quarantine)
    return typed, strings


# Spellings a delivery holds on its second record (the first and third are canonical, -06:00): each is
# legal and kept as written (raw), or refused with the string path's message.
LEGAL = [
    "2026-02-02T16:00:00Z",  # Z
    "2026-02-02T16:00:00+00:00",
    "2026-02-02T17:00:00+01:00",  # another offset
    "2026-02-02T10:00:00-05:00",  # another offset, same shape: canonical shape, not the delivery's offset
    "2026-02-02T10:00:00.5-06:00",  # a fraction
    "2026-02-02T10:00-06:00",  # no seconds
    "2026-02-02 10:00:00-06:00",  # a space for T
    "2026-02-02T24:00:00-06:00",  # hour 24: the next day's 00
    "2026-02-02T10:00:00-0600",
    "2026-02-02T10:00:00-06",
    "2026-02-02T10:00:00+14:00",
    "2026-02-02T10:00:00-06:00 ",  # padded: no typed read at all
    "\t2026-02-02T10:00:00-06:00",
]
REFUSED = [
    "2026-02-02t10:00:00-06:00",  # a lower-case t: the format's pattern takes it, DuckDB's cast does not
    "2026-02-02T10:00:00,25-06:00",  # a decimal comma: the format's pattern takes it, DuckDB's cast does not
    "2026-02-02T10:00:60-06:00",  # a leap second
    "2026-02-30T10:00:00-06:00",  # no such day
    "2026-2-02T10:00:00-06:00",  # a one-digit month (DuckDB's strptime reads it)
    "2026-02-02T1:00:00-06:00",
    "2026-02-02T10:00:00",  # no offset
    "2026-02-02",
    "2101-01-01T00:00:00-06:00",  # year beyond 2100
    "1899-12-31T23:59:59-06:00",
    "2026-02-02T10:00:00+14:30",
    "02026-02-02T10:00:00-06:00",
    "",
    "yesterday",
]


@pytest.mark.parametrize("odd", LEGAL + REFUSED)
def test_an_odd_spelling_is_stored_or_refused_as_the_string_path_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, staged_times: list[tuple[str, dict[str, str]]],
        odd: str) -> None:
    typed, strings = _both(tmp_path, [CANON, odd, "2026-02-02T11:00:00-06:00"], monkeypatch)
    assert typed == strings
    assert typed[0] == ("loaded" if odd in LEGAL else "refused")
    padded = odd != odd.strip()
    assert (("comms.csv", {"start": "-06:00"}) in staged_times) is not padded  # the typed read was tried
    if odd in LEGAL:
        comms = typed[1][0]
        assert [r[2] for r in comms] == [None, odd, None]  # the odd one kept as written, the canonical not
        assert typed[3] == [("comms.csv", "-06:00")]


@pytest.mark.parametrize("odd", ["2026-02-02T16:00:00Z", "2026-02-02T24:00:00-06:00", "2026-02-30T10:00:00-06:00",
                                 "2026-02-02T10:00:00"])
@pytest.mark.parametrize("kind", ["locations", "sightings"])
def test_fixes_and_sightings_read_their_time_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str,
                                                   kind: str) -> None:
    typed, strings = _both(tmp_path, [CANON, odd, "2026-02-02T11:00:00-06:00"], monkeypatch, kind)
    assert typed == strings


@pytest.mark.parametrize("odd", ["2026-02-30T10:00:00-06:00", "2026-02-02T10:00:60-06:00", "2026-2-02T10:00:00-06:00",
                                 "2026-02-02T10:00:00", "2101-01-01T00:00:00-06:00"])
def test_quarantine_sets_aside_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str) -> None:
    typed, strings = _both(tmp_path, [CANON, odd, "2026-02-02T11:00:00-06:00"], monkeypatch, quarantine=True)
    assert typed == strings
    assert [r[1] for r in typed[2]] == [3]


def test_refusals_keep_the_string_paths_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typed, _ = _both(tmp_path, [CANON, "2026-02-30T10:00:00-06:00", "2026-02-02T10:00:00"], monkeypatch)
    assert typed == ("refused", [
        ("comms.csv", 3, "start", "implausible time (year outside 1900-2100 or offset beyond ±14:00): "
                                  "'2026-02-30T10:00:00-06:00'"),
        ("comms.csv", 4, "start", "time without an offset: '2026-02-02T10:00:00' (write e.g. "
                                  "2026-01-12T18:00:00-06:00 or a trailing Z)"),
    ])


def test_a_clean_delivery_stages_its_times_typed_and_stores_them_as_the_cast(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, staged_times: list[tuple[str, dict[str, str]]]) -> None:
    times = [CANON, "1900-01-01T00:00:00-06:00", "2100-12-31T23:59:59-06:00"]
    typed, strings = _both(tmp_path, times, monkeypatch)
    assert typed == strings
    assert staged_times[:2] == [("sources.csv", {}), ("comms.csv", {"start": "-06:00"})]
    assert [c for c in staged_times if c[0] == "comms.csv"][1] == ("comms.csv", {})  # the reference run
    con = duckdb.connect()
    expected = [con.execute("SELECT CAST(? AS TIMESTAMPTZ)", [t]).fetchone()[0] for t in times]  # type: ignore[index]
    assert [r[1] for r in typed[1][0]] == expected
    assert [r[2] for r in typed[1][0]] == [None, None, None]


def test_a_first_record_in_another_spelling_keeps_the_string_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, staged_times: list[tuple[str, dict[str, str]]]) -> None:
    typed, strings = _both(tmp_path, ["2026-02-02T16:00:00Z", CANON, CANON.replace("10:", "11:")], monkeypatch)
    assert typed == strings
    assert ("comms.csv", {}) in staged_times and not any(t for f, t in staged_times if f == "comms.csv")
    assert [r[2] for r in typed[1][0]] == ["2026-02-02T16:00:00Z", CANON, CANON.replace("10:", "11:")]


def test_a_different_first_staged_offset_gives_the_typed_read_up(tmp_path: Path) -> None:
    """The offset tried comes from a peek at line 2; the delivery's offset from the staged rows: when they
    differ (a peek fooled, here by hand), the file is staged again as strings."""
    case = _case(tmp_path / "case", [CANON, CANON, CANON])
    store = CaseStore.memory()
    eng = DuckDBEngine(store.con)
    out = csvfiles._read_staged(case / "comms.csv", csvfiles.COMMS, eng, None, {"cdr"},
                                ["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee",
                                 "caller_lat", "caller_lon"], False, False, False, False, True, True,
                                doubles=("duration_s",), times={"start": "-05:00"})
    assert out is None
    out = csvfiles._read_staged(case / "comms.csv", csvfiles.COMMS, eng, None, {"cdr"},
                                ["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee",
                                 "caller_lat", "caller_lon"], False, False, False, False, True, True,
                                doubles=("duration_s",), times={"start": "-06:00"})
    assert out is not None and out.time_offset == "-06:00" and not out.problems


def test_first_offset_reads_line_two_only_when_plain(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    names = ["event_id", "start", "x"]
    for body, want in [(f"a,{CANON},1\n", "-06:00"), (f"a,{CANON},1\r\n", "-06:00"),
                       ("a,2026-02-02T10:00:00+14:00,1\n", "+14:00"), ("a,2026-02-02T10:00:00+14:30,1\n", None),
                       (f'"a",{CANON},""\n', "-06:00"), ('"a\n', None), (f"a,{CANON}\n", None), (f"a,{CANON},1,2\n", None),
                       ("a,2026-02-02T10:00:00Z,1\n", None), ("a,2026-02-02 10:00:00-06:00,1\n", None), ("", None)]:
        p.write_bytes(b"event_id,start,x\n" + body.encode())
        assert first_offset(p, names, "start") == want, body
    p.write_bytes(b"event_id,start,x\na," + CANON.encode() + b",\xff\n")
    assert first_offset(p, names, "start") is None
    p.write_bytes(b"event_id,start,_fc_x\na," + CANON.encode() + b",1\n")
    assert first_offset(p, ["event_id", "start", "_fc_x"], "start") is None  # a name like the staged ones
    assert canonical_offset(None) is None and canonical_offset(CANON) == "-06:00"


OFFSETS = ["-06:00", "+00:00", "-00:00", "+05:45", "-12:00", "+14:00", "-09:30", "+13:59"]


@pytest.mark.parametrize("offset", OFFSETS)
def test_the_staged_instant_is_the_cast_for_every_second_of_the_range(tmp_path: Path, offset: str) -> None:
    """400,000 canonical spellings across 1900-2100 (whole seconds, both ends, leap days), staged under a
    session time zone other than UTC: each staged instant equals CAST(spelling AS TIMESTAMPTZ)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/Mexico_City'")
    p = tmp_path / "t.csv"
    con.execute(f"""COPY (SELECT strftime(TIMESTAMP '1900-01-01' + to_seconds(CAST(x AS BIGINT)),
                                          '%Y-%m-%dT%H:%M:%S') || '{offset}' AS start
                          FROM (SELECT floor(random() * 6342451200) AS x FROM range(400000)
                                UNION ALL SELECT unnest([0, 6342451199, 3155673600, 4107542400 + 86399]))
                  ) TO '{p}' (HEADER)""")
    src = f"(SELECT start, start AS raw FROM read_csv('{p}', header = true, auto_detect = false, " \
          "columns = {'start': 'VARCHAR'}))"
    con.execute(f"CREATE TABLE s AS {typed_time_sql(src, {'start': offset})}")
    bad = con.execute(f"""SELECT count(*) FILTER (WHERE start IS NOT NULL),
                                 count(*) FILTER (WHERE {TYPED_TIME}start IS DISTINCT FROM CAST(raw AS TIMESTAMPTZ)),
                                 count(*) FROM s""").fetchone()
    assert bad == (0, 0, 400004)


def _mutations(seed: int, n: int) -> list[str]:
    """Canonical times (-06:00) with one to three characters replaced, inserted or deleted."""
    rng = random.Random(seed)
    alphabet = "0123456789 \t+-:T.Zt,"
    out = []
    for _ in range(n):
        s = list(f"{rng.randint(1890, 2110):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}T"
                 f"{rng.randint(0, 24):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 60):02d}-06:00")
        for _ in range(rng.randint(0, 3)):
            i, op = rng.randrange(len(s) + 1), rng.random()
            if op < 0.4 and i < len(s):
                s[i] = rng.choice(alphabet)
            elif op < 0.7:
                s.insert(i, rng.choice(alphabet))
            elif i < len(s):
                del s[i]
        out.append("".join(s))
    return out


def test_only_a_canonical_spelling_is_staged_typed(tmp_path: Path) -> None:
    """Fuzz: of 60,000 mutated spellings, those staged typed are exactly the ones matching the canonical
    pattern that the string path's time check accepts, each at the string path's instant; the others keep
    their spelling byte for byte (quoted, so blanks and tabs reach the reader)."""
    values = _mutations(21, 60_000)
    p = tmp_path / "t.csv"
    p.write_text("start\n" + "".join('"' + v + '"\n' for v in values), encoding="utf-8")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    src = (f"read_csv('{p}', header = true, auto_detect = false, columns = {{'start': 'VARCHAR'}}, quote = '\"', "
           "escape = '\"')")
    con.execute(f"CREATE TABLE s AS SELECT row_number() OVER () AS i, * FROM ({typed_time_sql(src, {'start': '-06:00'})})")
    con.register("v", __import__("pyarrow").table({"i": list(range(1, len(values) + 1)), "raw": values}))
    ok, canonical = csvfiles._TIME_OK, r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-06:00$"
    rows = con.execute(f"""SELECT count(*) FILTER (WHERE s.{TYPED_TIME}start IS NOT NULL),
        count(*) FILTER (WHERE (s.{TYPED_TIME}start IS NOT NULL) IS DISTINCT FROM
                               (regexp_matches(raw, '{canonical}') AND regexp_matches(raw, '{ok}')
                                AND TRY_CAST(raw AS TIMESTAMPTZ) IS NOT NULL AND substr(raw, 12, 2) <> '24')),
        count(*) FILTER (WHERE s.{TYPED_TIME}start IS DISTINCT FROM
                               CASE WHEN s.start IS NULL THEN CAST(raw AS TIMESTAMPTZ) END),
        count(*) FILTER (WHERE s.start IS DISTINCT FROM CASE WHEN s.{TYPED_TIME}start IS NULL THEN raw END)
        FROM s JOIN v USING (i)""").fetchone()
    assert rows is not None and rows[0] > 5_000 and rows[1:] == (0, 0, 0)
