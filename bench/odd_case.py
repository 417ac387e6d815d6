"""Write the odd case session 18 compared stores on: a simulated case with its numbers re-spelled, two bad
rows, and a later 500-row delivery with five self-calls.

``OUT/odd`` is ``fusioncell simulate --seed 7`` with ``comms.csv``'s Mexican numbers spelled five ways in turn
(``33 1234 5678``, ``(33) 1234-5678``, ``0052…``, ``+52 …``, E.164), a negative duration (line 12) and an
unparseable time (line 22): ingest it with ``--quarantine`` (2 rows set aside; strict mode refuses it), then
copy ``OUT/day.csv`` into it as ``comms-2025-10-01.csv`` and ingest again (an append). ``OUT/oddtimes``
(:func:`write_odd_times`) has legal times in seven spellings and its day file ``OUT/oddtimes-day.csv``.

Usage::

    PYTHONPATH=. .venv/bin/python bench/odd_case.py /tmp/odd     # then bench/store_diff.py on each tree's stores
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
from pathlib import Path


def respell(number: str, k: int) -> str:
    """One of five spellings of an E.164 Mexican number (others unchanged)."""
    if not number.startswith("+52"):
        return number
    d = number[3:]
    return [f"{d[:2]} {d[2:6]} {d[6:]}", f"({d[:2]}) {d[2:6]}-{d[6:]}", "0052" + d, "+52 " + d, number][k % 5]


def write(out: Path) -> None:
    sim, odd = out / "sim7", out / "odd"
    if not sim.exists():
        subprocess.run([sys.executable, "-m", "fusioncell.cli", "simulate", str(sim), "--seed", "7"], check=True)
    shutil.rmtree(odd, ignore_errors=True)
    shutil.copytree(sim, odd)
    with (odd / "comms.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    ci, ce, di, si = head.index("caller"), head.index("callee"), head.index("duration_s"), head.index("start")
    for i, r in enumerate(body):
        r[ci], r[ce] = respell(r[ci], i), respell(r[ce], i // 3)
    body[10][di] = "-5"
    body[20][si] = "yesterday"
    with (odd / "comms.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head] + body)
    day = [list(r) for r in body[-500:]]
    for i, r in enumerate(day):
        r[0] = f"day-{i}"
        if i < 5:
            r[ce] = r[ci]  # self-calls
    with (out / "day.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head] + day)


def odd_time(t: str, k: int) -> str:
    """One of seven legal spellings of a canonical time ``YYYY-MM-DDTHH:MM:SS-06:00`` (others unchanged):
    as is, ``Z``, ``+00:00``, a fraction, a space for ``T``, another offset, no seconds (when they are 00)."""
    if len(t) != 25 or not t.endswith("-06:00"):
        return t
    return [t, t[:19] + "Z", t[:19] + "+00:00", t[:19] + ".5-06:00", t[:10] + " " + t[11:], t[:19] + "-05:00",
            t[:16] + "-06:00" if t[17:19] == "00" else t][k % 7]


def write_odd_times(out: Path) -> None:
    """``OUT/oddtimes``: ``OUT/sim7`` with every time of comms, locations and sightings (but the first of each
    file) spelled in turn one of seven legal ways (:func:`odd_time`; no row breaks a rule), and
    ``OUT/oddtimes-day.csv``: its last 300 calls again as a day's delivery with new ids (session 21)."""
    sim, odd = out / "sim7", out / "oddtimes"
    shutil.rmtree(odd, ignore_errors=True)
    shutil.copytree(sim, odd)
    for name, col in (("comms.csv", "start"), ("locations.csv", "observed"), ("sightings.csv", "observed")):
        with (odd / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        ti = rows[0].index(col)
        for i, r in enumerate(rows[2:]):
            r[ti] = odd_time(r[ti], i + 1)
        with (odd / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        if name == "comms.csv":
            day = [list(r) for r in rows[-300:]]
            for i, r in enumerate(day):
                r[0] = f"day-{i}"
            with (out / "oddtimes-day.csv").open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerows([rows[0]] + day)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    write(ap.parse_args().out)
    write_odd_times(ap.parse_args().out)
