"""The duplicate flag's parts are run only when they can find something (issue #14, round 9): a first delivery
has no older rows, a delivery without repeated content no repeats. The flagged rows are pinned for each case."""

from __future__ import annotations

from pathlib import Path

from casefolder import CaseFolder, at
from fusioncell.ingest import ingest_case
from fusioncell.ingest.flags import _duplicates_sql, _has_older, _repeated_hashes
from fusioncell.store import CaseStore

T, P, C = "+523311110001", "+523322220002", "+523333330003"


def _dups(cs: CaseStore) -> list[tuple[str, str, int]]:
    return cs.con.execute("SELECT tbl, delivery_id, line FROM row_flags WHERE flag = 'duplicate' "
                          "ORDER BY tbl, delivery_id, line").fetchall()


def test_first_delivery_repeats_within_it_are_flagged_after_the_first(tmp_path: Path) -> None:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.source("geo", "GEOINT")
    c.call(T, P, at(0, 21))                      # line 2: the first copy
    c.call(T, C, at(0, 22))                      # line 3
    c.call(T, P, at(0, 21))                      # line 4: a repeat of line 2
    c.call(T, P, at(0, 21))                      # line 5: and another
    c.fix(T, at(1, 9), 20.5, -103.3)             # locations line 2
    c.fix(T, at(1, 9), 20.5, -103.3)             # locations line 3: a repeat
    with CaseStore.open(tmp_path / "s.duckdb") as cs:
        ingest_case(c.write(tmp_path / "case"), cs)
        assert _dups(cs) == [("comms", "comms.csv", 4), ("comms", "comms.csv", 5),
                             ("locations", "locations.csv", 3)]
        assert not cs.con.execute("SELECT * FROM duckdb_tables() WHERE table_name LIKE '_fc_flag%'").fetchall()


def test_no_repeats_and_no_older_rows_flag_nothing_and_skip_both_parts(tmp_path: Path) -> None:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.call(T, P, at(0, 21))
    c.call(T, P, at(0, 22))
    with CaseStore.open(tmp_path / "s.duckdb") as cs:
        ingest_case(c.write(tmp_path / "case"), cs)
        assert _dups(cs) == []
        con = cs.con
        con.execute("CREATE TEMP TABLE _fc_flag_new AS SELECT delivery_id FROM deliveries")
        assert _repeated_hashes(con, "comms") is False
        assert _has_older(con, "comms") is False
        con.execute("DELETE FROM _fc_flag_new WHERE delivery_id = 'comms.csv'")
        assert _has_older(con, "comms") is True  # comms.csv's rows are now another delivery's


def test_an_append_repeating_an_older_row_only(tmp_path: Path) -> None:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    c.call(T, P, at(0, 21))
    c.call(T, C, at(0, 22))
    folder = c.write(tmp_path / "case")
    with CaseStore.open(tmp_path / "s.duckdb") as cs:
        ingest_case(folder, cs)
    c.call(T, C, at(0, 22))                      # d1 line 2: a repeat of comms.csv line 3 (older)
    c.call(P, C, at(2, 8))                       # d1 line 3: new
    c.deliver(folder, "d1")
    with CaseStore.open(tmp_path / "s.duckdb") as cs:
        ingest_case(folder, cs)
        assert _dups(cs) == [("comms", "comms-d1.csv", 2)]


def test_the_sql_leaves_out_the_parts_that_cannot_find_anything() -> None:
    both = _duplicates_sql("comms")
    assert "o.delivery_id NOT IN" in both and "QUALIFY" in both
    assert "QUALIFY" not in _duplicates_sql("comms", old=True, repeats=False)
    assert "o.delivery_id NOT IN" not in _duplicates_sql("comms", old=False, repeats=True)


def test_repeated_hashes_are_exactly_those_seen_twice_or_more(tmp_path: Path) -> None:
    c = CaseFolder()
    c.source("cdr", "SIGINT")
    for k in range(5):
        c.call(T, P, at(0, 10 + k))              # five different calls ...
    c.call(T, P, at(0, 10))                      # ... the first twice more, the fourth once more
    c.call(T, P, at(0, 10))
    c.call(T, P, at(0, 13))
    with CaseStore.open(tmp_path / "s.duckdb") as cs:
        ingest_case(c.write(tmp_path / "case"), cs)
        con = cs.con
        con.execute("CREATE TEMP TABLE _fc_flag_new AS SELECT delivery_id FROM deliveries")
        assert _repeated_hashes(con, "comms") is True
        got = {r[0] for r in con.execute("SELECT h FROM _fc_flag_rep").fetchall()}
        want = {r[0] for r in con.execute("SELECT hash(caller, callee, start, channel, duration_s) h FROM comms "
                                          "GROUP BY h HAVING count(*) > 1").fetchall()}
        assert len(got) == 2 and got == want
        assert _dups(cs) == [("comms", "comms.csv", 7), ("comms", "comms.csv", 8), ("comms", "comms.csv", 9)]
