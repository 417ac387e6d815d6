"""What one streamed pass over a case file tells before any parser reads it: its hash and line shapes.

:func:`file_facts` hashes a file and counts its line-ending quirks, longest and most comma-laden line with
numpy per chunk; :func:`_facts` caches those facts in the store's ``file_stats`` table by size and mtime,
so an append reads the day's file, not every earlier delivery; :func:`shape_problems` turns them into
readable refusals.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fusioncell.errors import Problem

if TYPE_CHECKING:  # pragma: no cover
    from fusioncell.store.store import CaseStore


def sha256_of(path: Path) -> str:
    """Content hash of a file, streamed."""
    return file_facts(path).sha256


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What one streamed pass over a file tells: hash and line-ending quirks."""

    sha256: str
    #: Mixes ``\\r\\n`` and ``\\n`` line ends (DuckDB's reader refuses that).
    mixed_newlines: bool
    #: Has an empty line somewhere (the CSV reader skips it, shifting line numbers).
    blank_lines: bool
    #: Bytes in the longest line (a junk line of a million fields is refused before any parser sees it).
    longest_line: int = 0
    #: Line ends are a bare ``\r`` (old Mac files): no ``\n`` at all, but ``\r`` present.
    cr_only: bool = False
    #: 1-based number of the longest line.
    longest_line_no: int = 1
    #: Most commas on one physical line, and that line's number (a CSV junk line of 500,000 fields took
    #: DuckDB's reader minutes: refused before it is staged).
    most_commas: int = 0
    most_commas_line_no: int = 1
    #: A carriage return not followed by a line feed, in a file with LF or CRLF line ends.
    lone_cr: bool = False
    #: Some field may start or end with a space or tab: a space or tab next to a comma, a quote, a line end
    #: or the file's ends. False proves no field is padded, so ingest skips trimming (a fifth of its time).
    padded: bool = True
    #: Some byte is a double quote. False proves no field spans lines (only a quoted field may hold a line
    #: feed), so the checks skip looking for line feeds in every value. True when restored from the cache.
    quoted: bool = True
    #: No byte after the header line is ``_`` or a vertical tab and no two signs (``+``/``-``) are adjacent: proves that every value
    #: DuckDB reads as a finite DOUBLE is a plain decimal number of the format (its reader also takes ``1_000``,
    #: ``+-5`` and ``\v1``), so the number check needs no regular expression. False when restored from the cache.
    plain_numbers: bool = False
    #: No field (bytes between commas and line ends) longer than :data:`MAX_NUMBER_BYTES` is made only of bytes a
    #: number DuckDB reads can hold (digits, ``.``, ``e``, ``E``, signs, blanks): with ``quoted`` False, no number
    #: field is longer than the format allows, so numbers may be read as DOUBLE directly (their text is never seen).
    #: False when restored from the cache.
    short_numbers: bool = False
    #: Physical lines (line feeds, plus an unfinished last line). 0 when restored from the cache.
    lines: int = 0


#: The longest line a case file may hold (a message transcript fits many times over).
MAX_LINE_BYTES = 1 << 20
#: Most commas one physical line of a CSV file may hold (quoted text included): a record of the case format
#: has a dozen fields; a line beyond this is junk, and DuckDB's reader is quadratic in it.
MAX_CSV_COMMAS = 4096


#: The longest number the case format takes (``csvfiles.MAX_NUMBER_CHARS``).
MAX_NUMBER_BYTES = 40
#: Bytes a value DuckDB reads as a finite DOUBLE may hold: digits, ``.``, ``e``, ``E``, ``+``, ``-`` and ASCII blanks
#: (``\t``, ``\v``, ``\f``, ``\r``, space; a line feed ends an unquoted field). Fuzzed against ``TRY_CAST`` and
#: the reader (docs/benchmarks.md, "Ingest speed, round 7").
_NUMBERISH = np.zeros(256, np.bool_)
_NUMBERISH[np.frombuffer(b"0123456789.eE+-\t\x0b\x0c\r ", np.uint8)] = True

#: Bytes :func:`file_facts` reads at a time (tests shrink it to cross chunk boundaries). 1 MiB: the chunk and
#: the pass's temporaries stay in the processor's caches; 4 MiB cost 15-20 % more CPU (2.4-2.8 against 2.2-2.3 s
#: per 10M call records, docs/benchmarks.md, session 18).
FACTS_CHUNK = 1 << 20


#: A file of at least this many bytes is counted in two parts at once (a thread each; numpy and hashlib let go of
#: the interpreter while they work) while a third thread hashes it, when a processor core is spare
#: (:func:`_spare_core`): the pass is single-threaded otherwise (tests shrink it to split tiny files).
FACTS_PARALLEL_BYTES = 32 << 20


@dataclass
class _Part:
    """What :func:`_count_part` found in a run of whole lines of a file (counts, and the longest / most
    comma-laden line with its 1-based number inside the part)."""

    crlf: int = 0
    lf: int = 0
    blank: int = 0
    cr: int = 0
    quotes: int = 0
    longest: int = 0
    longest_at: int = 1
    commas: int = 0
    commas_at: int = 1
    padded: bool = False
    odd_numbers: bool = False
    long_num: bool = False
    #: the part's last byte (10 at a file's start: it reads as a line start)
    last: int = 10


def file_facts(path: Path) -> FileFacts:
    """Hash a file and note its line-ending quirks, longest and most comma-laden line, in one streamed pass.

    Everything is counted with numpy per 1 MiB chunk (no Python loop over lines). A file of at least
    :data:`FACTS_PARALLEL_BYTES` is counted in two parts split after a line feed (the parts' counts add up to the
    whole file's, exactly: a line never straddles the split), beside the hash, in threads, when a core is spare.
    """
    size = path.stat().st_size
    split = _split_point(path, size) if size >= FACTS_PARALLEL_BYTES and _spare_core() else None
    if split is None:
        h = hashlib.sha256()
        part = _count_part(path, 0, None, h)
        return _facts_of([part], h.hexdigest())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        digest = pool.submit(_sha256_stream, path)
        first = pool.submit(_count_part, path, 0, split)
        second = _count_part(path, split, size)
        return _facts_of([first.result(), second], digest.result())


def _spare_core() -> bool:
    """Whether a processor core is idle (the last minute's load average below the cores less one).

    The threads only shorten the pass when a core is free for them; on a machine busy with other work they
    cost 5-7 % more CPU for no gain in time (10M call records: 2.3-2.5 against 2.2-2.3 CPU s, the same wall
    time; docs/benchmarks.md, session 18).
    """
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover (no load average on this system)
        return False
    return cores >= 2 and load <= cores - 1


def _sha256_stream(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(FACTS_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _split_point(path: Path, size: int) -> int | None:
    """The offset just after the first line feed at or past the middle of the file (None when there is none
    within :data:`MAX_LINE_BYTES` of it, or it ends the file: the file is counted in one part)."""
    mid = size // 2
    with path.open("rb") as fh:
        fh.seek(mid)
        block = fh.read(MAX_LINE_BYTES + 1)
    at = block.find(b"\n")
    if at < 0 or mid + at + 1 >= size:
        return None
    return mid + at + 1


def _facts_of(parts: list[_Part], digest: str) -> FileFacts:
    """The facts of a file from those of its parts, in file order (each part but the last ends with a line feed;
    line numbers in a later part follow the earlier parts' line feeds)."""
    total = _Part()
    lines_before = 0
    for p in parts:
        total.crlf += p.crlf
        total.cr += p.cr
        total.quotes += p.quotes
        total.blank += p.blank
        if p.longest > total.longest:  # the first of equal lines wins, as in one pass
            total.longest, total.longest_at = p.longest, lines_before + p.longest_at
        if p.commas > total.commas:
            total.commas, total.commas_at = p.commas, lines_before + p.commas_at
        total.padded = total.padded or p.padded
        total.odd_numbers = total.odd_numbers or p.odd_numbers
        total.long_num = total.long_num or p.long_num
        lines_before += p.lf
        total.last = p.last
    crlf, lf, last = total.crlf, lines_before, total.last
    return FileFacts(digest, 0 < crlf < lf, total.blank > 0, total.longest, total.cr > 0 and lf == 0,
                     total.longest_at, total.commas, total.commas_at, total.cr > crlf, total.padded,
                     total.quotes > 0, not total.odd_numbers, not total.long_num, lf + (last != 10))


def _count_part(path: Path, start: int, stop: int | None, h: Any = None) -> _Part:
    """Count bytes ``start .. stop`` of a file (``start`` 0 or just after a line feed; ``stop`` just after a line
    feed, or None: to the file's end), hashing them into ``h`` (a ``hashlib`` hash) when given."""
    out = _Part()
    b1 = b2 = 0  # the two bytes before the chunk (none at the file's start)
    carry = carry_commas = 0
    lines_before = 0  # complete lines before this chunk
    last = 10  # the byte before the chunk, for padding (the file's start reads as a line start)
    in_header = start == 0  # a later part starts after a line feed: past the header line
    field = (0, True)  # the unfinished field at the last chunk's end: its bytes, and whether all are number bytes
    with path.open("rb") as fh:
        if start:
            fh.seek(start - 2 if start >= 2 else 0)
            before = fh.read(start - fh.tell())
            b2, b1 = (before[0], before[1]) if len(before) == 2 else (0, before[0])
            last = b1
        left = -1 if stop is None else stop - start
        while left:
            chunk = fh.read(FACTS_CHUNK if left < 0 else min(FACTS_CHUNK, left))
            if not chunk:
                break
            left = left if left < 0 else left - len(chunk)
            if h is not None:
                h.update(chunk)
            arr = np.frombuffer(chunk, np.uint8)
            # (numpy counts a byte in a quarter of the time bytes.count takes)
            n_cr, n_quotes = int(np.count_nonzero(arr == 13)), int(np.count_nonzero(arr == 34))
            out.cr, out.quotes = out.cr + n_cr, out.quotes + n_quotes
            # every comma and line feed, found once: the line feeds, the commas per line, the fields' lengths
            # and the bytes next to a field's ends are read from these positions (one mask, not four)
            ends = np.flatnonzero((arr == 44) | (arr == 10))
            is_nl = arr[ends] == 10
            if not out.odd_numbers:  # the header line is names, not numbers ('duration_s'): skipped
                first = 0
                if in_header:
                    end = chunk.find(b"\n")
                    in_header = end < 0
                    first = len(chunk) if in_header else end + 1
                out.odd_numbers = _odd_numbers(chunk, arr, first, 10 if first else last)
            if not out.long_num:
                out.long_num, field = _long_number(arr, field, ends)
            nl_at = np.flatnonzero(is_nl)
            nl = ends[nl_at]
            out.lf += int(nl.size)
            # the byte before each line feed, and the one before that (from the last chunk near its start):
            # "\r\n" is a CRLF end, "\n\n" and "\n\r\n" a blank line
            one = np.where(nl >= 1, arr[np.maximum(nl - 1, 0)], b1)
            two = np.where(nl >= 2, arr[np.maximum(nl - 2, 0)], np.where(nl == 1, b1, b2))
            out.crlf += int(np.count_nonzero(one == 13))
            out.blank += int(np.count_nonzero((one == 10) | ((one == 13) & (two == 10))))
            b2, b1 = (int(arr[-2]), int(arr[-1])) if arr.size >= 2 else (b1, int(arr[-1]))
            if not out.padded:  # a space or tab that ended the last chunk is judged by this one's first byte
                out.padded = ((last in (32, 9) and int(arr[0]) in (44, 10, 13, 34))
                              or _padded(arr, last, ends, n_cr + n_quotes > 0))
            last = int(arr[-1])
            # commas per line: those before each line feed (its index among the ends less the line feeds before
            # it), differenced; the last entry is the unfinished line
            upto = np.append(nl_at - np.arange(nl_at.size), ends.size - nl_at.size)
            per_line = np.diff(upto, prepend=0)
            per_line[0] += carry_commas
            if nl.size:
                lengths = np.diff(np.concatenate(([-1], nl))) - 1
                lengths[0] += carry
                i = int(lengths.argmax())
                if lengths[i] > out.longest:
                    out.longest, out.longest_at = int(lengths[i]), lines_before + i + 1
                j = int(per_line[:-1].argmax())
                if per_line[j] > out.commas:
                    out.commas, out.commas_at = int(per_line[j]), lines_before + j + 1
                carry = len(chunk) - int(nl[-1]) - 1
                carry_commas = int(per_line[-1])
                lines_before += int(nl.size)
            else:
                carry += len(chunk)
                carry_commas = int(per_line[0])
    out.last = last
    # the part's unfinished last line (only the file's last part has one): a space or tab, a number field at its end
    out.padded = out.padded or last in (32, 9)
    out.long_num = out.long_num or (field[0] > MAX_NUMBER_BYTES and field[1])
    if carry > out.longest:
        out.longest, out.longest_at = carry, lines_before + 1
    if carry_commas > out.commas:
        out.commas, out.commas_at = carry_commas, lines_before + 1
    return out


def _odd_numbers(chunk: bytes, arr: "np.ndarray[Any, Any]", start: int, before: int) -> bool:
    """Whether ``chunk[start:]`` holds a ``_``, a vertical tab or two adjacent signs (``before``: the byte before).

    ``in`` finds the single bytes at memchr speed; a two-byte search for each pair of signs cost ~1 CPU s
    per 250 MB (signs are everywhere in times and coordinates), a numpy mask of the signs ~0.07 s.
    """
    if start >= len(chunk):
        return False
    body = chunk if start == 0 else chunk[start:]
    if b"_" in body or b"\x0b" in body:
        return True
    a = arr[start:]
    sign = (a == 43) | (a == 45)
    return bool(sign[0] and before in (43, 45)) or bool(np.any(sign[1:] & sign[:-1]))


def _long_number(arr: "np.ndarray[Any, Any]", field: tuple[int, bool],
                 ends: "np.ndarray[Any, Any] | None" = None) -> tuple[bool, tuple[int, bool]]:
    """Whether a field (between commas and line feeds) of more than :data:`MAX_NUMBER_BYTES` bytes, all of them
    number bytes (:data:`_NUMBERISH`), ends in ``arr``; and the unfinished field at its end (``field``: the one
    before it, its length and whether all its bytes are number bytes); ``ends``: the positions of its commas and
    line feeds, when the caller has them.

    Only fields longer than the bound are looked at byte by byte (a text column of long messages); the
    delimiter mask costs ~0.1 CPU s per 250 MB.
    """
    if ends is None:
        ends = np.flatnonzero((arr == 44) | (arr == 10))
    if not ends.size:
        return False, (field[0] + arr.size, field[1] and bool(_NUMBERISH[arr].all()))
    first = int(ends[0])
    if field[0] + first > MAX_NUMBER_BYTES and field[1] and bool(_NUMBERISH[arr[:first]].all()):
        return True, field
    lengths = np.diff(ends) - 1
    long = np.flatnonzero(lengths > MAX_NUMBER_BYTES)
    if long.size:
        starts, stops = ends[long] + 1, ends[long + 1]
        other = ~_NUMBERISH[arr]
        # any byte that is not a number byte in each long field: reduce over [start, stop) pairs
        bounds = np.ravel(np.column_stack((starts, stops)))  # increasing, each inside arr (stops are delimiters)
        has_other = np.logical_or.reduceat(other, bounds)[::2]
        if not bool(has_other.all()):
            return True, field
    tail = arr[int(ends[-1]) + 1:]
    return False, (int(tail.size), bool(_NUMBERISH[tail].all()))


def _padded(arr: "np.ndarray[Any, Any]", before: int, ends: "np.ndarray[Any, Any] | None" = None,
            odd: bool = True) -> bool:
    """Whether a space or tab in ``arr`` touches a field's start or end (``before``: the byte before ``arr``).

    Conservative: a space after a quote inside a quoted text counts too. A space or tab at the chunk's
    end is judged by the caller with the next chunk's first byte (as ``before``) or the file's end.
    Looked at from the delimiters' side: the byte after each comma, line feed or quote, and the one before
    each of those or a carriage return (``ends``: the commas and line feeds, when the caller has them;
    ``odd=False``: the chunk holds no quote and no carriage return). A delimiter is one byte in ten of a
    case file, a space often one in five (``33 1234 5678``): 0.1 CPU s per 250 MB against 0.3.
    """
    if int(arr[0]) in (32, 9) and before in (44, 10, 34):
        return True
    if ends is None:
        ends = np.flatnonzero((arr == 44) | (arr == 10))
    quotes = np.flatnonzero(arr == 34) if odd else ends[:0]
    crs = np.flatnonzero(arr == 13) if odd else ends[:0]
    for pos, step in ((ends, 1), (quotes, 1), (ends, -1), (quotes, -1), (crs, -1)):
        # a field starts after a comma, line feed or quote, and ends before one or a CR; only the first
        # (last) position can fall outside the chunk (the caller judges that byte with the next chunk)
        if step < 0 and pos.size and pos[0] == 0:
            pos = pos[1:]
        elif step > 0 and pos.size and pos[-1] == arr.size - 1:
            pos = pos[:-1]
        if pos.size:
            near = arr[pos + step]
            if bool(((near == 32) | (near == 9)).any()):
                return True
    return False


def first_lone_cr_line(path: Path) -> int | None:
    """The 1-based line holding the first carriage return not followed by a line feed (error path only)."""
    line, prev_cr = 1, False
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            if prev_cr and not chunk.startswith(b"\n"):
                return line
            arr = np.frombuffer(chunk, np.uint8)
            crs = np.flatnonzero(arr == 13)
            nxt = np.append(arr, 10)[crs + 1]  # a CR at the chunk's end is judged with the next chunk
            lone = crs[(nxt != 10) & (crs + 1 < len(arr))]
            if lone.size:
                return line + int(np.count_nonzero(arr[: int(lone[0])] == 10))
            prev_cr = bool(len(arr)) and arr[-1] == 13
            line += int(np.count_nonzero(arr == 10))
    return line if prev_cr else None


FILE_STATS_DDL = """CREATE TABLE IF NOT EXISTS file_stats (
    file VARCHAR PRIMARY KEY, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL, sha256 VARCHAR NOT NULL,
    mixed_newlines BOOLEAN, blank_lines BOOLEAN, longest_line BIGINT, cr_only BOOLEAN, hashed_ns BIGINT,
    longest_line_no BIGINT, most_commas BIGINT, most_commas_line_no BIGINT, lone_cr BOOLEAN)"""
#: A file modified less than this before it was hashed is hashed again next time (git's "racy" rule:
#: an edit in the same mtime tick as the recorded one would otherwise go unseen).
RACY_NS = 2_000_000_000


def _facts(store: "CaseStore", folder: Path, names: list[str]) -> dict[str, FileFacts]:
    """:func:`file_facts` of each file, reusing what the last ingest found for a file whose size and
    modification time (ns) are unchanged: an append reads the day's file, not every earlier delivery."""
    con = store.con
    con.execute(FILE_STATS_DDL)
    con.execute("ALTER TABLE file_stats ADD COLUMN IF NOT EXISTS padded BOOLEAN")  # stores made before it: NULL
    known = {r[0]: r[1:] for r in con.execute("SELECT * FROM file_stats").fetchall()}
    out: dict[str, FileFacts] = {}
    fresh = []
    for name in names:
        st = (folder / name).stat()
        k = known.get(name)
        if k is not None and k[0] == st.st_size and k[1] == st.st_mtime_ns and st.st_mtime_ns < (k[7] or 0) - RACY_NS:
            out[name] = FileFacts(k[2], bool(k[3]), bool(k[4]), int(k[5] or 0), bool(k[6]), int(k[8] or 1),
                                  int(k[9] or 0), int(k[10] or 1), bool(k[11]), k[12] is not False)
            continue
        out[name] = file_facts(folder / name)
        x = out[name]
        fresh.append([name, st.st_size, st.st_mtime_ns, x.sha256, x.mixed_newlines, x.blank_lines,
                      x.longest_line, x.cr_only, time.time_ns(), x.longest_line_no, x.most_commas,
                      x.most_commas_line_no, x.lone_cr, x.padded])
    if fresh:
        con.executemany("INSERT OR REPLACE INTO file_stats (file, size, mtime_ns, sha256, mixed_newlines, "
                        "blank_lines, longest_line, cr_only, hashed_ns, longest_line_no, most_commas, "
                        "most_commas_line_no, lone_cr, padded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", fresh)
    return out


def shape_problems(facts: dict[str, FileFacts], folder: Path | None = None) -> list[Problem]:
    """Line-ending and line-length problems found by :func:`file_facts`."""
    out = []
    for f, x in facts.items():
        if x.cr_only:
            out.append(Problem(f, 1, None, "lines end with a bare carriage return (CR only); save the file with "
                                           "LF or CRLF line ends"))
        elif x.lone_cr and f.endswith(".csv"):  # DuckDB's reader fails on it, aborting the transaction
            line = first_lone_cr_line(folder / f) if folder is not None else None
            out.append(Problem(f, line, None, "a bare carriage return (CR) not followed by a line feed; save the "
                                              "file with LF or CRLF line ends"))
        if x.longest_line > MAX_LINE_BYTES:
            out.append(Problem(f, x.longest_line_no, None, f"a line of {x.longest_line:,} bytes is longer than "
                                                           f"the {MAX_LINE_BYTES:,} a case file line may take"))
        elif f.endswith(".csv") and x.most_commas > MAX_CSV_COMMAS:
            out.append(Problem(f, x.most_commas_line_no, None, f"a line of {x.most_commas + 1:,} fields (commas) is "
                                                               f"more than the {MAX_CSV_COMMAS:,} a case file line "
                                                               "may take"))
    return out
