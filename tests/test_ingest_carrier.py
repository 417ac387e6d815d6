"""Issue #14's user story end to end: a carrier-style file of 10,000 call records with 4 bad rows.

Strict refuses it and names ``--quarantine``; ``--quarantine`` loads the
9,996 good rows, sets the 4 aside whole (``rejects``, ``info``), and the case
is then usable by the analyses (``network``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from casefolder import CaseFolder, at

N = 10_000
BAD = (17, 2_500, 6_001, 9_998)  # 0-based record numbers with a negative duration: file lines + 2


def _carrier(tmp_path: Path) -> Path:
    cf = CaseFolder()
    cf.source("cdr", "SIGINT")
    phones = [f"+5233{1000_0000 + 7919 * k % 9000_0000:08d}" for k in range(400)]
    target = phones[0]
    cf.target_props = {"phone": [target]}
    for i in range(N):
        a, b = (target, phones[1 + i % 60]) if i % 3 == 0 else (phones[i % 400], phones[(7 * i + 1) % 400])
        if a == b:
            b = phones[(i + 5) % 400]
        cf.call(a, b, at(i // 400, (i % 400) * 0.05), cell=(20.67, -103.35), duration_s=30 + i % 500)
    for i in BAD:
        cf.rows["comms.csv"][i]["duration_s"] = -cf.rows["comms.csv"][i]["duration_s"]
    return cf.write(tmp_path / "carrier")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fusioncell.cli", *args], capture_output=True, text=True, timeout=300)


def test_a_carrier_file_with_four_bad_rows_end_to_end(tmp_path: Path) -> None:
    case = _carrier(tmp_path)
    strict = _cli("ingest", str(case))
    assert strict.returncode == 2
    err = strict.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in strict.stderr
    assert f"comms.csv:{BAD[0] + 2}" in err[0] and "duration_s" in err[0] and "--quarantine" in err[0]
    assert "3 more" in err[0]

    loaded = _cli("ingest", str(case), "--quarantine")
    assert loaded.returncode == 0, loaded.stderr
    assert "quarantined 4" in loaded.stdout + loaded.stderr

    rej = json.loads(_cli("rejects", str(case), "--format", "json").stdout)
    assert rej["n_rejects"] == 4
    rows = rej["rejects"]
    assert [(r["file"], r["line"], r["field"]) for r in rows] == [("comms.csv", i + 2, "duration_s") for i in BAD]
    lines = (case / "comms.csv").read_text(encoding="utf-8").splitlines()
    assert [r["raw"] for r in rows] == [lines[i + 1] for i in BAD]  # whole and unchanged

    info = json.loads(_cli("info", str(case), "--format", "json").stdout)
    assert info["quarantined"] == 4
    net = _cli("network", str(case), "--format", "json")
    assert net.returncode == 0, net.stderr
