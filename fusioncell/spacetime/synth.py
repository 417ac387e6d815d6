"""Tiny hand-made case stores for tests, docs examples and benchmarks.

:class:`StoreBuilder` inserts rows into an in-memory :class:`CaseStore`
following :mod:`fusioncell.store.schema`, so spacetime functions can be
exercised without ingest or the simulator.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count
from pathlib import Path

import numpy as np
import pyarrow as pa

from fusioncell.store import CaseStore

UTC = timezone.utc


class StoreBuilder:
    """Build a small case store row by row (not for hot paths).

    >>> b = StoreBuilder(tz="UTC")
    >>> b.dwell("+1", datetime(2026, 1, 1, tzinfo=UTC), hours=2, lat=10.0, lon=10.0)
    >>> b.store.count("locations")
    13
    """

    def __init__(self, tz: str = "America/Mexico_City", source_id: str = "geo-01",
                 path: Path | None = None) -> None:
        self.store = CaseStore.open(path) if path is not None else CaseStore.memory()
        self._ids = count(1)
        self.store.con.execute(
            "INSERT INTO case_info (case_id, title, owner_agency, legal_authority, timezone, phone_region)"
            " VALUES ('test-case', 'test', 'AG', 'court order', ?, 'MX')", [tz]
        )
        self.store.con.execute(
            "INSERT INTO sources (source_id, agency, discipline, method, reliability, releasable_to, line)"
            " VALUES (?, 'AG', 'GEOINT', 'tracker', 'B', ['AG'], 1)", [source_id]
        )
        self.source_id = source_id

    def fixes(self, identifier: str, times: list[datetime] | np.ndarray, lat: np.ndarray, lon: np.ndarray,
              accuracy_m: float | np.ndarray = 30.0) -> None:
        """Insert fixes of one identifier (vectorised through Arrow)."""
        n = len(times)
        acc = np.broadcast_to(np.asarray(accuracy_m, dtype=float), (n,))
        ev = [f"loc-{next(self._ids)}" for _ in range(n)]
        tbl = pa.table({
            "event_id": ev, "source_id": [self.source_id] * n, "agency": ["AG"] * n,
            "observed": pa.array(list(times), pa.timestamp("us", tz="UTC")),
            "identifier": [identifier] * n, "lat": np.asarray(lat, float), "lon": np.asarray(lon, float),
            "accuracy_m": acc,
        })
        self.store.con.register("_b", tbl)
        self.store.con.execute(
            "INSERT INTO locations (event_id, source_id, agency, observed, identifier, lat, lon, accuracy_m) "
            "SELECT * FROM _b"
        )
        self.store.con.unregister("_b")

    def dwell(self, identifier: str, start: datetime, hours: float, lat: float, lon: float,
              every_min: float = 10.0, accuracy_m: float = 30.0, jitter_m: float = 0.0, seed: int = 0) -> None:
        """Fixes every ``every_min`` minutes at one spot for ``hours`` hours."""
        n = int(hours * 60 / every_min) + 1
        times = [start + timedelta(minutes=every_min * i) for i in range(n)]
        rng = np.random.default_rng(seed)
        j = jitter_m / 111_000.0
        self.fixes(identifier, times, lat + rng.normal(0, j, n) if j else np.full(n, lat),
                   lon + rng.normal(0, j, n) if j else np.full(n, lon), accuracy_m)

    def call(self, caller: str, callee: str, start: datetime, caller_pos: tuple[float, float] | None = None,
             callee_pos: tuple[float, float] | None = None, duration_s: float = 60.0) -> None:
        """Insert one call record with optional serving-cell positions."""
        self.store.con.execute(
            "INSERT INTO comms (event_id, source_id, agency, start, duration_s, channel, caller, callee, "
            "caller_lat, caller_lon, callee_lat, callee_lon) VALUES (?, ?, 'AG', ?, ?, 'call', ?, ?, ?, ?, ?, ?)",
            [f"cdr-{next(self._ids)}", self.source_id, start, duration_s, caller, callee,
             *(caller_pos or (None, None)), *(callee_pos or (None, None))],
        )

    def sighting(self, subject: str, when: datetime, lat: float, lon: float, confidence: float = 0.9) -> None:
        """Insert one sighting."""
        self.store.con.execute(
            "INSERT INTO sightings (event_id, source_id, agency, observed, lat, lon, subject, confidence) "
            "VALUES (?, ?, 'AG', ?, ?, ?, ?, ?)",
            [f"sig-{next(self._ids)}", self.source_id, when, lat, lon, subject, confidence],
        )
