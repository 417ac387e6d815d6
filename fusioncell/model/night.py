"""What a *night* is: the one definition every stage uses.

* **Night-time** is local 21:00 to 06:00 (``NIGHT.from_h`` ≤ hour or hour <
  ``NIGHT.to_h``). A row at night-time belongs to the night of the evening
  before: its *night key* is the local date of ``local time − 12 h``.
* **The small hours** (``NIGHT.core_from_h`` to ``NIGHT.core_to_h``, 01:00
  to 04:00) decide where a night was *spent*: a handset seen at a place at
  21:30 and next seen 30 km away at 07:00 did not spend the night there
  (:func:`fusioncell.infer.nights.stayed_the_night`); a silence covering
  them is a silent night (``infer/silences.partner_silent_nights``).

Used by locate's positions and features (``infer/evidence.py``,
``infer/nights.py``, ``infer/features.py``), the circle's away nights
(``infer/circle.py``), the places' home role and the town cells
(``spacetime/places.py``), and the network's ``night_share`` and home cell
(``network/edges.py``, ``store/plans/network.py``).

Examples
--------
>>> NIGHT.hours()
(21, 22, 23, 0, 1, 2, 3, 4, 5)
>>> NIGHT.sql("lt")
'(hour(lt) >= 21 OR hour(lt) < 6)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class NightWindow:
    """Local hours of night-time ``[from_h, 24) ∪ [0, to_h)`` and the small hours ``[core_from_h, core_to_h)``."""

    from_h: int = 21
    to_h: int = 6
    core_from_h: int = 1
    core_to_h: int = 4
    #: Daytime ``[day_from_h, day_to_h)``: where a person lives her days (a home counts them beside its nights).
    day_from_h: int = 9
    day_to_h: int = 18

    def hours(self) -> tuple[int, ...]:
        """The local hours of night-time, evening first."""
        return tuple(range(self.from_h, 24)) + tuple(range(0, self.to_h))

    def sql(self, local: str) -> str:
        """SQL: is the local wall-clock time ``local`` night-time?"""
        return f"(hour({local}) >= {self.from_h} OR hour({local}) < {self.to_h})"

    def is_day(self, local_hour: "npt.NDArray[np.int64]") -> "npt.NDArray[np.bool_]":
        """Is a local wall-clock hour daytime?

        >>> import numpy as np
        >>> NIGHT.is_day(np.array([8, 9, 17, 18])).tolist()
        [False, True, True, False]
        """
        return (local_hour >= self.day_from_h) & (local_hour < self.day_to_h)

    def day_sql(self, local: str) -> str:
        """SQL: is the local wall-clock time ``local`` daytime?"""
        return f"(hour({local}) >= {self.day_from_h} AND hour({local}) < {self.day_to_h})"

    @staticmethod
    def night_of_sql(local: str) -> str:
        """SQL: the night (local date of the evening) a local wall-clock time belongs to."""
        return f"CAST({local} - INTERVAL 12 HOUR AS DATE)"


#: The night of every stage.
NIGHT = NightWindow()
