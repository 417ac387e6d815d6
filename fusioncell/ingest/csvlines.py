"""Exact physical lines of a CSV file's records, by re-reading the file (error and blank-line paths only).

DuckDB's reader numbers the records it accepted: blank lines and refused records do not count and a
quoted field may span lines, so only a re-read with Python's csv module maps a record back to its line.
"""

from __future__ import annotations

import csv
from array import array
from pathlib import Path
from typing import Iterable


def record_lines(path: Path, rows: Iterable[int], rejected_lines: Iterable[int] = ()) -> dict[int, int]:
    """Exact 1-based line numbers of staged records (by 0-based record index).

    The staged record index counts the records the CSV reader accepted (blank
    lines and refused records do not count; a quoted field may span lines), so
    the only exact way back to a line is to re-read the file. This runs on the
    error path only and streams the file.
    """
    wanted = set(rows)
    rejected = set(rejected_lines)
    if not wanted:
        return {}
    out: dict[int, int] = {}
    top = max(wanted)
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        start = 1
        index = -1
        header_done = False
        for rec in reader:
            line = start
            start = reader.line_num + 1
            if not header_done:
                header_done = True
                continue
            if not rec or line in rejected:
                continue
            index += 1
            if index in wanted:
                out[index] = line
                if index >= top:
                    break
    return out


def all_record_lines(path: Path, rejected_lines: Iterable[int] = ()) -> "array[int]":
    """The start line of every accepted record, in order (8 bytes a record, streamed)."""
    rejected = set(rejected_lines)
    out: array[int] = array("q")
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        start = 1
        first = True
        for rec in reader:
            line = start
            start = reader.line_num + 1
            if first:
                first = False
                continue
            if rec and line not in rejected:
                out.append(line)
    return out
