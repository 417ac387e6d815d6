"""Does locate survive sensors that are not our simulator's? Partner-tracked cases, re-written.

    .venv/bin/python bench/locate_perturb.py --families baseline,sparse-coverage --difficulties normal \\
        --seeds 1000-1009 --variants all --json bench/out/perturb.json

An independent simulator (or a real carrier) writes the same case format with
other sensor habits: fixes every hour instead of every 10-20 minutes, an
``accuracy_m`` that is optimistic or pessimistic, call records without cell
positions, outages of hours, times written in UTC, or no handset fixes at all
(``cells-only``: tracking by call records' serving cells), or a partner whose
number a graded report gives (``her-number-reported``: in our worlds it is
often only inferred, which holds her places at 0.75). Four variants add what our
simulator never writes: lieutenants' cars parked at the decoys (``decoy-cars``), and sightings of him
(``him-sighted``: true ones and look-alikes at decoys; ``him-misidentified``: look-alikes only;
``him-seen-early``: seen at his first house early on, before a late move). Three name or observe her by
her entity id, which the format allows wherever an identifier may stand: ``partner-by-entity`` (reports
say ``partner_of ent-…``), ``tracker-on-her`` (her fixes under her entity id, not her number) and
``ids-restyled`` (every entity id re-spelled, which must change nothing); ``vehicle-by-entity`` names a
known vehicle in sightings by its entity id. A model that learnt our
simulator's habits breaks on those; one that reasons from the data's own
figures degrades gracefully. Each *variant* below re-writes the partner-tracked
case folder of bench/_cases.py (seeded, vectorised in DuckDB), ingests it into
a fresh store and runs ``locate``; the table gives per variant top-1 within
300 m, hit@3, the mean probability of the first answer, and the headline
**confident errors** (first answer wrong with p >= 0.8 / >= 0.9).

Session 19 (issue #12) adds tradecraft our simulator never writes: her handset left at *her* home on a
third to a half of her nights with him, her car read at his house the next morning on half of them
(``her-phone-home``); a new informant graded B2 or A2 placing him within 300-1000 m of a decoy in 2-3
reports in the last third of the period (``planted-b2``, ``planted-a2``), or the same B2 reports with a
look-alike "him" and a lieutenant's car at that decoy in the last days (``planted-campaign``); lieutenants'
night calls served by their decoy's mast on four nights in five (``decoy-nights``), or their handsets tracked
and located there (``decoy-nights-tracked``); true claims about his
first house whose ``valid_from`` / ``valid_to`` end at the move (``stale-claims``, moved cases only); and a
coverage hole (``hole``): every fix within twice the local tower spacing (at least 2 km) of his final house
dropped, and its calls served by the nearest mast beyond.

Session 25 adds ``lookalike-repeated`` (one imagery source reports "him" at the safe house his partner went
to most on three of the last four days, each time unsure) and ``her-decoy-last`` (a night out: on one of the
last three nights her handset sleeps at a safe house of his people while he stays put).

Variants combine with ``+`` (``--variants her-number-reported+planted-campaign+decoy-nights-tracked``
applies the three in that order to one case): a foreign world's deceptions come together, and a
confident error may need two of them at once (her number known lifts one hold, a planted report adds a
second source type at the decoy).

Three variants must change nothing (``utc``: every time re-written with offset
Z; ``shuffle``: rows in another order, event ids renamed; ``ids-restyled``): any difference
there is a bug, and the script says so.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cases import parse_seeds, partner_case  # noqa: E402
from accuracy import HIT_M, _err  # noqa: E402

from fusioncell.ingest import ingest_case  # noqa: E402
from fusioncell.infer.locate import load_model, locate  # noqa: E402
from fusioncell.infer.plan import plan  # noqa: E402
from fusioncell.spacetime.geo import haversine_sql  # noqa: E402
from fusioncell.store import CaseStore  # noqa: E402

PLAN = False  # --plan: also rank her numbers among plan's recommendations

_TS = "strftime(CAST({c} AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"


def _rewrite(path: Path, select: str) -> None:
    """Replace the CSV at ``path`` with ``select`` over it (``t`` = the file, every column text)."""
    if not path.exists():
        return
    tmp = path.with_suffix(".tmp.csv")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
    con.execute(f"COPY ({select}) TO '{tmp}' (HEADER, FORMAT csv, FORCE_QUOTE *)")
    con.close()
    tmp.replace(path)


def _fixes(keep: str) -> Callable[[Path, int], None]:
    def run(folder: Path, seed: int) -> None:
        _rewrite(folder / "locations.csv", f"SELECT * FROM t WHERE {keep.format(seed=seed)}")
    return run


def _accuracy(factor: float) -> Callable[[Path, int], None]:
    def run(folder: Path, seed: int) -> None:
        _rewrite(folder / "locations.csv",
                 f"SELECT * REPLACE (CAST(round(CAST(accuracy_m AS DOUBLE) * {factor}) AS BIGINT) AS accuracy_m) FROM t")
    return run


def _no_cells(folder: Path, seed: int) -> None:
    _rewrite(folder / "comms.csv", "SELECT * REPLACE (NULL AS caller_lat, NULL AS caller_lon, NULL AS callee_lat, "
                                   "NULL AS callee_lon) FROM t")


def _her_number_reported(folder: Path, seed: int) -> None:
    """A graded report (credibility 2, the best-graded informant of the case) gives her real number: in our
    worlds it is often only inferred, which holds her places at 0.75; elsewhere it may be known."""
    truth = json.loads((folder.parent / "truth.json").read_text(encoding="utf-8"))
    pid = truth["roles"]["partner"]
    person, phones = truth["persons"][pid], truth["persons"][pid]["phones"]
    names = {f"alias:{truth.get('aliases', {}).get(pid)}", person.get("entity_id")}
    reports = [json.loads(x) for x in (folder / "reports.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    named = [(r, c) for r in reports for c in r.get("claims", [])
             if c["predicate"] == "partner_of" and {c["subject"], c.get("object")} & names]
    if not phones or not named:
        return
    r, c = named[0]
    her = c["object"] if c["object"] in names else c["subject"]
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        humint = sorted((row["reliability"], row["source_id"]) for row in csv.DictReader(fh) if row["discipline"] == "HUMINT")
    reports.append({"report_id": "r-perturb-1", "source_id": humint[0][1] if humint else r["source_id"],
                    "reported": r["reported"],
                    "credibility": 2, "text": "su numero", "claims": [
                        {"subject": her, "predicate": "uses", "object": phones[0]["identifier"]}]})
    (folder / "reports.jsonl").write_text("".join(json.dumps(x) + "\n" for x in reports), encoding="utf-8")


def _utc(folder: Path, seed: int) -> None:
    for name, col in (("comms.csv", "start"), ("locations.csv", "observed"), ("sightings.csv", "observed")):
        _rewrite(folder / name, f"SELECT * REPLACE ({_TS.format(c=col)} AS {col}) FROM t")


def _shuffle(folder: Path, seed: int) -> None:
    for name, prefix in (("comms.csv", "x"), ("locations.csv", "y"), ("sightings.csv", "z")):
        _rewrite(folder / name, f"SELECT * REPLACE ('{prefix}' || hash(event_id, {seed}) AS event_id) FROM t "
                                f"ORDER BY hash(event_id, {seed} + 1)")


def _decoy_cars(folder: Path, seed: int) -> None:
    """Lieutenants' vehicles parked at the decoys (an independent simulator may do this; ours almost
    never does): each decoy gets a lieutenant's plate read on 2-3 days in the first 70 % of the period,
    then that plate is read at the *next* decoy on 1-2 of the last days — a household that seems to move,
    to a place where he never is. Daytime passes of the case's own imagery source."""
    import numpy as np
    truth = json.loads((folder.parent / "truth.json").read_text(encoding="utf-8"))
    decoys, lts = truth.get("decoys", []), truth["roles"].get("lieutenants", [])
    plates = [p for pid in lts for p in truth["persons"][pid].get("plates", [])[:1]]
    path = folder / "sightings.csv"
    if not decoys or not plates or not path.exists():
        return
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        imint = [r["source_id"] for r in csv.DictReader(fh) if r["discipline"] == "IMINT"]
    src = imint[0] if imint else (rows[0]["source_id"] if rows else None)
    if src is None:
        return
    rng = np.random.default_rng(seed + 7)
    start = np.datetime64(truth["start"][:19])
    days = int(truth["days"])
    offset = truth["start"][19:]
    def at(day: int, d: dict[str, Any], plate: str, n: int) -> None:
        t = start + np.timedelta64(int(day), "D") + np.timedelta64(int(rng.integers(9 * 3600, 16 * 3600)), "s")
        rows.append({"event_id": f"zdc{len(rows)}-{n}", "source_id": src, "observed": f"{str(t)[:19]}{offset}",
                     "lat": round(d["lat"] + rng.normal(0, 0.0002), 6), "lon": round(d["lon"] + rng.normal(0, 0.0002), 6),
                     "subject": plate, "confidence": round(float(rng.uniform(0.4, 0.9)), 2), "note": "UAV EO pass"})
    for i, d in enumerate(decoys):
        plate, nxt = plates[i % len(plates)], decoys[(i + 1) % len(decoys)]
        for n, day in enumerate(sorted(rng.choice(int(days * 0.7), size=min(3, int(rng.integers(2, 4))), replace=False))):
            at(day, d, plate, n)
        if _err(nxt["lat"], nxt["lon"], {"target_final": d}) >= 1000:
            for n, day in enumerate(sorted(rng.choice(range(days - 4, days), size=int(rng.integers(1, 3)), replace=False))):
                at(day, nxt, plate, 10 + n)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["event_id", "source_id", "observed", "lat", "lon",
                                                                         "subject", "confidence", "note"])
        w.writeheader()
        w.writerows(rows)


def _write_sightings(folder: Path, truth: dict[str, Any], rng: Any, picks: list[tuple[float, float, float, str, str]],
                     night: bool = False, conf: tuple[float, float] = (0.15, 0.7), exact: bool = False) -> None:
    """Append sightings ``(lat, lon, day, subject, note)`` from the case's own imagery source, by day (08-17) or
    ``night`` (22-04), confidence uniform in ``conf``; ``exact``: at ``day`` itself (a fraction of a day)."""
    import numpy as np
    path = folder / "sightings.csv"
    rows: list[dict[str, Any]] = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        imint = [r["source_id"] for r in csv.DictReader(fh) if r["discipline"] == "IMINT"]
    if not imint or not picks:
        return
    start, offset = np.datetime64(truth["start"][:19]), truth["start"][19:]
    hours = (22 * 3600, 28 * 3600) if night else (8 * 3600, 17 * 3600)
    for n, (lat, lon, day, subject, note) in enumerate(picks):
        t = (start + np.timedelta64(int(day * 86400), "s")).astype("datetime64[D]")
        t = t + np.timedelta64(int(rng.integers(*hours)), "s")
        if exact:
            t = start + np.timedelta64(int(day * 86400), "s")
        rows.append({"event_id": f"zsh{len(rows)}-{n}", "source_id": imint[0], "observed": f"{str(t)[:19]}{offset}",
                     "lat": round(lat + rng.normal(0, 0.0002), 6), "lon": round(lon + rng.normal(0, 0.0002), 6),
                     "subject": subject, "confidence": round(float(rng.uniform(*conf)), 2), "note": note})
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["event_id", "source_id", "observed", "lat", "lon", "subject", "confidence",
                                           "note"])
        w.writeheader()
        w.writerows(rows)


def _append_sightings(folder: Path, seed: int, picks: Callable[[dict[str, Any], Any], list[tuple[float, float, float, str]]]) -> None:
    """Sightings ``(lat, lon, day, subject)`` chosen by ``picks(truth, rng)``, by day, confidence 0.15-0.7 (an
    observer or detector unsure it is him)."""
    import numpy as np
    truth = json.loads((folder.parent / "truth.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed + 11)
    _write_sightings(folder, truth, rng, [(a, b, d, x, "observer") for a, b, d, x in picks(truth, rng)])


def _days_of(truth: dict[str, Any], h: dict[str, Any]) -> tuple[float, float]:
    import numpy as np
    t0 = np.datetime64(truth["start"][:19])
    def d(x: str) -> float:
        return float((np.datetime64(x[:19]) - t0) / np.timedelta64(1, "D"))
    return max(0.0, d(h["from"])), min(float(truth["days"]) - 0.5, d(h["to"]))


def _him_at(truth: dict[str, Any], rng: Any, honest: bool, false_sightings: bool, early: bool) -> list[tuple[float, float, float, str]]:
    who = truth["persons"][truth["roles"]["target"]]["entity_id"]
    out: list[tuple[float, float, float, str]] = []
    if honest:  # seen where he was, when he was there (the first house only, early on, when ``early``)
        for h in truth["hideouts"][:1] if early else truth["hideouts"]:
            a, b = _days_of(truth, h)
            b = a + (b - a) / 3 if early else b
            for _ in range(int(rng.integers(1, 3)) if b > a else 0):
                out.append((h["lat"], h["lon"], float(rng.uniform(a, b)), who))
    if false_sightings:  # a look-alike seen at decoys (a lieutenant of his build, a wrong tip-off)
        for d in truth.get("decoys", []):
            if rng.random() < 0.5:
                out.append((d["lat"], d["lon"], float(rng.uniform(0, float(truth["days"]) - 0.5)), who))
    return out


def _night_ir(folder: Path, seed: int) -> None:
    """Night infrared passes that see a vehicle's type, not its plate (the spec's wide-area and night imagery;
    ours writes none): the same number of passes (2-4 nights) over the final house and every decoy, each seeing
    the type of a vehicle there — at the house a bodyguard's, at a decoy a lieutenant's — and as many over three
    sites of the case where nobody of his is (a random type). Whose vehicle it is, only the type can say."""
    import numpy as np
    truth = json.loads((folder.parent / "truth.json").read_text(encoding="utf-8"))
    types: dict[str, str] = {}
    for line in (folder / "entities.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line) if line.strip() else {}
        if e.get("schema") == "Vehicle":
            for plate in e["properties"].get("registrationNumber", []):
                types["plate:" + plate] = (e["properties"].get("type") or ["car"])[0]
    roles, persons = truth["roles"], truth["persons"]
    def kinds(role: str) -> list[str]:
        return [types[p] for pid in roles.get(role, []) for p in persons[pid].get("plates", []) if p in types]
    guards, lts = kinds("bodyguards"), kinds("lieutenants")
    rng = np.random.default_rng(seed + 13)
    fin = truth["target_final"]
    sites = [(fin["lat"], fin["lon"], guards)] + [(d["lat"], d["lon"], lts) for d in truth.get("decoys", [])]
    sites += [(fin["lat"] + rng.uniform(-0.3, 0.3), fin["lon"] + rng.uniform(-0.3, 0.3), []) for _ in range(3)]
    days = float(truth["days"])
    picks: list[tuple[float, float, float, str, str]] = []
    for lat, lon, seen in sites:
        for _ in range(int(rng.integers(2, 5))):
            kind = str(rng.choice(seen)) if seen else str(rng.choice(["pickup", "car", "SUV", "van"]))
            picks.append((lat, lon, float(rng.uniform(max(0.0, days - 8), days - 1)), "plate:ILEGIBLE",
                          f"night IR: {kind}, plate not readable"))
    _write_sightings(folder, truth, rng, picks, night=True, conf=(0.5, 0.9))



def _her_entity(folder: Path) -> dict[str, Any]:
    """The partner's record in truth.json, her entity written to entities.jsonl with her alias (no phone)."""
    truth = json.loads((folder.parent / "truth.json").read_text(encoding="utf-8"))
    her = dict(truth["persons"][truth["roles"]["partner"]])
    her["entity_id"] = her.get("entity_id") or "ent-00partner"  # some worlds give her no entity: one is made
    path = folder / "entities.jsonl"
    ents = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    mine = next((e for e in ents if e["id"] == her["entity_id"]), None)
    if mine is None:
        mine = {"id": her["entity_id"], "schema": "Person", "properties": {"name": [her["name"]]}}
        ents.append(mine)
    aliases = mine["properties"].setdefault("alias", [])
    if her.get("alias") and her["alias"] not in aliases:
        aliases.append(her["alias"])
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in ents), encoding="utf-8")
    return her


def _partner_by_entity(folder: Path, seed: int) -> None:
    """Reports name her by her entity id (``partner_of ent-…``, ``ent-… uses +52…``), not by alias."""
    her = _her_entity(folder)
    path = folder / "reports.jsonl"
    alias = json.dumps(f"alias:{her['alias']}", ensure_ascii=True)
    path.write_text(path.read_text(encoding="utf-8").replace(alias, json.dumps(her["entity_id"])), encoding="utf-8")


def _tracker_on_her(folder: Path, seed: int) -> None:
    """Her fixes delivered under her entity id (a tracker on her, or fixes a partner resolved to her), not her
    number; her call records keep the number."""
    her = _her_entity(folder)
    nums = ", ".join(f"'{p['identifier']}'" for p in her["phones"]) or "''"
    _rewrite(folder / "locations.csv", f"SELECT * REPLACE (CASE WHEN identifier IN ({nums}) THEN "
                                       f"'{her['entity_id']}' ELSE identifier END AS identifier) FROM t")


def _ids_restyled(folder: Path, seed: int) -> None:
    """Every entity id in another style (``ent-1a2b3c4d`` -> ``person_1a2b3c4dx``), in every file: must change
    nothing."""
    for f in sorted(folder.iterdir()):
        if f.suffix in (".csv", ".jsonl", ".toml"):
            text = f.read_text(encoding="utf-8")
            f.write_text(re.sub(r"\bent-([0-9a-f]{8})\b", r"person_\1x", text), encoding="utf-8")


def _vehicle_by_entity(folder: Path, seed: int) -> None:
    """Sightings name a known vehicle by its entity id (``veh-…``), not ``plate:…``: where entities.jsonl has a
    Vehicle with that registration number, the plate read becomes a sighting of the entity."""
    path = folder / "entities.jsonl"
    ents = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    plates = {f"plate:{n}": e["id"] for e in ents if e.get("schema") == "Vehicle"
              for n in e.get("properties", {}).get("registrationNumber", [])}
    if not plates:
        return
    case = " ".join(f"WHEN subject = '{k}' THEN '{v}'" for k, v in sorted(plates.items()))
    _rewrite(folder / "sightings.csv", f"SELECT * REPLACE (CASE {case} ELSE subject END AS subject) FROM t")
# ---- tradecraft our simulator never writes (session 19, issue #12) ---------------------------------------------

def _truth(folder: Path) -> dict[str, Any]:
    return json.loads((folder.parent / "truth.json").read_text(encoding="utf-8"))


def _sql(folder: Path, con: Any, name: str) -> None:
    """Load ``folder/name`` as table ``t_<stem>`` (every column text) into ``con``."""
    con.execute(f"CREATE OR REPLACE TABLE t_{name.split('.')[0]} AS SELECT * FROM "
                f"read_csv('{folder / name}', all_varchar = true, header = true)")


def _save(folder: Path, con: Any, name: str) -> None:
    tmp = (folder / name).with_suffix(".tmp.csv")
    con.execute(f"COPY (SELECT * FROM t_{name.split('.')[0]}) TO '{tmp}' (HEADER, FORMAT csv, FORCE_QUOTE *)")
    tmp.replace(folder / name)


def _far_decoys(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The decoys at least 1 km from his final house (one nearer would be his house, for a 300 m hit)."""
    fin = truth["target_final"]
    return [d for d in truth.get("decoys", []) if _err(d["lat"], d["lon"], {"target_final": fin}) >= 1000]


def _mast_sites(con: Any) -> None:
    """Table ``s``: every cell site the loaded call records (``t_comms``) name."""
    con.execute("""CREATE TABLE s AS SELECT DISTINCT CAST(lat AS DOUBLE) AS lat, CAST(lon AS DOUBLE) AS lon FROM (
        SELECT caller_lat AS lat, caller_lon AS lon FROM t_comms UNION ALL SELECT callee_lat, callee_lon FROM t_comms)
        WHERE lat IS NOT NULL AND lon IS NOT NULL""")


def _nearest_site(con: Any, lat: float, lon: float) -> tuple[float, float] | None:
    """The cell site of table ``s`` nearest a point (ties by position)."""
    return con.execute(f"SELECT lat, lon FROM s ORDER BY {haversine_sql('lat', 'lon', str(lat), str(lon))}, "
                       "lat, lon LIMIT 1").fetchone()


def _her_decoy_last(folder: Path, seed: int) -> None:
    """A night out, not a move: on one of the last three nights (one she spent at home, not with him) her
    handset sleeps at a safe house of his people instead (20:00-07:00 local, at least 1 km from his house), and
    her calls in those hours are served by that house's nearest mast. He does not move; her latest night away
    from home now points at a decoy, as a party or a favour would. A model that reads her latest night as "he
    moved" is wrong here; one that weighs her habit of coming back is not."""
    import numpy as np
    truth = _truth(folder)
    pid = truth["roles"]["partner"]
    ids = [p["identifier"] for p in truth["persons"][pid]["phones"]]
    decoys = _far_decoys(truth)
    if not ids or not decoys or not (folder / "locations.csv").exists():
        return
    rng = np.random.default_rng(seed + 29)
    d = decoys[int(rng.integers(len(decoys)))]
    start = np.datetime64(truth["start"][:19])
    days = int(float(truth["days"]))
    with_him = {int((np.datetime64(v["from"][:19]) - start) / np.timedelta64(1, "D"))
                for v in truth["visits"] if v.get("person_id") == pid and v.get("overnight")}
    nights = [n for n in range(days - 4, days - 1) if n not in with_him and n - 1 not in with_him]
    if not nights:
        return
    n = int(rng.choice(nights))
    off = truth["start"][19:]
    a = f"{str(start + np.timedelta64(n, 'D'))[:10]}T20:00:00{off}"
    b = f"{str(start + np.timedelta64(n + 1, 'D'))[:10]}T07:00:00{off}"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _sql(folder, con, "locations.csv")
    lst = ", ".join(f"'{i}'" for i in ids)
    def within(col: str) -> str:
        return f"CAST({col} AS TIMESTAMPTZ) BETWEEN CAST('{a}' AS TIMESTAMPTZ) AND CAST('{b}' AS TIMESTAMPTZ)"
    jit = "(hash(event_id, {s}) % 1000) / 1000.0 - 0.5".format
    con.execute(f"""UPDATE t_locations SET lat = CAST(round({d['lat']} + 0.0008 * ({jit(s=seed)}), 6) AS VARCHAR),
                    lon = CAST(round({d['lon']} + 0.0008 * ({jit(s=seed + 1)}), 6) AS VARCHAR)
                    WHERE identifier IN ({lst}) AND {within('observed')}""")
    _save(folder, con, "locations.csv")
    if (folder / "comms.csv").exists():
        _sql(folder, con, "comms.csv")
        _mast_sites(con)
        site = _nearest_site(con, d["lat"], d["lon"])
        if site:
            for side in ("caller", "callee"):
                con.execute(f"""UPDATE t_comms SET {side}_lat = '{site[0]}', {side}_lon = '{site[1]}'
                    WHERE {side} IN ({lst}) AND {side}_lat IS NOT NULL AND {within('start')}""")
            _save(folder, con, "comms.csv")


def _her_phone_home(folder: Path, seed: int) -> None:
    """Phones are not people: on a third to a half of her nights at his house (those her phone went
    with her in our world), her handset stays at *her* home all night. Her home is where her phone
    sleeps on the nights she is not at a house of his (the most frequent 500 m square of her 01-05
    fixes); from her last fix at home before the visit to her first fix at home after it, every fix
    of hers is re-written as a static one at home (her own accuracy) and every call record of hers
    carries her home's serving cell. On half of those nights her own car's plate is read at his
    house the next morning (a daytime pass, 06:30-08:00)."""
    import numpy as np
    truth = _truth(folder)
    pid = truth["roles"]["partner"]
    ids = [p["identifier"] for p in truth["persons"][pid]["phones"]]
    nights = [v for v in truth["visits"] if v["person_id"] == pid and v["overnight"] and v["phone_with"]]
    if not ids or not nights or not (folder / "locations.csv").exists():
        return
    rng = np.random.default_rng(seed + 17)
    share = float(rng.uniform(1 / 3, 1 / 2))
    chosen = [nights[int(i)] for i in sorted(rng.choice(len(nights), size=max(1, round(share * len(nights))),
                                                         replace=False))]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _sql(folder, con, "locations.csv")
    con.execute("CREATE TABLE w AS SELECT * FROM (VALUES " + ", ".join(
        f"({i}, CAST('{v['from']}' AS TIMESTAMPTZ), CAST('{v['to']}' AS TIMESTAMPTZ))" for i, v in enumerate(chosen))
        + ") x(k, a, b)")
    con.execute("CREATE TABLE hx AS SELECT x.h_lat AS lat, x.h_lon AS lon FROM (VALUES "
                + ", ".join(f"({h['lat']}, {h['lon']})" for h in truth["hideouts"]) + ") x(h_lat, h_lon)")
    off = int(truth["start"][19:22]) * 3600 + (1 if truth["start"][19] == "+" else -1) * int(truth["start"][23:25]) * 60
    lst = ", ".join(f"'{i}'" for i in ids)
    her = f"identifier IN ({lst})"
    con.execute(f"""CREATE TABLE f AS SELECT event_id, CAST(observed AS TIMESTAMPTZ) AS t, CAST(lat AS DOUBLE) AS lat,
                    CAST(lon AS DOUBLE) AS lon FROM t_locations WHERE {her}""")
    home = con.execute(f"""
        SELECT avg(lat), avg(lon), count(*) FROM f WHERE (round(lat / 0.0045), round(lon / 0.0045)) = (
          SELECT (round(lat / 0.0045), round(lon / 0.0045)) FROM f
          WHERE ((epoch(t)::BIGINT + {off}) % 86400) BETWEEN 3600 AND 18000
            AND NOT EXISTS (SELECT 1 FROM hx WHERE {haversine_sql('f.lat', 'f.lon', 'hx.lat', 'hx.lon')} < 2000)
          GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)""").fetchone()
    if not home or home[0] is None:
        return
    hl, hn = float(home[0]), float(home[1])
    near = haversine_sql("f.lat", "f.lon", str(hl), str(hn)) + " < 700"
    # the window: from her last fix at home before the visit to her first at home after it
    con.execute(f"""CREATE TABLE ww AS SELECT w.k,
        coalesce((SELECT max(t) FROM f WHERE t < w.a AND {near}), w.a - INTERVAL 3 HOUR) AS a,
        coalesce((SELECT min(t) FROM f WHERE t > w.b AND {near}), w.b + INTERVAL 3 HOUR) AS b FROM w""")
    jit = "(hash(event_id, {s}) % 1000) / 1000.0 - 0.5".format
    con.execute(f"""UPDATE t_locations SET lat = CAST(round({hl} + 0.0006 * ({jit(s=seed)}), 6) AS VARCHAR),
                    lon = CAST(round({hn} + 0.0006 * ({jit(s=seed + 1)}), 6) AS VARCHAR)
                    WHERE {her} AND EXISTS (SELECT 1 FROM ww WHERE CAST(observed AS TIMESTAMPTZ) BETWEEN ww.a AND ww.b)""")
    _save(folder, con, "locations.csv")
    if (folder / "comms.csv").exists():
        _sql(folder, con, "comms.csv")
        for side in ("caller", "callee"):
            cell = con.execute(f"""SELECT {side}_lat, {side}_lon FROM t_comms WHERE {side} IN ({lst})
                AND {side}_lat IS NOT NULL AND {haversine_sql(f'CAST({side}_lat AS DOUBLE)', f'CAST({side}_lon AS DOUBLE)',
                                                          str(hl), str(hn))} < 3000
                GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1""").fetchone()
            if cell:
                con.execute(f"""UPDATE t_comms SET {side}_lat = '{cell[0]}', {side}_lon = '{cell[1]}'
                    WHERE {side} IN ({lst}) AND {side}_lat IS NOT NULL AND EXISTS (
                      SELECT 1 FROM ww WHERE CAST(start AS TIMESTAMPTZ) BETWEEN ww.a AND ww.b)""")
        _save(folder, con, "comms.csv")
    con.close()
    plates = truth["persons"][pid].get("plates", [])
    if plates:
        t0 = np.datetime64(truth["start"][:19])
        picks = []
        for v in chosen:
            if rng.random() < 0.5:
                t = np.datetime64(v["to"][:19]) - np.timedelta64(int(rng.integers(20, 60)), "m")
                if int(str(t)[11:13]) * 60 + int(str(t)[14:16]) >= 6 * 60 + 30:  # daylight: a plate is readable
                    picks.append((v["lat"], v["lon"], float((t - t0) / np.timedelta64(1, "s")) / 86400,
                                  plates[0], "UAV EO pass"))
        _write_sightings(folder, truth, rng, picks, conf=(0.5, 0.9), exact=True)


def _new_source(folder: Path, reliability: str, seed: int) -> str:
    """A new HUMINT source of the case's own agency, graded ``reliability``; returns its id."""
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    humint = [r for r in rows if r["discipline"] == "HUMINT"] or rows
    sid = f"src-{(seed * 2654435761) % (1 << 32):08x}"
    rows.append({**humint[0], "source_id": sid, "reliability": reliability, "method": "informant"})
    with open(folder / "sources.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    return sid


def _add_reports(folder: Path, reports: list[dict[str, Any]]) -> None:
    path = folder / "reports.jsonl"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(old + "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reports), encoding="utf-8")


def _located(truth: dict[str, Any], rng: Any, lat: float, lon: float, day: float, radius: float,
             window: tuple[float, float] | None = None) -> dict[str, Any]:
    """One report placing him within ``radius`` of (lat, lon), reported on ``day`` (the case's wording)."""
    import numpy as np
    t0, off = np.datetime64(truth["start"][:19]), truth["start"][19:]
    def iso(d: float) -> str:
        return str(t0 + np.timedelta64(int(d * 86400), "s"))[:19] + off
    tgt = truth["persons"][truth["roles"]["target"]]
    alias = tgt.get("alias") or truth.get("aliases", {}).get(truth["roles"]["target"]) or "el objetivo"
    c_lat, c_lon = round(lat + rng.normal(0, radius / 3 / 111_000), 4), round(lon + rng.normal(0, radius / 3 / 105_000), 4)
    claim: dict[str, Any] = {"subject": tgt["entity_id"], "predicate": "located_near", "lat": c_lat, "lon": c_lon,
                             "radius_m": float(radius)}
    if window:
        claim.update(valid_from=iso(window[0]), valid_to=iso(window[1]))
    km = f"{radius / 1000:.0f} km" if radius >= 1000 else f"{radius:.0f} m"
    return {"report_id": f"r-{int(rng.integers(1 << 31)):08x}", "reported": iso(day),
            "text": f"{alias} se esconde a menos de {km} de {c_lat}, {c_lon}.", "claims": [claim]}


def _plant(folder: Path, seed: int, grade: str) -> tuple[dict[str, Any], dict[str, Any], Any] | None:
    """A planted report: a new informant source graded ``grade`` (B2 or A2) files 2-3 reports in the last
    third of the period placing *him* within 300-1000 m of one decoy (one at least 1 km from his house).
    Returns (truth, the decoy, the generator) for a campaign to add to."""
    import numpy as np
    truth = _truth(folder)
    decoys = _far_decoys(truth)
    if not decoys:
        return None
    rng = np.random.default_rng(seed + 19)
    d = decoys[int(rng.integers(len(decoys)))]
    sid = _new_source(folder, grade[0], seed)
    days = float(truth["days"])
    reps = []
    for day in sorted(rng.uniform(days * 2 / 3, days - 0.5, size=int(rng.integers(2, 4)))):
        r = _located(truth, rng, d["lat"], d["lon"], float(day), float(rng.choice([300, 500, 800, 1000])))
        reps.append({"report_id": r["report_id"], "source_id": sid, "reported": r["reported"],
                     "credibility": int(grade[1]), "text": r["text"], "claims": r["claims"]})
    _add_reports(folder, reps)
    return truth, d, rng


def _planted(grade: str) -> Callable[[Path, int], None]:
    def run(folder: Path, seed: int) -> None:
        _plant(folder, seed, grade)
    return run


def _planted_campaign(folder: Path, seed: int) -> None:
    """Deception that hangs together: the planted B2 reports, a look-alike "him" seen at the same decoy on one
    of the last three days (confidence 0.5-0.69: an observer who would say "probably him", never sure), and a
    lieutenant's car read there by day on two of the last five days."""
    import numpy as np
    planted = _plant(folder, seed, "B2")
    if planted is None:
        return
    truth, d, rng = planted
    days = float(truth["days"])
    who = truth["persons"][truth["roles"]["target"]]["entity_id"]
    picks = [(d["lat"], d["lon"], float(rng.integers(int(days) - 3, int(days))) + float(rng.uniform(0.35, 0.7)), who,
              "observer")]
    plates = [p for pid in truth["roles"].get("lieutenants", []) for p in truth["persons"][pid].get("plates", [])[:1]]
    if plates:
        for day in rng.choice(np.arange(int(days) - 5, int(days)), size=2, replace=False):
            picks.append((d["lat"], d["lon"], float(day) + 0.4 + 0.2 * float(rng.random()), plates[0], "UAV EO pass"))
    _write_sightings(folder, truth, rng, picks, conf=(0.5, 0.69), exact=True)


def _lookalike_repeated(folder: Path, seed: int) -> None:
    """A double shown at a safe house: the case's one imagery source reports "him" at one decoy (at least 1 km
    from his house; the one his partner went to most) on three of the last four days, each time unsure
    (confidence 0.45-0.65). Taken as independent the three make a sure sighting (at least 1 - 0.55^3 = 0.83);
    they are one observer's one mistake."""
    import numpy as np
    truth = _truth(folder)
    decoys = _far_decoys(truth)
    if not decoys:
        return
    rng = np.random.default_rng(seed + 23)
    # the safe house she has been to most (a double is shown where his people expect him); a tie, any of them
    her = truth["roles"]["partner"]
    went = [v.get("place") for v in truth.get("visits", []) if v.get("person_id") == her]
    count = [went.count(f"decoy:{truth['decoys'].index(d)}") for d in decoys]
    best = [d for d, c in zip(decoys, count) if c == max(count)]
    d = best[int(rng.integers(len(best)))]
    who = truth["persons"][truth["roles"]["target"]]["entity_id"]
    days = int(float(truth["days"]))
    picks = [(d["lat"], d["lon"], float(day), who, "observer")
             for day in sorted(rng.choice(np.arange(days - 4, days), size=3, replace=False))]
    _write_sightings(folder, truth, rng, picks, conf=(0.45, 0.65))


def _decoy_nights(folder: Path, seed: int) -> None:
    """Lieutenants sleep at the decoys far more often than ours do: each lieutenant is given a decoy, and on
    four nights in five every call record of his between 21:00 and 07:00 (local) is served by the cell site
    nearest that decoy (our partner-tracked cases track no lieutenant's handset: calls are all there is)."""
    truth = _truth(folder)
    decoys, lts = truth.get("decoys", []), truth["roles"].get("lieutenants", [])
    if not decoys or not lts or not (folder / "comms.csv").exists():
        return
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _sql(folder, con, "comms.csv")
    _mast_sites(con)
    rows = []
    for k, pid in enumerate(lts):
        d = decoys[k % len(decoys)]
        site = _nearest_site(con, d["lat"], d["lon"])
        rows += [f"('{p['identifier']}', {site[0]}, {site[1]})" for p in truth["persons"][pid].get("phones", [])] if site else []
    if not rows:
        return
    con.execute("CREATE TABLE lt AS SELECT * FROM (VALUES " + ", ".join(rows) + ") x(ident, slat, slon)")
    off = int(truth["start"][19:22]) * 3600 + (1 if truth["start"][19] == "+" else -1) * int(truth["start"][23:25]) * 60
    local = f"(epoch(CAST(start AS TIMESTAMPTZ))::BIGINT + {off})"
    night = f"(({local} % 86400) >= 75600 OR ({local} % 86400) < 25200)"
    for side in ("caller", "callee"):
        con.execute(f"""UPDATE t_comms SET {side}_lat = CAST(lt.slat AS VARCHAR), {side}_lon = CAST(lt.slon AS VARCHAR)
            FROM lt WHERE t_comms.{side} = lt.ident AND t_comms.{side}_lat IS NOT NULL AND {night}
              AND hash(lt.ident, ({local} - 43200) // 86400, {seed}) % 5 <> 0""")
    _save(folder, con, "comms.csv")
    con.close()


def _stale_claims(folder: Path, seed: int) -> None:
    """True claims about his *first* house, with the window he lived there (``valid_from`` / ``valid_to``,
    ending at the move): 2-3 reports from the case's best-graded informant, credibility 2, 300-1000 m,
    reported while he was there. Only where he moved (the others are left as they are)."""
    import numpy as np
    truth = _truth(folder)
    hs = truth["hideouts"]
    if len(hs) < 2 or _err(hs[0]["lat"], hs[0]["lon"], truth) < 1000:
        return
    rng = np.random.default_rng(seed + 23)
    a, b = _days_of(truth, hs[0])
    with open(folder / "sources.csv", newline="", encoding="utf-8") as fh:
        humint = sorted((r["reliability"], r["source_id"]) for r in csv.DictReader(fh) if r["discipline"] == "HUMINT")
    sid = humint[0][1] if humint else _new_source(folder, "B", seed)
    reps = []
    for day in sorted(rng.uniform(a, b, size=int(rng.integers(2, 4)))):
        r = _located(truth, rng, hs[0]["lat"], hs[0]["lon"], float(day), float(rng.choice([300, 500, 800, 1000])),
                     window=(a, b))
        reps.append({"report_id": r["report_id"], "source_id": sid, "reported": r["reported"], "credibility": 2,
                     "text": r["text"], "claims": r["claims"]})
    _add_reports(folder, reps)


def _decoy_nights_tracked(folder: Path, seed: int) -> None:
    """The lieutenants' handsets tracked too (as ``plan`` may ask), and sleeping at their decoys: a fix every
    20 minutes from 21:00 to 07:00 (local) at their decoy on four nights in five, at their home (their most
    frequent serving cell) on the others, accuracy 300-800 m. Night fixes only: a carrier that delivers what
    the warrant covers. Their visits alone must not make a decoy "very likely"."""
    truth = _truth(folder)
    decoys, lts = truth.get("decoys", []), truth["roles"].get("lieutenants", [])
    if not decoys or not lts or not (folder / "comms.csv").exists() or not (folder / "locations.csv").exists():
        return
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _sql(folder, con, "comms.csv")
    _sql(folder, con, "locations.csv")
    rows = []
    for k, pid in enumerate(lts):
        d = decoys[k % len(decoys)]
        for p in truth["persons"][pid].get("phones", []):
            home = con.execute(f"""SELECT caller_lat, caller_lon FROM t_comms WHERE caller = '{p["identifier"]}'
                AND caller_lat IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1""").fetchone()
            if home:
                rows.append(f"('{p['identifier']}', {d['lat']}, {d['lon']}, {home[0]}, {home[1]}, "
                            f"CAST('{p['from']}' AS TIMESTAMPTZ), CAST('{p['to']}' AS TIMESTAMPTZ))")
    src = con.execute("SELECT source_id FROM t_locations GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()
    if not rows or not src:
        return
    con.execute("CREATE TABLE lt AS SELECT * FROM (VALUES " + ", ".join(rows) + ") x(ident, dlat, dlon, hlat, hlon, a, b)")
    jit = "((hash(ident, n, k, {s}) % 1000) / 1000.0 - 0.5) * 0.0012".format
    con.execute(f"""INSERT INTO t_locations (event_id, source_id, observed, identifier, lat, lon, accuracy_m)
        SELECT 'zlt' || row_number() OVER (), '{src[0]}', strftime(t AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), ident,
               CAST(round(CASE WHEN at_decoy THEN dlat ELSE CAST(hlat AS DOUBLE) END + {jit(s=seed)}, 6) AS VARCHAR),
               CAST(round(CASE WHEN at_decoy THEN dlon ELSE CAST(hlon AS DOUBLE) END + {jit(s=seed + 1)}, 6) AS VARCHAR),
               CAST(300 + hash(ident, n, k) % 500 AS VARCHAR)
        FROM (SELECT *, CAST('{truth["start"]}' AS TIMESTAMPTZ) + to_seconds(n * 86400 + 75600 + k * 1200) AS t,
                     hash(ident, n, {seed}) % 5 <> 0 AS at_decoy
              FROM lt, range({int(truth["days"])}) r(n), range(30) s(k))
        WHERE t BETWEEN a AND b""")
    _save(folder, con, "locations.csv")
    con.close()


def _hole(folder: Path, seed: int) -> None:
    """A coverage hole: no tower sees his compound. R = twice the case's own tower spacing around it (the
    median distance from a cell site within 20 km to its nearest neighbour; at least 2 km); every location fix within R of the final
    house is dropped (no tower, no fix) and every call record served by a site within R is re-written to the
    nearest site beyond R (a far tower at long range)."""
    truth = _truth(folder)
    fin = truth["target_final"]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    def d_fin(t: str = "") -> str:
        return haversine_sql(f"CAST({t}lat AS DOUBLE)", f"CAST({t}lon AS DOUBLE)", str(fin["lat"]), str(fin["lon"]))
    r = 2000.0
    if (folder / "comms.csv").exists():
        _sql(folder, con, "comms.csv")
        con.execute("""CREATE TABLE s AS SELECT DISTINCT lat, lon FROM (
            SELECT caller_lat AS lat, caller_lon AS lon FROM t_comms UNION ALL SELECT callee_lat, callee_lon FROM t_comms)
            WHERE lat IS NOT NULL AND lon IS NOT NULL""")
        nn = haversine_sql("CAST(a.lat AS DOUBLE)", "CAST(a.lon AS DOUBLE)", "CAST(b.lat AS DOUBLE)", "CAST(b.lon AS DOUBLE)")
        spacing = con.execute(f"""SELECT median(d) FROM (SELECT min({nn}) AS d FROM s a, s b
                                  WHERE (a.lat, a.lon) <> (b.lat, b.lon) AND {d_fin('a.')} < 20000
                                  GROUP BY a.lat, a.lon)""").fetchone()[0]
        r = max(r, 2.0 * float(spacing or 0.0))
        con.execute(f"""CREATE TABLE m AS SELECT a.lat, a.lon, arg_min(b.lat, {nn}) AS flat, arg_min(b.lon, {nn}) AS flon FROM s a, s b
            WHERE {d_fin('a.')} < {r}
              AND {d_fin('b.')} >= {r} GROUP BY a.lat, a.lon""")
        for side in ("caller", "callee"):
            con.execute(f"""UPDATE t_comms SET {side}_lat = m.flat, {side}_lon = m.flon FROM m
                            WHERE t_comms.{side}_lat = m.lat AND t_comms.{side}_lon = m.lon""")
        _save(folder, con, "comms.csv")
    if (folder / "locations.csv").exists():
        _sql(folder, con, "locations.csv")
        con.execute(f"DELETE FROM t_locations WHERE {d_fin()} < {r}")
        _save(folder, con, "locations.csv")
    con.close()


# an outage: every fix of an identifier inside one of its dark 6-hour blocks (30 % of blocks) is lost
_OUTAGE = ("hash(identifier, {seed}, epoch(CAST(observed AS TIMESTAMPTZ))::BIGINT // 21600) % 100 >= 30")
# hourly: keep a fix when it is the first of its identifier's hour (fixes every 10-20 min -> one an hour)
_HOURLY = ("event_id IN (SELECT arg_min(event_id, CAST(observed AS TIMESTAMPTZ)) FROM t GROUP BY identifier, "
           "epoch(CAST(observed AS TIMESTAMPTZ))::BIGINT // 3600)")

def _her_number_planted(folder: Path, seed: int) -> None:
    """A report graded B2, from a new informant, gives *her* a lieutenant's number (a plant, or a mistake),
    and that lieutenant's handset is tracked and sleeps at his decoy on four nights in five
    (``decoy-nights-tracked``): the number tested by its behaviour looks like hers (nights away, at a remote
    house), and a report vouches for it. Her own tracked phone still shows her nights with him. A decoy must
    not become "very likely" on one graded report and a lieutenant's nights."""
    truth = _truth(folder)
    pid, lts = truth["roles"]["partner"], truth["roles"].get("lieutenants", [])
    phones = [p["identifier"] for lt in lts[:1] for p in truth["persons"][lt].get("phones", [])[:1]]
    if not phones:
        return
    _decoy_nights_tracked(folder, seed)
    names = {f"alias:{truth.get('aliases', {}).get(pid)}", truth["persons"][pid].get("entity_id")}
    reports = [json.loads(x) for x in (folder / "reports.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    named = [v for r in reports for c in r.get("claims", []) for v in (c["subject"], c.get("object")) if v and v in names]
    if not named:  # the case never names her: nothing for a report to give a number to
        return
    her = named[0]
    sid = _new_source(folder, "B", seed)
    import numpy as np
    t0, off = np.datetime64(truth["start"][:19]), truth["start"][19:]
    day = float(np.random.default_rng(seed + 23).uniform(float(truth["days"]) / 3, float(truth["days"]) * 2 / 3))
    reported = str(t0 + np.timedelta64(int(day * 86400), "s"))[:19] + off
    _add_reports(folder, [{"report_id": f"r-plant-{seed}", "source_id": sid, "reported": reported, "credibility": 2,
                           "text": "la pareja usa este numero", "claims": [
                               {"subject": her, "predicate": "uses", "object": phones[0]}]}])


def _her_new_number(folder: Path, seed: int, tracked: bool = False) -> None:
    """She changes her number (a group's phone switch, or her own caution) 5-9 days before the end of the
    data: from then on her calls and messages are made from a new number nobody has reported, and the
    investigation's tracking of her old handset ends (no fixes after the switch; the new number is not
    tracked). Her contacts stay hers, so the new number calls the same people from the same cell sites: the
    burner succession resolve should find. Her latest nights are then read from a successor's cell sites only."""
    import numpy as np
    truth = _truth(folder)
    pid = truth["roles"]["partner"]
    ids = [p["identifier"] for p in truth["persons"][pid]["phones"]]
    if not ids or not (folder / "comms.csv").exists():
        return
    rng = np.random.default_rng(seed + 29)
    t0, off = np.datetime64(truth["start"][:19]), truth["start"][19:]
    at = str(t0 + np.timedelta64(int((float(truth["days"]) - float(rng.uniform(5, 9))) * 86400), "s"))[:19] + off
    text = (folder / "comms.csv").read_text(encoding="utf-8")
    new = ids[0]
    while new in text:  # a number nobody in the case uses (a civilian's new SIM may share her area code)
        new = ids[0][:6] + f"{int(rng.integers(1_000_000, 9_999_999)):07d}"
    # her number however the record spells it (the simulator writes some in national format: "341 526 3486")
    old = ", ".join(f"'{i[-10:]}'" for i in ids)
    def hers(col: str) -> str:
        return f"right(regexp_replace({col}, '[^0-9]', '', 'g'), 10) IN ({old})"
    after = f"CAST(start AS TIMESTAMPTZ) >= CAST('{at}' AS TIMESTAMPTZ)"
    _rewrite(folder / "comms.csv", f"""SELECT * REPLACE (
        CASE WHEN {hers('caller')} AND {after} THEN '{new}' ELSE caller END AS caller,
        CASE WHEN {hers('callee')} AND {after} THEN '{new}' ELSE callee END AS callee) FROM t""")
    switched = f"{hers('identifier')} AND CAST(observed AS TIMESTAMPTZ) >= CAST('{at}' AS TIMESTAMPTZ)"
    if tracked:  # the investigation re-tasked its tracking to the new number: her handset's fixes go on under it
        _rewrite(folder / "locations.csv", f"SELECT * REPLACE (CASE WHEN {switched} THEN '{new}' ELSE identifier END "
                                           "AS identifier) FROM t")
    else:
        _rewrite(folder / "locations.csv", f"SELECT * FROM t WHERE NOT ({switched})")
    # beside the case, never in it: the number ``--plan`` looks for among the recommendations
    (folder.parent / "variant.json").write_text(json.dumps({"her_new_number": new, "switch": at}), encoding="utf-8")


VARIANTS: dict[str, Callable[[Path, int], None]] = {
    "as-is": lambda folder, seed: None,
    "utc": _utc,
    "shuffle": _shuffle,
    "hourly": _fixes(_HOURLY),
    "outages": _fixes(_OUTAGE),
    "acc-half": _accuracy(0.5),
    "acc-double": _accuracy(2.0),
    "no-cells": _no_cells,
    # no handset geolocation at all: the partner "tracked" by her call records' serving cells only
    "cells-only": _fixes("FALSE"),
    "her-number-reported": _her_number_reported,
    # lieutenants' cars parked at decoys, then read at another decoy at the end (a household that moves)
    "decoy-cars": _decoy_cars,
    # sightings of him, 0.15-0.7 confidence: true ones where he was, look-alikes at half the decoys
    "him-sighted": lambda f, s: _append_sightings(f, s, lambda t, r: _him_at(t, r, True, True, False)),
    # look-alikes only: a lone unsure sighting at a decoy must not lift a cap
    "him-misidentified": lambda f, s: _append_sightings(f, s, lambda t, r: _him_at(t, r, False, True, False)),
    # seen at his first house early on (true then): a late move must not be held back by it
    # night infrared: a vehicle's type, never its plate, over the house, the decoys and three other sites
    "night-ir": _night_ir,
    "him-seen-early": lambda f, s: _append_sightings(f, s, lambda t, r: _him_at(t, r, True, False, True)),
    # a night out, not a move: one of her last nights at a safe house of his people, he stays put
    "her-decoy-last": _her_decoy_last,
    # one observer's look-alike at one decoy on three of the last four days, each unsure: together not "sure"
    "lookalike-repeated": _lookalike_repeated,
    # the case names or observes her by her entity id (the format allows an entity id wherever an identifier)
    "partner-by-entity": _partner_by_entity,
    "tracker-on-her": _tracker_on_her,
    "ids-restyled": _ids_restyled,
    "vehicle-by-entity": _vehicle_by_entity,
    # session 19 (issue #12): her phone stays at her home on a third to a half of her nights with him
    "her-phone-home": _her_phone_home,
    # a new informant graded B2 (A2) places him at a decoy, 2-3 times in the last third of the period
    "planted-b2": _planted("B2"),
    "planted-a2": _planted("A2"),
    # the planted reports, a look-alike "him" and a lieutenant's car at the same decoy at the end
    "planted-campaign": _planted_campaign,
    # lieutenants' calls served by their decoy's cell site on four nights in five
    "decoy-nights": _decoy_nights,
    # ... and their handsets tracked: located at the decoys on four nights in five
    "decoy-nights-tracked": _decoy_nights_tracked,
    # ... and a B2 report gives her the first lieutenant's (tracked, decoy-sleeping) number
    "her-number-planted": _her_number_planted,
    # she switches to an unreported, untracked number 5-9 days before the end (same contacts, same masts)
    "her-new-number": _her_new_number,
    # true claims about his first house, valid until the move (moved cases only)
    "stale-claims": _stale_claims,
    # no tower sees his compound: fixes within the tower spacing dropped, calls served by a far tower
    "hole": _hole,
}
INVARIANT = ("utc", "shuffle", "ids-restyled")


def evaluate(job: tuple[str, str, int, str]) -> dict[str, Any]:
    family, diff, seed, variant = job
    store, truth = partner_case(seed, diff, family)
    src = store.with_suffix("")
    out: dict[str, Any] = {"family": family, "difficulty": diff, "seed": seed, "variant": variant}
    with tempfile.TemporaryDirectory(prefix="perturb-") as tmp:
        folder = Path(tmp) / "case"
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("truth.json", "*.result.json"))
        shutil.copy(src / "truth.json", Path(tmp) / "truth.json")  # beside the case, never in it
        for part in variant.split("+"):  # a combination applies each in turn
            VARIANTS[part](folder, seed)
        with CaseStore.open(Path(tmp) / "s.duckdb", folder=folder) as cs:
            ingest_case(folder, cs, quiet=True)
            r = locate(cs, top=5, model=load_model(None))
            if PLAN:  # where plan ranks her numbers (her own, and the new one a variant gave her)
                extra = Path(tmp) / "variant.json"
                hers = {ph["identifier"] for ph in truth["persons"][truth["roles"]["partner"]].get("phones", [])}
                hers |= set(json.loads(extra.read_text(encoding="utf-8")).values()) if extra.exists() else set()
                recs = [x["identifier"] for x in plan(cs, budget=3, model=load_model(None))["recommendations"]]
                out["plan_hers"] = next((k for k, x in enumerate(recs, start=1) if x in hers), None)
    if PLAN and variant == "her-new-number":  # the next round, her new number tracked: is he found then?
        out["top1_tracked"] = _retracked(family, diff, seed, truth)
    hyps = r["hypotheses"]
    errs = [_err(h["lat"], h["lon"], truth) for h in hyps]
    out["top1"] = bool(errs and errs[0] <= HIT_M)
    out["hit3"] = any(e <= HIT_M for e in errs[:3])
    out["p1"] = float(hyps[0]["probability"]) if hyps else 0.0
    out["first"] = [round(hyps[0]["lat"], 5), round(hyps[0]["lon"], 5)] if hyps else None
    return out


def _retracked(family: str, diff: str, seed: int, truth: dict[str, Any]) -> bool:
    """``her-new-number`` with the tracking re-tasked to her new number: locate's first answer right?"""
    src = partner_case(seed, diff, family)[0].with_suffix("")
    with tempfile.TemporaryDirectory(prefix="perturb-") as tmp:
        folder = Path(tmp) / "case"
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("truth.json", "*.result.json"))
        shutil.copy(src / "truth.json", Path(tmp) / "truth.json")
        _her_new_number(folder, seed, tracked=True)
        with CaseStore.open(Path(tmp) / "s.duckdb", folder=folder) as cs:
            ingest_case(folder, cs, quiet=True)
            hyps = locate(cs, top=1, model=load_model(None))["hypotheses"]
    return bool(hyps and _err(hyps[0]["lat"], hyps[0]["lon"], truth) <= HIT_M)


def _variants_of(rows: list[dict[str, Any]]) -> list[str]:
    """The variants the rows hold, in the order first run (combinations included)."""
    return list(dict.fromkeys(r["variant"] for r in rows))


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| variant | runs | top-1 ≤ 300 m | hit@3 | mean p of first | wrong at p ≥ 0.8 / ≥ 0.9 | highest wrong p |",
             "|---|---|---|---|---|---|---|"]
    for v in _variants_of(rows):
        rs = [r for r in rows if r["variant"] == v]
        if not rs:
            continue
        wrong = [r["p1"] for r in rs if not r["top1"]]
        lines.append(f"| {v} | {len(rs)} | {sum(r['top1'] for r in rs) / len(rs):.2f} | "
                     f"{sum(r['hit3'] for r in rs) / len(rs):.2f} | {sum(r['p1'] for r in rs) / len(rs):.2f} | "
                     f"{sum(p >= 0.8 for p in wrong)} / {sum(p >= 0.9 for p in wrong)} | "
                     f"{max(wrong, default=0.0):.2f} |")
    return "\n".join(lines)


def plan_table(rows: list[dict[str, Any]]) -> str:
    """``--plan``: how often plan's first (any of its three) recommendation is one of her numbers."""
    lines = ["| variant | runs | plan's first is her number | among the first 3 | next round, her new number "
             "tracked: top-1 | solved by round 2 (plan's first pick tracked) |", "|---|---|---|---|---|---|"]
    for v in _variants_of(rows):
        rs = [r for r in rows if r["variant"] == v and "plan_hers" in r]
        if rs:
            tr = [r["top1_tracked"] for r in rs if "top1_tracked" in r]
            # solved by round 2: right at once, or plan's first pick is her new number and tracking it finds him
            # (a first pick of anyone else counts as no help: that tracking is not simulated here)
            picked = [r["top1"] or (r["plan_hers"] == 1 and r["top1_tracked"]) for r in rs if "top1_tracked" in r]
            lines.append(f"| {v} | {len(rs)} | {sum(r['plan_hers'] == 1 for r in rs) / len(rs):.2f} | "
                         f"{sum(r['plan_hers'] is not None for r in rs) / len(rs):.2f} | "
                         + (f"{sum(tr) / len(tr):.2f} | {sum(picked) / len(picked):.2f} |" if tr else "– | – |"))
    return "\n".join(lines)


def _invariance(rows: list[dict[str, Any]]) -> list[str]:
    base = {(r["family"], r["difficulty"], r["seed"]): r for r in rows if r["variant"] == "as-is"}
    bad = []
    for r in rows:
        b = base.get((r["family"], r["difficulty"], r["seed"]))
        if r["variant"] in INVARIANT and b and (r["first"] != b["first"] or abs(r["p1"] - b["p1"]) > 1e-6):
            bad.append(f"{r['variant']} changed {r['family']} {r['difficulty']} {r['seed']}: "
                       f"{b['first']} p {b['p1']:.3f} -> {r['first']} p {r['p1']:.3f}")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--families", default="baseline,sparse-coverage,decoy-heavy,phone-discipline")
    ap.add_argument("--difficulties", default="normal")
    ap.add_argument("--seeds", default="1000-1009")
    ap.add_argument("--variants", default="all")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--plan", action="store_true",
                    help="also run plan (3 recommendations) and report where it ranks the partner's numbers")
    a = ap.parse_args()
    global PLAN
    PLAN = a.plan
    variants = list(VARIANTS) if a.variants == "all" else ["as-is", *[v for v in a.variants.split(",") if v != "as-is"]]
    unknown = sorted({part for v in variants for part in v.split("+")} - set(VARIANTS))
    if unknown:
        ap.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    jobs = [(f, d, s, v) for f in a.families.split(",") for d in a.difficulties.split(",")
            for s in parse_seeds(a.seeds) for v in variants]
    for f in a.families.split(","):  # build the cached cases first (one process each, no races)
        for d in a.difficulties.split(","):
            for s in parse_seeds(a.seeds):
                partner_case(s, d, f)
    with ProcessPoolExecutor(a.workers) as ex:
        rows = list(ex.map(evaluate, jobs))
    print(table(rows))
    if a.plan:
        print("\n" + plan_table(rows))
    for fam in a.families.split(","):
        print(f"\n{fam}:\n" + table([r for r in rows if r["family"] == fam]))
    bad = _invariance(rows)
    print("\ninvariance (" + ", ".join(INVARIANT) + "): " + ("ok, the first answer is unchanged" if not bad else f"{len(bad)} BROKEN"))
    for line in bad:
        print("  " + line)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
