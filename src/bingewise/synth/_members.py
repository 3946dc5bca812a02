"""Synthetic members: households, countries and time zones, signup dates, tastes and habits.

Planted structure (what a recommender or an analyst should be able to find):

- each member has 1-3 favourite genres (30% one, 45% two, 25% three), drawn without
  replacement with :data:`~bingewise.synth._catalog.GENRE_WEIGHTS`; a share
  :data:`TASTE_SHARE` of their choices of what to watch comes from those genres, the rest from
  the whole catalog by popularity. A choice of a series covers many plays, so the share of
  *plays* in favourite genres ends up near 0.7 (against about 0.2 without tastes);
- countries are drawn by :attr:`bingewise.geo.Country.weight`, per household; a member's time
  zone is their country's zone;
- activity (sessions per day) is log-normal, so a few members watch a lot;
- three in four households signed up before the period, the rest during it (no viewing before
  signup).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bingewise.geo import COUNTRIES
from bingewise.schema import Members
from bingewise.synth._catalog import GENRE_WEIGHTS, GENRES

__all__ = ["DEVICES", "TASTE_SHARE", "MemberModel", "email_of", "make_members"]

TASTE_SHARE = 0.8  #: share of a member's picks drawn from their favourite genres
DEVICES: tuple[str, ...] = (
    "Smart TV",
    "Phone",
    "Tablet",
    "Web browser",
    "Game console",
    "Streaming stick",
)
_DEVICE_P = np.array([0.45, 0.2, 0.1, 0.12, 0.05, 0.08])
_HOUSEHOLD_SIZE_P = np.array([0.45, 0.3, 0.15, 0.1])  # 1..4 profiles
_FAVOURITES_P = np.array([0.3, 0.45, 0.25])  # 1..3 favourite genres
ZONES: tuple[str, ...] = tuple(dict.fromkeys(c.time_zone for c in COUNTRIES))
COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
PROFILES: tuple[str, ...] = ("Profile 1", "Profile 2", "Profile 3", "Profile 4")


def email_of(member_id: int) -> str:
    """The synthetic member's address (``.invalid`` never resolves, RFC 2606)."""
    return f"member{member_id}@example.invalid"


@dataclass(frozen=True)
class MemberModel:
    """The members table plus per-member habits the event generator uses (row i = member i)."""

    table: pa.Table  #: schema.Members.arrow
    member_id: np.ndarray  #: int64, 1..n
    household_id: np.ndarray  #: int64
    profile_no: np.ndarray  #: index into :data:`PROFILES`
    country: np.ndarray  #: index into :data:`COUNTRY_CODES`
    zone: np.ndarray  #: index into :data:`ZONES`
    signup_day: np.ndarray  #: days from the period start (negative: before it)
    favourites: np.ndarray  #: (n, 3) genre indices, -1 padded
    n_favourites: np.ndarray  #: 1..3
    rate: np.ndarray  #: mean viewing sessions per day when active
    binge: np.ndarray  #: mean extra episodes per series session
    series_share: np.ndarray  #: probability a session is a series session
    device_a: np.ndarray  #: main device index into :data:`DEVICES`
    device_b: np.ndarray  #: second device index
    planted: np.ndarray  #: bool, planted extreme members (generated separately)


def make_members(
    rng: np.random.Generator, members: int, start: dt.date, days: int, rate_median: float
) -> MemberModel:
    """``members`` members (ids 1..members) in households of 1-4 profiles."""
    if members < 2:
        raise ValueError(f"members must be at least 2 (two planted extremes), got {members}")
    sizes = rng.choice(np.arange(1, 5), size=members, p=_HOUSEHOLD_SIZE_P)
    household = np.repeat(np.arange(sizes.size), sizes)[:members]
    n_house = int(household[-1]) + 1
    profile_no = np.arange(members) - np.searchsorted(household, household, side="left")
    weights = np.array([c.weight for c in COUNTRIES])
    house_country = rng.choice(len(COUNTRIES), size=n_house, p=weights / weights.sum())
    before = rng.random(n_house) < 0.75
    house_signup = np.where(
        before, -rng.integers(1, 5 * 365, size=n_house), rng.integers(0, days, size=n_house)
    )
    country = house_country[household]
    zone_of_country = np.array([ZONES.index(c.time_zone) for c in COUNTRIES])
    signup = house_signup[household]

    # Favourite genres: Gumbel top-k draws without replacement, weighted by genre share.
    keys = np.log(GENRE_WEIGHTS)[None, :] + rng.gumbel(size=(members, len(GENRES)))
    top = np.argsort(-keys, axis=1)[:, :3]
    n_fav = rng.choice(np.arange(1, 4), size=members, p=_FAVOURITES_P)
    favourites = np.where(np.arange(3)[None, :] < n_fav[:, None], top, -1)

    rate = rate_median * rng.lognormal(0.0, 0.7, size=members)
    binge = 1.3 * rng.lognormal(0.0, 0.5, size=members)
    series_share = rng.beta(6.0, 3.0, size=members)
    device_a = rng.choice(len(DEVICES), size=members, p=_DEVICE_P)
    device_b = rng.choice(len(DEVICES), size=members, p=_DEVICE_P)

    planted = np.zeros(members, dtype=bool)
    planted[rng.choice(members, size=2, replace=False)] = True
    signup = np.where(planted, np.minimum(signup, -30), signup)

    member_id = np.arange(1, members + 1, dtype=np.int64)
    signup_dates = np.datetime64(start.isoformat(), "D") + signup.astype("timedelta64[D]")
    table = pa.table(
        {
            Members.member_id: pa.array(member_id, pa.int64()),
            Members.household_id: pa.array(household + 1, pa.int64()),
            Members.profile: pa.array([PROFILES[k] for k in profile_no], pa.string()),
            Members.country: pa.array([COUNTRIES[c].code for c in country], pa.string()),
            Members.time_zone: pa.array([COUNTRIES[c].time_zone for c in country], pa.string()),
            Members.signup_date: pa.array(signup_dates, pa.date32()),
        },
        schema=Members.arrow,
    )
    return MemberModel(
        table=table,
        member_id=member_id,
        household_id=(household + 1).astype(np.int64),
        profile_no=profile_no.astype(np.int64),
        country=country.astype(np.int64),
        zone=zone_of_country[country],
        signup_day=signup.astype(np.int64),
        favourites=favourites.astype(np.int64),
        n_favourites=n_fav.astype(np.int64),
        rate=rate,
        binge=binge,
        series_share=series_share,
        device_a=device_a.astype(np.int64),
        device_b=device_b.astype(np.int64),
        planted=planted,
    )
