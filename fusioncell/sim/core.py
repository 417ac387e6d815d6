"""``simulate``: build the world, run the collection, write the case folder and truth.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fusioncell.errors import UsageError
from fusioncell.model.identifiers import IdentifierError, normalize_identifier
from fusioncell.sim.calls import CH_CALL, CH_MSG, CH_SMS, MESSAGE_TEXTS, CallModel
from fusioncell.sim.handsets import Handsets
from fusioncell.sim.families import draw as draw_family
from fusioncell.sim.intel import Intel, build_intel
from fusioncell.sim.mobility import Mobility
from fusioncell.sim.org import DIFFICULTY, Org, build_org
from fusioncell.sim.rng import gen
from fusioncell.sim.sensors import aerial, track as track_fixes
from fusioncell.sim.world import TIE_KINDS, World, build_world, population_size

log = logging.getLogger(__name__)

TIMEZONE = "America/Mexico_City"
OWNER = "SEDENA-INT"
PARTNER = "PARTNER-US"
SCALES = ("small", "medium", "large")

FArr = npt.NDArray[np.float64]


def _parse_scale(scale: str | int) -> str | int:
    if isinstance(scale, int):
        n = scale
    elif scale in SCALES:
        return scale
    else:
        try:
            n = int(str(scale).replace("_", ""))
        except ValueError:
            raise UsageError(f"unknown scale {scale!r}: use small, medium, large or a number of people") from None
    if not 50 <= n <= 2_000_000:
        raise UsageError(f"scale {n} out of range: between 50 and 2,000,000 people")
    return n


def _check(out_dir: Path, seed: int, days: int, difficulty: str) -> None:
    if difficulty not in DIFFICULTY:
        raise UsageError(f"unknown difficulty {difficulty!r}: use easy, normal or hard")
    if not 3 <= days <= 120:
        raise UsageError(f"--days {days} out of range: between 3 and 120")
    if seed < 0:
        raise UsageError("--seed must be a non-negative integer")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(f"{out_dir} exists and is not an empty folder")


class _Clock:
    """Epoch seconds <-> ISO 8601 in the case time zone (offset constant over the period)."""

    def __init__(self, t0: int, t_end: int) -> None:
        tz = ZoneInfo(TIMEZONE)
        o0 = datetime.fromtimestamp(t0, tz).utcoffset()
        o1 = datetime.fromtimestamp(t_end, tz).utcoffset()
        self.tz = tz
        self.constant = o0 == o1
        off = int((o0 or timedelta()).total_seconds())
        self.offset_s = off
        sign = "-" if off < 0 else "+"
        self.suffix = f"{sign}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"
        self._hms: pa.Array | None = None

    def iso(self, t: int) -> str:
        return datetime.fromtimestamp(int(t), self.tz).isoformat()

    def iso_array(self, t: npt.NDArray[np.int64]) -> pa.Array:
        """ISO 8601 strings with offset for epoch seconds (vectorised: day prefix + time of day)."""
        t = np.asarray(t, np.int64)
        if not self.constant:
            return pa.array([self.iso(int(x)) for x in t], pa.string())
        if len(t) == 0:
            return pa.array([], pa.string())
        local = t + self.offset_s
        day = local // 86400
        d0 = int(day.min())
        n_days = int(day.max()) - d0 + 1
        prefixes = pa.array([(datetime(1970, 1, 1) + timedelta(days=d0 + i)).strftime("%Y-%m-%dT") for i in range(n_days)])
        if self._hms is None:
            sec = np.arange(86400)
            self._hms = pa.array([f"{h:02d}:{m:02d}:{x:02d}{self.suffix}" for h, m, x in
                                  zip((sec // 3600).tolist(), (sec // 60 % 60).tolist(), (sec % 60).tolist())])
        return pc.binary_join_element_wise(prefixes.take(pa.array(day - d0)), self._hms.take(pa.array(local - day * 86400)), "")


def _coord(x: FArr) -> pa.Array:
    r = np.asarray(np.round(np.asarray(x, np.float64), 6), np.float64)
    return pa.array(r, mask=np.isnan(r))


def _ids(prefix: str, start: int, k: int) -> pa.Array:
    nums = pa.array(np.arange(start, start + k, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), nums, "")


class _CsvOut:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.w = pacsv.CSVWriter(str(path), schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        self.schema = schema
        self.rows = 0

    def write(self, cols: dict[str, pa.Array]) -> None:
        t = pa.table(cols, schema=self.schema)
        self.w.write_table(t)
        self.rows += t.num_rows

    def close(self) -> None:
        self.w.close()


def _schema(names: list[str], floats: tuple[str, ...] = (), ints: tuple[str, ...] = ()) -> pa.Schema:
    return pa.schema([(n, pa.float64() if n in floats else pa.int64() if n in ints else pa.string()) for n in names])


def _fix_vehicles(world: World, org: Org) -> None:
    """Members who drive get a vehicle; the compound keeps one (like a ranch), the target none of his own."""
    owners = set(world.veh_owner.tolist())
    extra = [p for p in [org.partner, *org.lieutenants, *org.couriers, org.bodyguards[0]] if p not in owners]
    if extra:
        world.veh_owner = np.concatenate([world.veh_owner, np.array(extra, np.int64)])
    parked = np.isin(world.veh_owner, [org.target, *org.bodyguards[1:]])
    world.veh_owner = np.where(parked, -1, world.veh_owner)


def _tracked_numbers(track_ids: list[str] | None, e164_index: dict[str, int], hs: Handsets, seed: int,
                     lead_num: int, entity_ids: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """(identifier, pool index) of tracked phones; plates as (plate:..., -2 - vehicle); others (-1)."""
    if not track_ids:
        return [(hs.w.numbers_e164[lead_num], lead_num)]
    out: list[tuple[str, int]] = []
    plate_index = {"plate:" + p: v for v, p in enumerate(hs.w.plates[: len(hs.w.veh_owner)])}
    for raw in track_ids:
        if raw.startswith("random:"):
            try:
                k = int(raw.split(":", 1)[1])
            except ValueError:
                raise UsageError(f"--track {raw!r}: expected random:N") from None
            used = np.unique(hs.org.ph_num)
            pick = gen(seed, "random-track").permutation(len(used))[:k]
            out.extend((hs.w.numbers_e164[int(used[i])], int(used[i])) for i in np.sort(pick))
            continue
        try:
            ident = normalize_identifier(raw, region="MX", entity_ids=entity_ids)
        except IdentifierError as exc:
            raise UsageError(f"--track {raw!r}: {exc}") from None
        if ident.scheme == "phone":
            out.append((ident.value, e164_index.get(ident.value, -1)))
        elif ident.scheme == "plate":
            v = plate_index.get(ident.value, -1)
            out.append((ident.value, -2 - v if v >= 0 and hs.w.veh_owner[v] >= 0 else -1))
        else:
            log.warning("--track %s: only phones and plates can be tracked; no fixes", raw)
            out.append((ident.value, -1))
    seen: set[str] = set()
    uniq = []
    for e, i in out:
        if e not in seen:
            seen.add(e)
            uniq.append((e, i))
    return uniq


@dataclass
class Scenario:
    """A built world with its organisation, handsets and intelligence, before anything is written."""

    world: World
    org: Org
    hs: Handsets
    intel: Intel
    clock: _Clock
    t0: int
    t_end: int
    start_local: datetime
    case_id: str
    src_cdr: str
    src_geo: str
    src_uav: str
    src_partner: str
    src_tracker: str
    rs: np.random.Generator

    def number_at(self, p: int, t: int) -> int:
        """Pool index of person ``p``'s main number at ``t`` (-1: none)."""
        return int(self.hs.number(np.array([p]), np.array([0]), np.array([t]))[0])


def build_scenario(*, seed: int, scale: str | int = "small", days: int = 30, difficulty: str = "normal",
                   family: str | None = None) -> Scenario:
    """Build everything that does not depend on what is collected (no files written)."""
    n_res = population_size(_parse_scale(scale), seed)
    rp = gen(seed, "period")
    tz = ZoneInfo(TIMEZONE)
    start_local = datetime(2025, 1, 6, tzinfo=tz) + timedelta(days=int(rp.integers(0, 640)))
    t0 = int(start_local.timestamp())
    t_end = t0 + days * 86400
    clock = _Clock(t0, t_end)
    fam = draw_family(family, seed)
    world = build_world(seed, n_res, days, geo=fam)
    org, ov = build_org(world, seed, days, difficulty, t0, family=fam)
    _fix_vehicles(world, org)
    mob = Mobility(world, seed, t0, clock.offset_s, start_local.weekday(), ov)
    hs = Handsets(world, org, mob, seed)
    rs = gen(seed, "ids")
    case_id = f"case-{int(rs.integers(0, 16**10)):010x}"
    srcs = [f"src-{int(rs.integers(0, 16**8)):08x}" for _ in range(5)]
    first_num = hs.number(np.arange(world.n), np.zeros(world.n, np.int64), np.full(world.n, t0))
    main_num = {int(p): world.numbers_e164[int(first_num[p])] for p in np.flatnonzero(first_num >= 0)}
    intel = build_intel(world, org, seed, org.cfg, t0, days, main_num, clock.iso, OWNER, PARTNER)
    return Scenario(world, org, hs, intel, clock, t0, t_end, start_local, case_id, srcs[0], srcs[1], srcs[2], srcs[3],
                    srcs[4], rs)


def candidate_sites(sn: Scenario, seed: int) -> list[tuple[FArr, str]]:
    """Sites the aerial platform is sent to, from leads (true and false), decoys and random ranches.

    Every candidate is kept with the same probability whatever it is, so the
    true hideout is covered only sometimes and never more than other sites.
    """
    world, org = sn.world, sn.org
    ra = gen(seed, "candidate-sites")
    cands: list[tuple[FArr, str]] = []
    for i, h in enumerate(org.hideouts):
        cands.append((np.asarray(h["xy"]), f"hideout:{i}"))
    for i, dcy in enumerate(org.decoys):
        cands.append((np.asarray(dcy["xy"]), f"decoy:{i}"))
    for lat, lon in sn.intel.lead_sites:
        cands.append((world.from_latlon(np.array(lat), np.array(lon)), "lead"))
    ranch = np.flatnonzero(world.place_kind == 1)
    for i in ra.choice(len(ranch), size=min(len(ranch), int(ra.integers(3, 7))), replace=False):
        cands.append((world.places_xy[ranch[int(i)]], "ranch"))
    keep = ra.random(len(cands)) < 0.55
    sites = [cands[i] for i in np.flatnonzero(keep)]
    return [sites[int(i)] for i in ra.permutation(len(sites))]


def simulate(out_dir: Path, *, seed: int = 0, scale: str | int = "small", days: int = 30,
             difficulty: str = "normal", track: list[str] | None = None, family: str | None = None) -> dict[str, Any]:
    """Write a synthetic case folder (case-format.md) plus ``truth.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Folder to create (must be absent or empty).
    seed : int
        World seed; the same seed gives the same world whatever is tracked.
    scale : str or int
        ``small`` (300-800 people), ``medium`` (5-20 k), ``large`` (100 k) or a number of residents.
    days : int
        Length of the period.
    difficulty : str
        ``easy``, ``normal`` or ``hard``.
    track : list of str, optional
        Identifiers whose handset fixes are collected; default the seed lead.
        ``random:N`` adds N random phones of the world (for benchmarks).
    family : str, optional
        A world family (:mod:`fusioncell.sim.families`); default the baseline.

    Returns
    -------
    dict
        Summary: case dir, counts, seconds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> s = simulate(pathlib.Path(tempfile.mkdtemp()) / "c", seed=1, scale=300, days=3)
    >>> s["counts"]["comms"] > 0
    True
    """
    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    sc = _parse_scale(scale)
    _check(out_dir, seed, days, difficulty)
    draw_family(family, seed)  # an unknown family is a usage error before anything is written
    log.info("simulate seed=%s scale=%s days=%s difficulty=%s family=%s", seed, sc, days, difficulty, family)
    sn = build_scenario(seed=seed, scale=sc, days=days, difficulty=difficulty, family=family)
    world, org, hs, intel, clock = sn.world, sn.org, sn.hs, sn.intel, sn.clock
    mob = hs.mob
    t0, t_end, e164 = sn.t0, sn.t_end, world.numbers_e164
    case_id = sn.case_id
    e164_index = {e: i for i, e in enumerate(e164)}
    lead_num = sn.number_at(org.seed_lead, t0)
    ent_ids = frozenset(e["id"] for e in intel.entities)
    tracked = _tracked_numbers(track, e164_index, hs, seed, lead_num, ent_ids)  # bad --track fails before writing
    out_dir.mkdir(parents=True, exist_ok=True)

    sources = _write_sources(sn, out_dir)
    cw, n_by_channel, calls = _write_comms(sn, seed, days, out_dir)
    lw = _write_locations(sn, seed, days, tracked, out_dir)
    sw = _write_sightings(sn, seed, days, out_dir)
    _write_case(sn, out_dir)

    # ---- truth.json
    from fusioncell.sim.truth import build_truth

    truth = build_truth(world, org, intel, clock, case_id=case_id, seed=seed, difficulty=difficulty,
                        scale=str(sc), days=days, t0=t0, t_end=t_end, tracked=[e for e, _ in tracked],
                        lead=e164[lead_num], sources=sources, mob=mob)
    truth["family"] = {"name": family or "baseline",
                       "params": {k: v for k, v in draw_family(family, seed).items()}}
    truth["tie_style"] = calls.style.as_dict()  # how each kind of tie calls (sim/families.py: tie_style)
    with open(out_dir / "truth.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(truth, ensure_ascii=False))
    seconds = round(time.perf_counter() - t_start, 2)
    return {
        "case_dir": str(out_dir), "case_id": case_id, "people": world.n_res,
        "counts": {"comms": cw.rows, **{f"comms_{k}": v for k, v in n_by_channel.items()}, "locations": lw.rows,
                   "sightings": sw.rows, "reports": len(intel.reports), "entities": len(intel.entities)},
        "tracked": [e for e, _ in tracked], "seconds": seconds,
    }


def _write_sources(sn: Scenario, out_dir: Path) -> list[dict[str, str]]:
    """sources.csv: the technical sources and the HUMINT ones, shuffled."""
    intel, rs, src_cdr, src_geo, src_uav, src_partner = sn.intel, sn.rs, sn.src_cdr, sn.src_geo, sn.src_uav, sn.src_partner
    # ---- sources.csv
    sources = [
        {"source_id": src_cdr, "agency": OWNER, "discipline": "SIGINT", "method": "carrier call detail records with serving cell",
         "reliability": "A", "releasable_to": PARTNER},
        {"source_id": src_geo, "agency": OWNER, "discipline": "GEOINT", "method": "carrier handset geolocation",
         "reliability": "B", "releasable_to": ""},
        {"source_id": src_uav, "agency": OWNER, "discipline": "IMINT", "method": "UAV electro-optical passes",
         "reliability": "B", "releasable_to": PARTNER},
        {"source_id": src_partner, "agency": PARTNER, "discipline": "SIGINT", "method": "partner collection (undisclosed)",
         "reliability": "B", "releasable_to": OWNER},
        {"source_id": sn.src_tracker, "agency": OWNER, "discipline": "GEOINT", "method": "covert vehicle GPS tracker",
         "reliability": "A", "releasable_to": ""},
    ]
    for s in intel.humint_sources:
        sources.append({"source_id": s["source_id"], "agency": s["agency"], "discipline": "HUMINT",
                        "method": "informant debrief", "reliability": s["reliability"],
                        "releasable_to": OWNER if s["agency"] == PARTNER else ""})
    sources = [sources[int(i)] for i in rs.permutation(len(sources))]
    cols = ["source_id", "agency", "discipline", "method", "reliability", "releasable_to"]
    pacsv.write_csv(pa.table({c: pa.array([s[c] for s in sources]) for c in cols}), str(out_dir / "sources.csv"),
                    write_options=pacsv.WriteOptions(quoting_style="needed"))
    return sources


def _write_comms(sn: Scenario, seed: int, days: int, out_dir: Path) -> tuple[Any, dict[str, int], Any]:
    """comms.csv, one day at a time: (the writer, counts per channel, the call model)."""
    world, org, hs, clock, e164 = sn.world, sn.org, sn.hs, sn.clock, sn.world.numbers_e164
    src_cdr, src_partner = sn.src_cdr, sn.src_partner
    # ---- comms.csv, one day at a time
    selectors = np.array([*org.lieutenants, *org.couriers, *org.bodyguards], np.int64)
    civ = gen(seed, "selectors").choice(world.n_res, size=min(world.n_res, 3 * len(selectors)), replace=False)
    calls = CallModel(hs, seed, np.concatenate([selectors, civ]))
    arr_e = pa.array(e164)
    arr_n = pa.array(world.numbers_nat)
    ch_names = pa.array(["call", "sms", "message"])
    texts = pa.array(list(MESSAGE_TEXTS), pa.string())
    comm_cols = ["event_id", "source_id", "start", "duration_s", "channel", "caller", "callee",
                 "caller_lat", "caller_lon", "callee_lat", "callee_lon", "content"]
    cw = _CsvOut(out_dir / "comms.csv", _schema(comm_cols, floats=tuple(comm_cols[7:11]), ints=("duration_s",)))
    rn = gen(seed, "national-format")
    n_by_channel = {"call": 0, "sms": 0, "message": 0}
    pair_counts: dict[tuple[int, int], int] = {}
    for d in range(days):
        ch = calls.day(d)
        m = len(ch.t)
        nat_a = rn.random(m) < 0.015
        nat_b = rn.random(m) < 0.015
        caller = pc.if_else(pa.array(nat_a), arr_n.take(pa.array(ch.caller)), arr_e.take(pa.array(ch.caller)))
        callee = pc.if_else(pa.array(nat_b), arr_n.take(pa.array(ch.callee)), arr_e.take(pa.array(ch.callee)))
        src = pc.if_else(pa.array(ch.partner_src), pa.scalar(src_partner), pa.scalar(src_cdr))
        cw.write({
            "event_id": _ids("c", cw.rows + 1, m), "source_id": src, "start": clock.iso_array(ch.t),
            "duration_s": pa.array(ch.duration_s), "channel": ch_names.take(pa.array(ch.channel.astype(np.int64))),
            "caller": caller, "callee": callee, "caller_lat": _coord(ch.caller_lat), "caller_lon": _coord(ch.caller_lon),
            "callee_lat": _coord(ch.callee_lat), "callee_lon": _coord(ch.callee_lon),
            "content": pc.if_else(pa.array(ch.content >= 0), texts.take(pa.array(np.maximum(ch.content, 0))),
                                  pa.scalar(None, pa.string())),
        })
        for code, name in ((CH_CALL, "call"), (CH_SMS, "sms"), (CH_MSG, "message")):
            n_by_channel[name] += int((ch.channel == code).sum())
        _ = pair_counts
    cw.close()
    return cw, n_by_channel, calls


def _write_locations(sn: Scenario, seed: int, days: int, tracked: list[tuple[str, int]], out_dir: Path) -> Any:
    """locations.csv: the fixes of the tracked handsets and vehicles."""
    world, hs, clock, src_geo = sn.world, sn.hs, sn.clock, sn.src_geo
    # ---- locations.csv for tracked identifiers
    loc_cols = ["event_id", "source_id", "observed", "identifier", "lat", "lon", "accuracy_m"]
    lw = _CsvOut(out_dir / "locations.csv", _schema(loc_cols, floats=("lat", "lon", "accuracy_m")))
    known = [(e, i) for e, i in tracked if i >= 0]
    cars = [(e, int(world.veh_owner[-2 - i])) for e, i in tracked if i <= -2]
    fx, which = track_fixes(hs, seed, known, days, cars)
    k = len(fx.t)
    o = np.lexsort((gen(seed, "fix-order").random(k), fx.t))
    fx.t, fx.lat, fx.lon, fx.accuracy_m, which = fx.t[o], fx.lat[o], fx.lon[o], fx.accuracy_m[o], which[o]
    idents = pa.array([e for e, _ in known] + [e for e, _ in cars], pa.string())
    srcs = pa.array([src_geo] * len(known) + [sn.src_tracker] * len(cars), pa.string())
    lw.write({"event_id": _ids("l", 1, k), "source_id": srcs.take(pa.array(which)),
              "observed": clock.iso_array(fx.t), "identifier": idents.take(pa.array(which)),
              "lat": _coord(fx.lat), "lon": _coord(fx.lon), "accuracy_m": pa.array(fx.accuracy_m)})
    lw.close()
    return lw


def _write_sightings(sn: Scenario, seed: int, days: int, out_dir: Path) -> Any:
    """sightings.csv: aerial passes over candidate sites chosen without regard to the truth."""
    world, hs, clock, src_uav = sn.world, sn.hs, sn.clock, sn.src_uav
    # ---- sightings.csv: candidate sites chosen without regard to the truth
    ra = gen(seed, "sightings-order")
    sites = candidate_sites(sn, seed)
    sites_xy = np.array([s[0] for s in sites], np.float64).reshape(-1, 2)
    sg = aerial(hs, seed, sites_xy, days, world.veh_owner)
    sw = _CsvOut(out_dir / "sightings.csv", _schema(["event_id", "source_id", "observed", "lat", "lon", "subject", "confidence", "note"],
                                                     floats=("lat", "lon", "confidence")))
    k = len(sg.t)
    order = np.lexsort((ra.random(k), sg.t)) if k else np.zeros(0, np.int64)
    plates = pa.array(["plate:" + p for p in world.plates])
    sw.write({"event_id": _ids("s", 1, k), "source_id": pa.array([src_uav] * k, pa.string()),
              "observed": clock.iso_array(sg.t[order]), "lat": _coord(sg.lat[order]), "lon": _coord(sg.lon[order]),
              "subject": plates.take(pa.array(sg.plate[order])), "confidence": pa.array(sg.confidence[order]),
              "note": pa.array([sg.note[int(i)] for i in order], pa.string())})
    sw.close()
    return sw


def _write_case(sn: Scenario, out_dir: Path) -> None:
    """reports.jsonl, entities.jsonl and case.toml."""
    world, org, intel, rs, case_id = sn.world, sn.org, sn.intel, sn.rs, sn.case_id
    # ---- reports.jsonl, entities.jsonl, case.toml
    with open(out_dir / "reports.jsonl", "w", encoding="utf-8") as f:
        for r in intel.reports:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(out_dir / "entities.jsonl", "w", encoding="utf-8") as f:
        for e in intel.entities:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    court = f"Federal court order {int(rs.integers(10, 999))}/{sn.start_local.year}"
    surname = world.last[org.target].split()[0].upper()
    (out_dir / "case.toml").write_text(
        "[case]\n"
        f'id = "{case_id}"\n'
        f'title = "Location of subject {surname}"\n'
        f'owner_agency = "{OWNER}"\n'
        f'legal_authority = "{court}"\n'
        f'timezone = "{TIMEZONE}"\n'
        'phone_region = "MX"\n\n'
        "[[targets]]\n"
        f'entity_id = "{intel.entity_of[org.target]}"\n',
        encoding="utf-8",
    )


_ = TIE_KINDS
