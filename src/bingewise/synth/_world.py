"""The platform without its events: catalog, members, tastes, the planted extremes.

Building it is cheap (no viewing yet); events come in member blocks from ``_events`` so any size
can be streamed. Everything is derived from the seed through :class:`numpy.random.SeedSequence`
streams: one for the catalog, one for members, one per block of events, so the same seed gives
the same tables whatever the batching.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bingewise.schema import Catalog, SynthTastes
from bingewise.synth._catalog import GENRES, CatalogModel, make_catalog
from bingewise.synth._clock import Clock
from bingewise.synth._members import ZONES, MemberModel, make_members

__all__ = [
    "BINGER_EPISODES",
    "BLOCK_MEMBERS",
    "DEFAULT_START",
    "Planted",
    "Spec",
    "World",
    "make_world",
    "stream",
]

DEFAULT_START = dt.date(2017, 1, 1)
BLOCK_MEMBERS = 4096  #: default members per event block (batching never changes the output)
BINGER_EPISODES = 188  #: episodes the planted binger watches in one local week
RATE_MEDIAN = 0.85  #: median viewing sessions per member per active day
#: Relative viewing by local weekday, Monday first (weekends busier).
WEEKDAY_WEIGHT = np.array([0.90, 0.85, 0.88, 0.95, 1.10, 1.45, 1.40])

_CATALOG, _MEMBERS, _PLANTED, _EVENTS = 0, 1, 2, 3


def stream(seed: int, *key: int) -> np.random.Generator:
    """An independent random stream for ``key`` under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@dataclass(frozen=True)
class Spec:
    """What to generate: sizes, period and seed."""

    members: int
    titles: int  #: works: films plus series (a series has many episode rows)
    days: int
    seed: int
    start: dt.date = DEFAULT_START
    block_members: int = BLOCK_MEMBERS  #: members per event block (part of the random layout)


@dataclass(frozen=True)
class Planted:
    """The planted extreme members, for tests and demos to find.

    ``daily_film_member`` plays film ``daily_film_title_id`` exactly once on every local day of
    the period (one segment, starting 19:00-21:00 local) and nothing else.
    ``binger_member`` watches episodes 1-188 of series ``binger_series_id`` in order, in the
    seven local days from ``binger_week_start`` (27 a day, 26 on the last), and nothing else.
    """

    daily_film_member: int
    daily_film_title_id: int
    binger_member: int
    binger_series_id: int
    binger_week_start: dt.date
    binger_episodes: int = BINGER_EPISODES


@dataclass(frozen=True)
class World:
    """The platform without events. ``tastes`` lists each member's favourite genres."""

    spec: Spec
    catalog_model: CatalogModel
    members_model: MemberModel
    clock: Clock
    planted: Planted
    daily_film_row: int  #: catalog row of the daily member's film
    binger_week_day: int  #: first day (from start) of the binger's week
    day_cdf: np.ndarray  #: cumulative weekday weights, length days + 1
    weekend: np.ndarray  #: bool per day

    @property
    def catalog(self) -> pa.Table:
        """The catalog (schema.Catalog.arrow)."""
        return self.catalog_model.table

    @property
    def members(self) -> pa.Table:
        """The warehouse members (schema.Members.arrow)."""
        return self.members_model.table

    @property
    def tastes(self) -> pa.Table:
        """Favourite genres: one row per (member_id, genre), the planted taste structure."""
        fav = self.members_model.favourites
        rows, cols = np.nonzero(fav >= 0)
        return pa.table(
            {
                SynthTastes.member_id: pa.array(self.members_model.member_id[rows], pa.int64()),
                SynthTastes.genre: pa.array([GENRES[g] for g in fav[rows, cols]], pa.string()),
            },
            schema=SynthTastes.arrow,
        )

    @property
    def blocks(self) -> int:
        """Number of member blocks the events come in."""
        return -(-self.spec.members // self.spec.block_members)


def make_world(spec: Spec) -> World:
    """Catalog, members and planted extremes for ``spec`` (no events yet)."""
    if spec.days < 7:
        raise ValueError(f"days must be at least 7 (the planted binge week), got {spec.days}")
    catalog = make_catalog(stream(spec.seed, _CATALOG), spec.titles, spec.start, spec.days)
    members = make_members(
        stream(spec.seed, _MEMBERS), spec.members, spec.start, spec.days, RATE_MEDIAN
    )
    rng = stream(spec.seed, _PLANTED)
    daily_idx, binger_idx = (int(i) for i in rng.permutation(np.flatnonzero(members.planted)))
    films = np.flatnonzero(~catalog.work_is_series & (catalog.work_release_day < 0))
    if films.size == 0:
        films = np.flatnonzero(~catalog.work_is_series)
    top_films = films[np.argsort(-catalog.work_pop[films], kind="stable")][:10]
    film_work = int(rng.choice(top_films))
    film_row = int(catalog.work_first_row[film_work])
    week_day = int(rng.integers(0, spec.days - 6))
    long_row = int(catalog.work_first_row[catalog.long_series])
    series_col = catalog.table.column(Catalog.series_id)
    planted = Planted(
        daily_film_member=int(members.member_id[daily_idx]),
        daily_film_title_id=int(catalog.row_title_id[film_row]),
        binger_member=int(members.member_id[binger_idx]),
        binger_series_id=int(series_col[long_row].as_py()),
        binger_week_start=spec.start + dt.timedelta(days=week_day),
    )
    weekday0 = spec.start.weekday()
    weights = WEEKDAY_WEIGHT[(weekday0 + np.arange(spec.days)) % 7]
    return World(
        spec=spec,
        catalog_model=catalog,
        members_model=members,
        clock=Clock(ZONES, spec.start, spec.days),
        planted=planted,
        daily_film_row=film_row,
        binger_week_day=week_day,
        day_cdf=np.concatenate([[0.0], np.cumsum(weights)]),
        weekend=((weekday0 + np.arange(spec.days)) % 7) >= 5,
    )
