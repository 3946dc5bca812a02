"""Local wall-clock time to UTC and back, vectorised over many members and days, DST included.

Viewing happens at local times (evening peaks, weekends) but is stored in UTC. For each IANA zone
the clock precomputes the UTC offset in force over the whole period, as a sorted list of
transitions found with :mod:`zoneinfo` (one call per zone and day, refined to 15 minutes where
the offset changes). Conversions are then a single ``searchsorted`` per array.

All times here are integer seconds since the Unix epoch (1970-01-01T00:00:00). "Local seconds"
are the wall-clock reading written as if it were UTC, so local midnight of a date is a multiple
of 86,400.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["DAY", "Clock", "epoch_day"]

DAY = 86_400  #: seconds in a (civil) day
_STEP = 900  #: refinement step in seconds (all zones used change offset on a quarter hour)
_EPOCH = dt.date(1970, 1, 1)


def epoch_day(date: dt.date) -> int:
    """Days from 1970-01-01 to ``date``."""
    return (date - _EPOCH).days


def _offset(zone: ZoneInfo, utc_s: int) -> int:
    """UTC offset in seconds of ``zone`` at the instant ``utc_s``."""
    moment = dt.datetime.fromtimestamp(utc_s, tz=zone)
    delta = moment.utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


class Clock:
    """UTC offsets of a fixed list of zones over ``[start - 2 days, start + days + 2 days)``.

    >>> clock = Clock(("America/New_York",), dt.date(2017, 3, 1), 30)
    >>> local = epoch_day(dt.date(2017, 3, 20)) * DAY + 20 * 3600  # 20:00 local, after DST
    >>> int(clock.to_utc(np.array([0]), np.array([local]))[0] - local)
    14400
    """

    def __init__(self, zones: tuple[str, ...], start: dt.date, days: int) -> None:
        self.zones = zones
        self.lo = (epoch_day(start) - 2) * DAY
        self.hi = (epoch_day(start) + days + 2) * DAY
        self._span = self.hi - self.lo + 4 * DAY
        keys: list[int] = []
        offsets: list[int] = []
        for z, name in enumerate(zones):
            zone = ZoneInfo(name)
            t = self.lo - DAY
            current = _offset(zone, t)
            keys.append(z * self._span)
            offsets.append(current)
            while t < self.hi:
                nxt = t + DAY
                off = _offset(zone, nxt)
                if off != current:
                    s = t
                    while s < nxt:  # first quarter hour with the new offset
                        s += _STEP
                        found = _offset(zone, s)
                        if found != current:
                            keys.append(z * self._span + (s - (self.lo - DAY)))
                            offsets.append(found)
                            current = found
                            break
                    if off != current:  # two changes within a day: record the later one
                        keys.append(z * self._span + (nxt - (self.lo - DAY)))
                        offsets.append(off)
                        current = off
                t = nxt
        self._keys = np.asarray(keys, dtype=np.int64)
        self._offsets = np.asarray(offsets, dtype=np.int64)

    def offset_at(self, zone: np.ndarray, utc_s: np.ndarray) -> np.ndarray:
        """UTC offset (seconds) of each ``zone`` index at each instant ``utc_s``."""
        rel = np.clip(np.asarray(utc_s, dtype=np.int64) - (self.lo - DAY), 0, self._span - 1)
        query = np.asarray(zone, dtype=np.int64) * self._span + rel
        pos = np.searchsorted(self._keys, query, side="right") - 1
        return self._offsets[pos]

    def to_utc(self, zone: np.ndarray, local_s: np.ndarray) -> np.ndarray:
        """UTC instants of local wall-clock readings ``local_s`` in each ``zone``.

        Inside a spring-forward gap or a fall-back fold the result is one of the two nearby
        instants; wall-clock readings the generator uses for planted viewing avoid both.
        """
        local = np.asarray(local_s, dtype=np.int64)
        guess = local - self.offset_at(zone, local)
        return local - self.offset_at(zone, guess)

    def to_local(self, zone: np.ndarray, utc_s: np.ndarray) -> np.ndarray:
        """Local wall-clock readings (as local seconds) of UTC instants in each ``zone``."""
        utc = np.asarray(utc_s, dtype=np.int64)
        return utc + self.offset_at(zone, utc)
