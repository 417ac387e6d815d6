"""Call records for the whole population, one local day at a time (vectorised).

Each person places calls at her own rate (lognormal across people, bursty
across days, quieter on Sundays) to contacts chosen in proportion to tie
strength. A call needs both handsets on, with their owners and in coverage;
its serving cells come from where the phones are. The partner agency's
messaging-app selectors turn part of its targets' traffic into ``message``
events that only it reports, without cell sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fusioncell.sim.handsets import Handsets
from fusioncell.sim.names import MESSAGES_ERRAND, MESSAGES_EVERYDAY

MESSAGE_TEXTS = MESSAGES_EVERYDAY + MESSAGES_ERRAND
from fusioncell.sim.rng import gen, hash_normal, stream

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
        ok = has[a] & has[b] & (wt > 0)
        a, b, wt = a[ok], b[ok], wt[ok]
        # quiet people are called less, too
        wt = wt * np.clip(w.rate_per_day[b] / np.median(w.rate_per_day), 0.03, 5.0)
        order = np.lexsort((b, a))
        a, b, wt = a[order], b[order], wt[order]
        n = w.n
        tot = np.bincount(a, weights=wt, minlength=n)
        cum = np.cumsum(wt)
        seg_start = np.searchsorted(a, np.arange(n), "left")
        before = np.where(seg_start > 0, cum[np.maximum(seg_start - 1, 0)], 0.0)
        within = (cum - before[a]) / tot[a]
        self.gcum = a.astype(np.float64) + within
        self.nb = b
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
        hour = rng.choice(24, size=k, p=_DIURNAL / _DIURNAL.sum())
        sec = hour * 3600 + rng.integers(0, 3600, k)
        t = mob.t0 + d * 86400 + sec
        # which SIM each side uses
        slot_a = (hs.org.second_sim[caller_p] & (rng.random(k) < 0.3)).astype(np.int64)
        slot_b = (hs.org.second_sim[callee_p] & (rng.random(k) < 0.3)).astype(np.int64)
        num_a = hs.number(caller_p, slot_a, t)
        num_b = hs.number(callee_p, slot_b, t)
        keep = (num_a >= 0) & (num_b >= 0) & (callee_p != caller_p)
        keep &= hs.switched_on(caller_p, t) & hs.switched_on(callee_p, t)
        keep &= hs.can_call(caller_p, t) & hs.can_call(callee_p, t)
        idx = np.flatnonzero(keep)
        caller_p, callee_p, t, num_a, num_b = caller_p[idx], callee_p[idx], t[idx], num_a[idx], num_b[idx]
        xa = mob.position(caller_p, t, phone=True)
        xb = mob.position(callee_p, t, phone=True)
        ext = w.ext
        away_a = np.isnan(xa[:, 0]) & ~ext[caller_p]
        away_b = np.isnan(xb[:, 0]) & ~ext[callee_p]
        ok = ~away_a & ~away_b & w.covered(xa) & w.covered(xb)
        idx = np.flatnonzero(ok)
        caller_p, callee_p, t, num_a, num_b, xa, xb = (
            caller_p[idx], callee_p[idx], t[idx], num_a[idx], num_b[idx], xa[idx], xb[idx]
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
        dur = np.where(short, rng.integers(1, 10, m), np.minimum(rng.lognormal(np.log(75.0), 1.0, m), 7200).astype(np.int64) + 10)
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

    def days(self, n_days: int) -> Iterator[CallChunk]:
        """Chunks for days 0..n_days-1."""
        for d in range(n_days):
            yield self.day(d)
