"""Call records for the whole population, one local day at a time (vectorised).

Each person places calls at her own rate (lognormal across people, bursty
across days, quieter on Sundays) to contacts chosen in proportion to tie
strength. When and how long a call is depends on the kind of tie
(:func:`fusioncell.sim.families.tie_style`, drawn per seed): partners call
late at night and long, work calls keep to weekday business hours, friends
call in the evening and at weekends, family calls are long and spread over
the day, logistics calls are short, in the day, and come in bursts (a few
quick calls within minutes, on the days something moves). A call needs both handsets on, with their owners and in coverage;
its serving cells come from where the phones are. The partner agency's
messaging-app selectors turn part of its targets' traffic into ``message``
events that only it reports, without cell sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fusioncell.sim.families import tie_style
from fusioncell.sim.handsets import Handsets
from fusioncell.sim.names import MESSAGES_ERRAND, MESSAGES_EVERYDAY

MESSAGE_TEXTS = MESSAGES_EVERYDAY + MESSAGES_ERRAND
from fusioncell.sim.rng import gen, hash_normal, hash_u, stream
from fusioncell.sim.world import K_LOGISTICS

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]

_DIURNAL = np.array(
    [0.25, 0.12, 0.06, 0.05, 0.05, 0.1, 0.4, 1.0, 2.0, 3.0, 3.5, 3.6, 3.6, 3.4, 3.2, 3.2, 3.4, 3.6, 3.8, 3.8,
     3.4, 2.6, 1.6, 0.8]
)
_DOW = np.array([1.0, 1.0, 1.0, 1.02, 1.08, 0.92, 0.72])  # Mon..Sun

CH_CALL, CH_SMS, CH_MSG = 0, 1, 2


@dataclass
class CallChunk:
    """Calls of one day, time-sorted (random tie-breaks)."""

    t: IArr
    duration_s: IArr
    channel: npt.NDArray[np.int8]
    caller: IArr  # number index
    callee: IArr
    caller_p: IArr  # person index (truth)
    callee_p: IArr
    caller_lat: FArr
    caller_lon: FArr
    callee_lat: FArr
    callee_lon: FArr
    partner_src: npt.NDArray[np.bool_]
    content: IArr  # index into MESSAGE_TEXTS for intercepted messages, -1 otherwise


class CallModel:
    """Contact choice tables and the day-by-day call generator."""

    def __init__(self, hs: Handsets, seed: int, selectors: IArr) -> None:
        w = hs.w
        self.hs = hs
        self.seed = seed
        has = hs.org.has_phone
        a = np.concatenate([w.tie_a, w.tie_b])
        b = np.concatenate([w.tie_b, w.tie_a])
        wt = np.concatenate([w.tie_w, w.tie_w])
        kind = np.concatenate([w.tie_kind, w.tie_kind]).astype(np.int64)
        ok = has[a] & has[b] & (wt > 0)
        a, b, wt, kind = a[ok], b[ok], wt[ok], kind[ok]
        # quiet people are called less, too
        wt = wt * np.clip(w.rate_per_day[b] / np.median(w.rate_per_day), 0.03, 5.0)
        order = np.lexsort((b, a))
        a, b, wt, kind = a[order], b[order], wt[order], kind[order]
        n = w.n
        tot = np.bincount(a, weights=wt, minlength=n)
        cum = np.cumsum(wt)
        seg_start = np.searchsorted(a, np.arange(n), "left")
        before = np.where(seg_start > 0, cum[np.maximum(seg_start - 1, 0)], 0.0)
        within = (cum - before[a]) / tot[a]
        self.gcum = a.astype(np.float64) + within
        self.nb = b
        self.kind = kind  # tie kind of each (caller, contact) entry, world.TIE_KINDS
        self.style = tie_style(seed)
        st = self.style
        self.hour_cdf = np.cumsum(st.profile / st.profile.sum(axis=1, keepdims=True), axis=1)
        self.k_ops = stream(seed, "logistics-days")
        self.rate = np.where(has & (tot > 0), w.rate_per_day, 0.0)
        self.selector = np.zeros(n, bool)
        self.selector[selectors] = True
        self.member = np.zeros(n, bool)
        self.member[[p for p in hs.org.members if p != hs.org.target]] = True
        self.k_burst = stream(seed, "burst")

    def day(self, d: int) -> CallChunk:
        """All call events of local day ``d``."""
        hs = self.hs
        w = hs.w
        mob = hs.mob
        rng = gen(self.seed, f"calls:{d}")
        n = w.n
        dow = (mob.dow0 + d) % 7
        persons = np.arange(n)
        burst = np.exp(0.5 * hash_normal(self.k_burst, persons, d) - 0.125)
        lam = self.rate * _DOW[dow] * burst
        cnt = rng.poisson(lam)
        caller_p = np.repeat(persons, cnt)
        k = len(caller_p)
        u = rng.random(k)
        j = np.searchsorted(self.gcum, caller_p + u, "right")
        j = np.minimum(j, len(self.nb) - 1)
        callee_p = self.nb[j]
        caller_p, callee_p, kind, k = self._thin(rng, d, dow, caller_p, callee_p, self.kind[j])
        hour = rng.choice(24, size=k, p=_DIURNAL / _DIURNAL.sum())
        own = rng.random(k) < self.style.mix[kind]
        hour = np.where(own, (self.hour_cdf[kind] < rng.random(k)[:, None]).sum(axis=1), hour)
        sec = np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, k)
        t = mob.t0 + d * 86400 + sec
        caller_p, callee_p, kind, t = self._bursts(rng, caller_p, callee_p, kind, t)
        k = len(t)
        # which SIM each side uses
        slot_a = (hs.org.second_sim[caller_p] & (rng.random(k) < 0.3)).astype(np.int64)
        slot_b = (hs.org.second_sim[callee_p] & (rng.random(k) < 0.3)).astype(np.int64)
        num_a = hs.number(caller_p, slot_a, t)
        num_b = hs.number(callee_p, slot_b, t)
        keep = (num_a >= 0) & (num_b >= 0) & (callee_p != caller_p)
        keep &= hs.switched_on(caller_p, t) & hs.switched_on(callee_p, t)
        keep &= hs.can_call(caller_p, t) & hs.can_call(callee_p, t)
        cg = hs.org.closed_group
        if cg.size:  # a closed group switch: after it, its members' phones call only each other
            in_a, in_b = np.isin(caller_p, cg), np.isin(callee_p, cg)
            keep &= (t < hs.org.closed_from) | (in_a == in_b)
        idx = np.flatnonzero(keep)
        caller_p, callee_p, t, num_a, num_b, kind = (caller_p[idx], callee_p[idx], t[idx], num_a[idx], num_b[idx],
                                                     kind[idx])
        xa = mob.position(caller_p, t, phone=True)
        xb = mob.position(callee_p, t, phone=True)
        ext = w.ext
        away_a = np.isnan(xa[:, 0]) & ~ext[caller_p]
        away_b = np.isnan(xb[:, 0]) & ~ext[callee_p]
        ok = ~away_a & ~away_b & w.covered(xa) & w.covered(xb)
        idx = np.flatnonzero(ok)
        caller_p, callee_p, t, num_a, num_b, xa, xb, kind = (
            caller_p[idx], callee_p[idx], t[idx], num_a[idx], num_b[idx], xa[idx], xb[idx], kind[idx]
        )
        m = len(t)
        key = rng.integers(0, 2**62, m)
        la, loa = hs.serving_site(xa, key)
        lb, lob = hs.serving_site(xb, key + 1)
        ch = np.where(rng.random(m) < 0.10, CH_SMS, CH_CALL).astype(np.int8)
        sel = (self.selector[caller_p] | self.selector[callee_p]) & (rng.random(m) < 0.35)
        # intercepted texts: errand-like wording for a third of members' messages and 6% of everyone else's
        member = self.member[caller_p] | self.member[callee_p]
        errand = rng.random(m) < np.where(member, 0.33, 0.06)
        n_every, n_err = len(MESSAGES_EVERYDAY), len(MESSAGES_ERRAND)
        text = np.where(errand, n_every + rng.integers(0, n_err, m), rng.integers(0, n_every, m))
        text = np.where(sel, text, -1)
        ch[sel] = CH_MSG
        short = rng.random(m) < 0.15
        st = self.style
        long_s = np.exp(np.log(st.median_s[kind]) + st.sigma[kind] * rng.standard_normal(m))
        dur = np.where(short, rng.integers(1, 10, m), np.minimum(long_s, 7200).astype(np.int64) + 10)
        dur = np.where(ch == CH_CALL, dur, 0)
        for arr in (la, loa, lb, lob):
            arr[sel] = np.nan
        order = np.lexsort((rng.random(m), t))
        return CallChunk(
            t=t[order], duration_s=dur[order].astype(np.int64), channel=ch[order], caller=num_a[order],
            callee=num_b[order], caller_p=caller_p[order], callee_p=callee_p[order], caller_lat=la[order],
            caller_lon=loa[order], callee_lat=lb[order], callee_lon=lob[order], partner_src=sel[order],
            content=text[order],
        )

    def _thin(self, rng: np.random.Generator, d: int, dow: int, caller_p: IArr, callee_p: IArr,
              kind: IArr) -> tuple[IArr, IArr, IArr, int]:
        """Drop calls by the kind's day-of-week keep rate; a logistics tie is busy on its operation days only."""
        st = self.style
        keep_p = (st.keep_weekend if dow >= 5 else st.keep_weekday)[kind]
        logi = kind == K_LOGISTICS
        if logi.any():
            op = hash_u(self.k_ops, np.minimum(caller_p, callee_p), np.maximum(caller_p, callee_p), d) < st.op_days
            keep_p = np.where(logi & ~op, keep_p * st.off_keep, keep_p)
        keep = rng.random(len(kind)) < keep_p
        return caller_p[keep], callee_p[keep], kind[keep], int(keep.sum())

    def _bursts(self, rng: np.random.Generator, caller_p: IArr, callee_p: IArr, kind: IArr,
                t: IArr) -> tuple[IArr, IArr, IArr, IArr]:
        """Logistics calls come in bursts: 1-3 quick follow-ups within minutes, either side calling."""
        st = self.style
        k = len(t)
        n_f = np.where((kind == K_LOGISTICS) & (rng.random(k) < st.follow_p), rng.integers(1, 4, k), 0)
        src = np.repeat(np.arange(k), n_f)
        if not len(src):
            return caller_p, callee_p, kind, t
        lo, hi = st.follow_gap_s
        step = rng.integers(lo, hi, len(src))
        rank = np.arange(len(src)) - np.repeat(np.cumsum(n_f) - n_f, n_f)  # 0, 1, 2 within one burst
        flip = rng.random(len(src)) < 0.5
        fa = np.where(flip, callee_p[src], caller_p[src])
        fb = np.where(flip, caller_p[src], callee_p[src])
        tf = t[src] + step * (rank + 1)
        day_end = t[src] - (t[src] - self.hs.mob.t0) % 86400 + 86399
        tf = np.minimum(tf, day_end)
        return (np.concatenate([caller_p, fa]), np.concatenate([callee_p, fb]), np.concatenate([kind, kind[src]]),
                np.concatenate([t, tf]))

    def days(self, n_days: int) -> Iterator[CallChunk]:
        """Chunks for days 0..n_days-1."""
        for d in range(n_days):
            yield self.day(d)
