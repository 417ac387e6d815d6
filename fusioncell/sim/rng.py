"""Deterministic random streams for the simulator.

Every random quantity of the simulated world is derived from
``(seed, purpose, entity, ...)`` and never from the order in which things are
generated or from what is being collected. Two mechanisms:

* :func:`gen` — a :class:`numpy.random.Generator` for one *purpose* (building
  the towns, drawing the organisation, ...). Used where a whole array is drawn
  at once and its size does not depend on collection choices.
* :func:`hash_u` — a counter-based generator (SplitMix64 finaliser): a uniform
  number for any tuple of integer keys, vectorised. The position of person
  ``p`` at day ``d`` is the same whether or not anyone asks for it, so
  tracking a different phone never changes the world.

>>> a = hash_u(stream(7, "demo"), np.arange(3), 5)
>>> b = hash_u(stream(7, "demo"), np.arange(3), 5)
>>> bool((a == b).all()) and bool(((a >= 0) & (a < 1)).all())
True
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]


def _purpose_code(purpose: str) -> int:
    return zlib.crc32(purpose.encode("utf-8"))


def gen(seed: int, purpose: str) -> np.random.Generator:
    """A numpy Generator for one purpose of one seed (independent streams)."""
    ss = np.random.SeedSequence([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF, _purpose_code(purpose)])
    return np.random.default_rng(ss)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        x = x ^ (x >> _S30)
        x = x * _C1
        x = x ^ (x >> _S27)
        x = x * _C2
        x = x ^ (x >> _S31)
    return x


def stream(seed: int, purpose: str) -> int:
    """The integer key of a counter-based stream for ``(seed, purpose)``."""
    base = np.array([(seed & 0xFFFFFFFFFFFF) ^ (_purpose_code(purpose) << 32)], dtype=np.uint64)
    return int(_mix(_mix(base))[0])


def hash_u(key: int, *parts: Any) -> FArr:
    """Uniform [0, 1) numbers for integer key tuples ``parts`` (broadcast together)."""
    arrs = np.broadcast_arrays(*[np.asarray(p, dtype=np.int64) for p in parts])
    h = np.full(arrs[0].shape, key, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for a in arrs:
            h = _mix(h ^ (a.astype(np.uint64) + _GOLD))
    return (h >> _S11).astype(np.float64) * (1.0 / 9007199254740992.0)


def hash_normal(key: int, *parts: Any) -> FArr:
    """Standard normal numbers for key tuples (Box-Muller on two hashed uniforms)."""
    u1 = hash_u(key, *parts, 1)
    u2 = hash_u(key, *parts, 2)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
