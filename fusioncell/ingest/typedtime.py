"""The typed time of the typed first read: a canonical time spelling read once, as an instant.

A delivery's times are almost always spelled ``YYYY-MM-DDTHH:MM:SS`` plus one offset (``-06:00``). The
string path reads such a value three times (the time's regular expression and a cast in the checks, a cast
and a LIKE in the insert) and stages it as 25 characters a row. Here the typed first read
(:func:`fusioncell.ingest.csvfiles.read_csv_file`) asks the reader to stage it typed instead
(``Engine.stage_csv``'s ``times``, :func:`fusioncell.store.engine.typed_time_sql`): a value is *canonical*
when ``strftime`` of what ``try_strptime`` read gives it back byte for byte and its year is 1900-2100; it is
staged as its UTC instant (:data:`~fusioncell.store.engine.TYPED_TIME` ``+ column``) and as NULL in the
column. Every other value stays in the column as written, and the checks and the insert read it exactly as
the string path does (a CASE per row: :func:`time_value`, :func:`raw_time`), so a ``Z``, a fraction, a
blank, hour 24 or another offset is checked, stored and kept as raw spelling as before.

Why the stored values are the string path's: a canonical value passes the string path's time check (its
year and offset are in range, its date and time exist: ``strptime`` read them), its instant is the cast's
(the offset subtracted from the written wall time; tested on times across 1900-2100 and every offset), and
its raw spelling is NULL exactly when the string path's ``canonical_time`` holds, i.e. when the offset is
the delivery's (``time_offset``; the typed read is given up when the first record's offset is not it).

``stage()`` of the typed read puts the exact spelling back in the column (the NULLs printed back from the
instant) for anything else that reads it; :func:`time_parts` gives the hot paths the staged pieces.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import ibis
import ibis.expr.types as ir

from fusioncell.store.engine import TIME_OFFSET, TYPED_TIME

#: the staged spelling of a typed time column when it is not canonical (NULL when it is)
ODD = "_fc_odd_"
#: that spelling's value as the checks read it (stripped or NULL when empty, like ``_v_``)
ODD_VALUE = "_fc_oddv_"


def canonical_offset(raw: object) -> str | None:
    """The offset of a time spelled ``YYYY-MM-DDTHH:MM:SS±HH:MM`` (shape only), else None."""
    if not isinstance(raw, str) or len(raw) != 25 or raw[10] != "T" or not TIME_OFFSET.fullmatch(raw[19:]):
        return None
    return raw[19:]


def first_offset(path: Path, names: Sequence[str], column: str) -> str | None:
    """The offset of ``column`` in the file's first record when spelled canonically (its line 2 read by
    Python's ``csv``: None when it does not decode or has another number of fields).

    It only chooses the format the reader tries; the typed read is given up unless the delivery's offset
    (``csvfiles._time_offset``, from the staged rows) is this one.
    """
    if column not in names or any(n.startswith("_fc_") for n in names):
        return None
    with path.open("rb") as fh:
        fh.readline(1 << 20)
        line = fh.readline(1 << 20)
    try:
        text = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    fields = next(csv.reader([text]), [])
    if len(fields) != len(names):
        return None
    return canonical_offset(fields[list(names).index(column)])


@dataclass(frozen=True, slots=True)
class TimeParts:
    """A typed time column's staged pieces: the instant of a canonical spelling (else NULL) and the checks'
    value of any other spelling (``odd_value``; NULL for a canonical one) and its text (``odd``)."""

    instant: ir.TimestampValue
    odd: ir.StringValue
    odd_value: ir.StringValue


def time_parts(t: ir.Table, name: str) -> TimeParts | None:
    """The pieces of ``name`` when ``t`` (``stage()`` of the typed read) stages it typed, else None."""
    if TYPED_TIME + name not in t.columns:
        return None
    return TimeParts(t[TYPED_TIME + name], t[ODD + name], t[ODD_VALUE + name])


def restore(t: ir.Table, offsets: dict[str, str]) -> ir.Table:
    """``t`` with each typed time column's spelling as written (``ODD``: the staged one, NULL when canonical;
    the column: that or, for a canonical one, its instant printed back with the offset)."""
    cols: dict[str, ir.Value] = {}
    for name, offset in offsets.items():
        instant = t[TYPED_TIME + name]
        sign = -1 if offset[0] == "-" else 1
        seconds = sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
        wall = (instant + ibis.interval(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S") + offset
        cols[ODD + name] = t[name]
        cols[name] = t[name].coalesce(wall)
    return t.mutate(**cols) if cols else t


def time_value(p: TimeParts, cast: ir.TimestampValue) -> ir.TimestampValue:
    """The stored instant: the staged one, else the string path's cast (``cast``) of the spelling."""
    return ibis.ifelse(p.instant.notnull(), p.instant, cast)


def raw_time(p: TimeParts, raw: ir.StringValue) -> ir.StringValue:
    """The stored raw spelling: NULL for a canonical one (the delivery's offset), else the string path's
    (``raw``, built on :attr:`TimeParts.odd`)."""
    return ibis.ifelse(p.instant.notnull(), ibis.null().cast("string"), raw)
