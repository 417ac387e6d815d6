"""Co-locations and meetings: who was where at the same time as whom.

A **co-location** (a *hit*) is a pair of positional observations of two
different identifiers, within ``max_dist_m`` and ``max_dt_s`` of each other.
Hits are found by one relational join, written once in Ibis so that it runs
on DuckDB (default) and on Spark (:class:`fusioncell.store.engine.SparkEngine`)
with identical results:

* each position gets int64 metric grid coordinates ``(ix, iy)`` of cells of
  ``max_dist_m`` (a local equirectangular projection) and a time bucket
  ``tb`` of ``max_dt_s``;
* the 14 offsets of a half neighbourhood in ``(dx, dy, dt)`` (the zero offset
  and 13 of the 26 others) are joined to one side, so every candidate pair is
  generated exactly once, and exact distance and time filters follow.

Hits farther apart than ``meet_radius_m + gate_z * hypot(acc_a, acc_b)``
are dropped (they are "nearby", not "together"). Each hit carries the probability that the two were truly within
``meet_radius_m`` of each other (:func:`fusioncell.spacetime.geo.p_within`
with both sides' ``accuracy_m``), times the sightings' confidences. A fine
fix next to a coarse cell site gets a low probability even at distance 0,
because the cell site only says "somewhere in this tower's area".

A **meeting** is a co-location that lasts: hits of one pair are chained
while consecutive hits are at most ``episode_gap_s`` apart; an episode
in which *both* identifiers are observed over at least ``min_meeting_s``
(``both_seen_s``; one plate sighting next to a tracked phone is a
co-location, not a meeting) with at least ``min_hits`` hits is a
meeting. Its probability ``p`` weighs the whole episode: each hit gives a
likelihood ratio between "together" (the observed separation is only
positional error, Gaussian with both sides' accuracy) and "merely nearby"
(anywhere within ``max_dist_m``), ``LR = max_dist^2 / (2 s^2) *
exp(-d^2 / (2 s^2))``; the episode's log LR is the mean over hits times the
number of independent observations (distinct events of the less observed
side), and ``p`` is the posterior from ``prior_together``. Precise fixes
a few metres apart quickly make a meeting almost certain; 400 m fixes need
many hits; cell sites (km) can never make one likely (``LR < 1``). Also
given: ``p_hit_mean`` (mean per-hit chance of being within
``meet_radius_m``), ``p_any`` (noisy-OR, an upper bound) and ``p_max``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fusioncell.spacetime._sql import settle
from fusioncell.spacetime.geo import LocalGrid, p_within
from fusioncell.spacetime.positions import PositionParams, case_grid, positions
from fusioncell.store import CaseStore

if TYPE_CHECKING:  # Ibis is imported by colocation_expr: the network CLI imports this module, never the join
    import ibis.expr.types as ir

#: Half of the 3x3x3 neighbourhood plus the zero offset: each unordered cell pair once.
HALF_OFFSETS: list[tuple[int, int, int]] = [
    (dx, dy, dt)
    for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (-1, 0, 1)
    if (dt, dy, dx) >= (0, 0, 0)
]


@dataclass(frozen=True, slots=True)
class ColocationParams:
    """Thresholds of co-location and meeting detection."""

    max_dist_m: float = 1000.0
    max_dt_s: float = 900.0
    meet_radius_m: float = 100.0
    #: Hits farther apart than ``meet_radius_m + gate_z * hypot(acc_a, acc_b)`` are dropped.
    gate_z: float = 2.0
    #: Hits below this probability are dropped.
    min_p: float = 0.0
    episode_gap_s: float = 2700.0
    min_meeting_s: float = 1200.0
    min_hits: int = 2
    #: Meetings whose posterior ``p`` is below this are not reported.
    min_meeting_p: float = 0.5
    #: Prior probability that two identifiers co-located within ``max_dist_m``
    #: over a whole episode were really together (the meeting posterior's prior).
    prior_together: float = 0.5
    #: Which kinds of positions to use.
    kinds: tuple[str, ...] = ("fix", "cell", "sighting")
    #: Pair coarse cell-site positions with each other (weak, numerous).
    coarse_pairs: bool = False


def prepare_positions(pos: pa.Table, grid: LocalGrid, bucket_s: float) -> pa.Table:
    """Add ``x, y`` (m), ``ix, iy`` (cells) and ``tb`` (time bucket) and ``ts`` (epoch s) to a positions table."""
    lat = pos.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = pos.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
    x, y = grid.xy(lat, lon)
    ts = pc.cast(pc.cast(pos.column("t"), pa.timestamp("us", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)
    tsec = ts / 1e6
    fine = np.asarray(pc.equal(pos.column("precision"), "fine").to_numpy(zero_copy_only=False), dtype=bool)
    return pa.table({
        "identifier": pos.column("identifier"),
        "ts": tsec,
        "x": x, "y": y,
        "ix": np.floor(x / grid.cell_m).astype(np.int64),
        "iy": np.floor(y / grid.cell_m).astype(np.int64),
        "tb": np.floor(tsec / bucket_s).astype(np.int64),
        "acc": pos.column("accuracy_m").to_numpy(zero_copy_only=False).astype(np.float64),
        "conf": pos.column("confidence").to_numpy(zero_copy_only=False).astype(np.float64),
        "fine": fine,
        "kind": pos.column("kind"),
        "event_id": pos.column("event_id"),
    })


def colocation_expr(pos: ir.Table, offsets: ir.Table, max_dist_m: float, max_dt_s: float,
                    coarse_pairs: bool = False) -> ir.Table:
    """The co-location join as an Ibis expression (engine independent).

    ``pos`` has the columns of :func:`prepare_positions`; ``offsets`` has
    ``dx, dy, dt`` (:data:`HALF_OFFSETS`). Returns one row per unordered
    pair of observations of different identifiers: ``id_a < id_b`` with
    their events, times, distance and accuracies.
    """
    import ibis

    a = pos.cross_join(offsets).mutate(
        kx=lambda t: t.ix + t.dx, ky=lambda t: t.iy + t.dy, kt=lambda t: t.tb + t.dt
    )
    b = pos.rename(lambda c: f"{c}_b")
    j = a.join(b, [a.kx == b.ix_b, a.ky == b.iy_b, a.kt == b.tb_b])
    j = j.filter(j.identifier != j.identifier_b)
    if not coarse_pairs:
        j = j.filter(j.fine | j.fine_b)
    dx = j.x - j.x_b
    dy = j.y - j.y_b
    dist = (dx * dx + dy * dy).sqrt()
    dts = (j.ts - j.ts_b).abs()
    # zero offset pairs both cells with themselves: keep each unordered pair once
    same_cell = (j.dx == 0) & (j.dy == 0) & (j.dt == 0)
    j = j.filter((dist <= max_dist_m) & (dts <= max_dt_s)
                 & (~same_cell | (j.identifier < j.identifier_b)
                    | ((j.identifier == j.identifier_b) & (j.event_id < j.event_id_b))))
    swap = j.identifier > j.identifier_b
    return j.select(
        id_a=ibis.ifelse(swap, j.identifier_b, j.identifier),
        id_b=ibis.ifelse(swap, j.identifier, j.identifier_b),
        event_a=ibis.ifelse(swap, j.event_id_b, j.event_id),
        event_b=ibis.ifelse(swap, j.event_id, j.event_id_b),
        kind_a=ibis.ifelse(swap, j.kind_b, j.kind),
        kind_b=ibis.ifelse(swap, j.kind, j.kind_b),
        ts_a=ibis.ifelse(swap, j.ts_b, j.ts),
        ts_b=ibis.ifelse(swap, j.ts, j.ts_b),
        acc_a=ibis.ifelse(swap, j.acc_b, j.acc),
        acc_b=ibis.ifelse(swap, j.acc, j.acc_b),
        conf=j.conf * j.conf_b,
        x=(j.x + j.x_b) / 2.0,
        y=(j.y + j.y_b) / 2.0,
        distance_m=dist,
        dt_s=dts,
    )


def offsets_table() -> pa.Table:
    """The half-neighbourhood offsets as an Arrow table."""
    o = np.array(HALF_OFFSETS, dtype=np.int64)
    return pa.table({"dx": o[:, 0], "dy": o[:, 1], "dt": o[:, 2]})


def _engine(store: CaseStore, engine: Any | None) -> Any:
    """``engine``, else the store's (DuckDB unless ``fusioncell --engine spark``)."""
    return engine if engine is not None else store.engine()


def colocations(store: CaseStore, ids: Sequence[str] | None = None, params: ColocationParams = ColocationParams(),
                *, engine: Any | None = None, position_params: PositionParams = PositionParams(),
                pos: pa.Table | None = None) -> pa.Table:
    """All co-location hits (pairs of observations), with probabilities.

    Parameters
    ----------
    store : the case store
    ids : if given, keep only pairs with at least one of these identifiers
    params : thresholds
    engine : a :class:`fusioncell.store.engine.DuckDBEngine` (default) or ``SparkEngine``
    pos : precomputed positions (default: :func:`positions` of the store)

    Returns
    -------
    pyarrow.Table
        ``id_a, id_b, t_a, t_b, event_a, event_b, kind_a, kind_b, lat, lon,
        distance_m, dt_s, acc_a, acc_b, p`` sorted by pair and time.
    """
    settle(store.con)
    eng = _engine(store, engine)
    if pos is None:
        pos = positions(store, None, params.kinds, position_params, engine=eng)
    grid = case_grid(store, params.max_dist_m, engine=eng)
    prep = prepare_positions(pos, grid, params.max_dt_s)
    p_tbl = eng.from_arrow(prep, "copos")
    o_tbl = eng.from_arrow(offsets_table(), "cooff")
    expr = colocation_expr(p_tbl, o_tbl, params.max_dist_m, params.max_dt_s, params.coarse_pairs)
    if ids is not None:
        idl = list(ids)
        expr = expr.filter(expr.id_a.isin(idl) | expr.id_b.isin(idl))
    hits = eng.to_arrow(expr.order_by(["id_a", "id_b", "ts_a", "ts_b", "event_a", "event_b"]))
    return finish_hits(hits, grid, params)


def finish_hits(hits: pa.Table, grid: LocalGrid, params: ColocationParams) -> pa.Table:
    """Probabilities, times and coordinates of raw join rows (numpy)."""
    n = hits.num_rows
    d = hits.column("distance_m").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0)
    aa = hits.column("acc_a").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0)
    ab = hits.column("acc_b").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0)
    conf = hits.column("conf").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0)
    p = p_within(d, aa, ab, params.meet_radius_m) * conf if n else np.zeros(0)
    x = hits.column("x").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0)
    y = hits.column("y").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0)
    lat, lon = grid.latlon(x, y)

    def ts(col: str) -> pa.Array:
        v = hits.column(col).to_numpy(zero_copy_only=False) if n else np.zeros(0)
        return pa.array(np.round(np.asarray(v, dtype=float) * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC"))

    out = pa.table({
        "id_a": hits.column("id_a") if n else pa.array([], pa.string()),
        "id_b": hits.column("id_b") if n else pa.array([], pa.string()),
        "t_a": ts("ts_a"), "t_b": ts("ts_b"),
        "event_a": hits.column("event_a") if n else pa.array([], pa.string()),
        "event_b": hits.column("event_b") if n else pa.array([], pa.string()),
        "kind_a": hits.column("kind_a") if n else pa.array([], pa.string()),
        "kind_b": hits.column("kind_b") if n else pa.array([], pa.string()),
        "lat": lat, "lon": lon,
        "distance_m": d, "dt_s": hits.column("dt_s").to_numpy(zero_copy_only=False).astype(float) if n else np.zeros(0),
        "acc_a": aa, "acc_b": ab, "p": p,
    })
    if n:
        gate = d <= params.meet_radius_m + params.gate_z * np.hypot(aa, ab)
        if params.min_p > 0:
            gate &= p >= params.min_p
        out = out.filter(pa.array(gate))
    return out


def meetings_from_hits(hits: pa.Table, params: ColocationParams = ColocationParams()) -> pa.Table:
    """Group hits of each pair into episodes; episodes that last are meetings (numpy, no loop).

    Returns one row per meeting: ``id_a, id_b, start, end, duration_s, n_hits,
    lat, lon, p, p_any, p_max, precision, kinds, event_ids``.
    """
    n = hits.num_rows
    if n == 0:
        return _empty_meetings()
    a = np.asarray(hits.column("id_a").to_pylist(), dtype=object)
    b = np.asarray(hits.column("id_b").to_pylist(), dtype=object)
    ta = pc.cast(pc.cast(hits.column("t_a"), pa.timestamp("us", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)
    tb = pc.cast(pc.cast(hits.column("t_b"), pa.timestamp("us", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)
    tmin = np.minimum(ta, tb)
    tmax = np.maximum(ta, tb)
    order = np.lexsort((tmin, b, a))
    a, b, tmin, tmax, ta, tb = a[order], b[order], tmin[order], tmax[order], ta[order], tb[order]
    p = hits.column("p").to_numpy(zero_copy_only=False)[order]
    lat = hits.column("lat").to_numpy(zero_copy_only=False)[order]
    lon = hits.column("lon").to_numpy(zero_copy_only=False)[order]
    dist = hits.column("distance_m").to_numpy(zero_copy_only=False)[order]
    s2 = (hits.column("acc_a").to_numpy(zero_copy_only=False)[order] ** 2
          + hits.column("acc_b").to_numpy(zero_copy_only=False)[order] ** 2) / 1.5096 ** 2
    s2 = np.maximum(s2, 1.0)
    # log likelihood ratio "together" (separation ~ N(0, s2)) vs "somewhere within max_dist_m" (uniform disc)
    llr = np.log(params.max_dist_m ** 2 / (2.0 * s2)) - dist * dist / (2.0 * s2)
    ka = np.asarray(hits.column("kind_a").to_pylist(), dtype=object)[order]
    kb = np.asarray(hits.column("kind_b").to_pylist(), dtype=object)[order]
    ea = np.asarray(hits.column("event_a").to_pylist(), dtype=object)[order]
    eb = np.asarray(hits.column("event_b").to_pylist(), dtype=object)[order]
    newpair = np.ones(n, dtype=bool)
    newpair[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    # running max of tmax within each pair: shift every pair past the previous one, one global accumulate
    pair_no = (np.cumsum(newpair) - 1).astype(np.int64)
    t0 = int(tmin.min())
    span = int(tmax.max()) - t0 + 1
    shift = pair_no * span
    run_end = np.maximum.accumulate(tmax - t0 + shift) - shift + t0
    gap_us = params.episode_gap_s * 1e6
    newep = newpair.copy()
    newep[1:] |= (tmin[1:] - run_end[:-1]) > gap_us
    ep = np.cumsum(newep) - 1
    k = int(ep[-1] + 1)
    first = np.flatnonzero(newep)
    start = np.minimum.reduceat(tmin, first)
    end = np.maximum.reduceat(tmax, first)
    nh = np.bincount(ep, minlength=k)
    pm = np.bincount(ep, p, minlength=k) / nh
    pmax = np.maximum.reduceat(p, first)
    logq = np.bincount(ep, np.log1p(-np.minimum(p, 1 - 1e-12)), minlength=k)
    w = np.maximum(p, 1e-12)
    mlat = np.bincount(ep, w * lat, minlength=k) / np.bincount(ep, w, minlength=k)
    mlon = np.bincount(ep, w * lon, minlength=k) / np.bincount(ep, w, minlength=k)
    # independent evidence: the distinct observations of the less observed side
    ua = np.unique(np.stack([ep, np.unique(ea, return_inverse=True)[1].reshape(-1)], axis=1), axis=0)[:, 0]
    ub = np.unique(np.stack([ep, np.unique(eb, return_inverse=True)[1].reshape(-1)], axis=1), axis=0)[:, 0]
    n_eff = np.minimum(np.bincount(ua, minlength=k), np.bincount(ub, minlength=k))
    ep_llr = np.bincount(ep, llr, minlength=k) / nh * n_eff
    prior = min(max(params.prior_together, 1e-9), 1 - 1e-9)
    logit = ep_llr + np.log(prior / (1 - prior))
    p_together = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
    fine_pair = (ka != "cell") & (kb != "cell")
    n_fine = np.bincount(ep, fine_pair.astype(float), minlength=k)
    # a meeting lasts on both sides: the shorter of the two observation spans
    span_a = np.maximum.reduceat(ta, first) - np.minimum.reduceat(ta, first)
    span_b = np.maximum.reduceat(tb, first) - np.minimum.reduceat(tb, first)
    dur = (end - start) / 1e6
    lasting = np.minimum(span_a, span_b) / 1e6
    keep = (lasting >= params.min_meeting_s) & (nh >= params.min_hits) & (p_together >= params.min_meeting_p)
    evs = np.stack([ea, eb], axis=1).reshape(-1)
    offsets = np.concatenate([[0], np.cumsum(nh) * 2]).astype(np.int32)
    ev_list = pa.ListArray.from_arrays(pa.array(offsets), pa.array(evs.tolist(), pa.string()))
    out = pa.table({
        "id_a": pa.array(a[first].tolist(), pa.string()),
        "id_b": pa.array(b[first].tolist(), pa.string()),
        "start": pa.array(start, pa.timestamp("us", tz="UTC")),
        "end": pa.array(end, pa.timestamp("us", tz="UTC")),
        "duration_s": dur,
        "both_seen_s": lasting,
        "n_hits": nh.astype(np.int64),
        "n_fine_hits": n_fine.astype(np.int64),
        "lat": mlat, "lon": mlon,
        "p": p_together, "llr": ep_llr, "n_independent": n_eff.astype(np.int64),
        "p_hit_mean": pm, "p_any": 1.0 - np.exp(logq), "p_max": pmax,
        "precision": pa.array(np.where(n_fine > 0, "fine", "coarse").tolist(), pa.string()),
        "event_ids": ev_list,
    })
    return out.filter(pa.array(keep))


def _empty_meetings() -> pa.Table:
    return pa.table({
        "id_a": pa.array([], pa.string()), "id_b": pa.array([], pa.string()),
        "start": pa.array([], pa.timestamp("us", tz="UTC")), "end": pa.array([], pa.timestamp("us", tz="UTC")),
        "duration_s": pa.array([], pa.float64()),
        "both_seen_s": pa.array([], pa.float64()), "n_hits": pa.array([], pa.int64()),
        "n_fine_hits": pa.array([], pa.int64()),
        "lat": pa.array([], pa.float64()), "lon": pa.array([], pa.float64()),
        "p": pa.array([], pa.float64()), "llr": pa.array([], pa.float64()),
        "n_independent": pa.array([], pa.int64()), "p_hit_mean": pa.array([], pa.float64()), "p_any": pa.array([], pa.float64()), "p_max": pa.array([], pa.float64()),
        "precision": pa.array([], pa.string()), "event_ids": pa.array([], pa.list_(pa.string())),
    })


def meetings(store: CaseStore, ids: Sequence[str] | None = None, params: ColocationParams = ColocationParams(),
             *, engine: Any | None = None) -> pa.Table:
    """Meetings (co-locations that last) between identifiers, with probabilities.

    ``ids`` keeps meetings involving at least one of them (default: all).

    Examples
    --------
    >>> from fusioncell.store import CaseStore
    >>> meetings(CaseStore.memory()).num_rows
    0
    """
    hits = colocations(store, ids, params, engine=engine)
    return meetings_from_hits(hits, params)
