"""Per-member inputs of a DP release, composed from the analytics (or made up, for tests).

:func:`load_member_tables` runs :class:`bingewise.analytics.FactSet` for the period and keeps only
what the release needs, one row per member (and show or season): seconds and plays per show,
binge races, per-member facts with the member's country, and each member's longest streak per
show. The aggregation into counts, with each member's contribution bounded, happens in
:mod:`bingewise.privacy.release`.

:func:`synthetic_tables` builds the same tables from a seeded random platform (Zipf-popular shows,
countries weighted as in :mod:`bingewise.geo`), for tests and the accuracy benchmark, with room to
plant members (the "53 members watched this show 18 days in a row" kind).
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from bingewise.analytics import FactSet
from bingewise.analytics import Period as DayRange
from bingewise.geo import COUNTRIES
from bingewise.privacy.release import MemberTables, Period
from bingewise.schema import (
    Catalog,
    MemberFacts,
    Members,
    MemberTop,
    Plays,
    SeasonBinges,
    Streaks,
)
from bingewise.warehouse import Warehouse

__all__ = ["load_member_tables", "parse_period", "synthetic_tables"]


def parse_period(text: str) -> Period:
    """A release period: ``2017``, ``2017-03`` or ``2017-01-01:2017-06-30`` (as analytics)."""
    days = DayRange.parse(text)
    return Period(text.strip(), days.start, days.end)


def load_member_tables(warehouse: Warehouse, period: Period) -> MemberTables:
    """The release inputs of ``period`` from the warehouse (runs the analytics once)."""
    facts = FactSet.compute(warehouse, DayRange(period.start, period.end))
    try:
        p = facts[Plays.table]
        titles = (
            p.filter(p[Plays.show_id].notnull())
            .group_by([Plays.member_id, Plays.show_id])
            .aggregate(
                **{
                    Plays.seconds: p[Plays.seconds].sum(),
                    MemberTop.plays: p[Plays.title_id].count(),
                }
            )
            .to_pandas()
        )
        r = facts["binge_races"]
        races = r.select(
            SeasonBinges.member_id,
            SeasonBinges.series_id,
            SeasonBinges.season,
            SeasonBinges.hours_after_release,
        ).to_pandas()
        mf = facts[MemberFacts.table]
        members = warehouse.table(Members.table).select(Members.member_id, Members.country)
        joined = mf.left_join(members, mf[MemberFacts.member_id] == members[Members.member_id])
        activity = joined.select(
            joined[MemberFacts.member_id],
            joined[Members.country],
            joined[MemberFacts.active_days],
            # No second of viewing known (a history of dates only): hours unknown, not zero.
            ibis.ifelse(
                joined[MemberFacts.hours] > 0,
                joined[MemberFacts.hours_per_active_day],
                ibis.null("float64"),
            ).name(MemberFacts.hours_per_active_day),
            joined[MemberFacts.longest_streak_days],
        ).to_pandas()
        s = facts["streaks_title"]
        streaks = (
            s.group_by([Streaks.member_id, Streaks.show_id])
            .aggregate(**{Streaks.days: s[Streaks.days].max()})
            .to_pandas()
        )
    finally:
        facts.drop(warehouse)
    show_names, season_names = _names(warehouse)
    return MemberTables(period, titles, races, activity, streaks, show_names, season_names)


def _names(warehouse: Warehouse) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """Public catalog names: films and series by show id; seasons by (series id, season)."""
    c = warehouse.table(Catalog.table)
    films = c.filter(c[Catalog.kind] == Catalog.FILM).select(Catalog.title_id, Catalog.title)
    shows = {int(t): str(n) for t, n in films.to_pandas().itertuples(index=False)}
    eps = c.filter(c[Catalog.series_id].notnull())
    series = eps.group_by(Catalog.series_id).aggregate(name=eps[Catalog.series_title].max())
    shows.update(
        {int(s): str(n) for s, n in series.to_pandas().itertuples(index=False) if n is not None}
    )
    seasons_expr = eps.filter(eps[Catalog.season].notnull())
    seasons_expr = seasons_expr.group_by([Catalog.series_id, Catalog.season]).aggregate(
        name=seasons_expr[Catalog.season_title].max(),
        series=seasons_expr[Catalog.series_title].max(),
    )
    seasons: dict[tuple[int, int], str] = {}
    for sid, season, name, title in seasons_expr.to_pandas().itertuples(index=False):
        label = name if name else f"Season {int(season)}"
        seasons[(int(sid), int(season))] = f"{title}: {label}" if title else str(label)
    return shows, seasons


def synthetic_tables(
    members: int,
    *,
    shows: int = 400,
    seasons: int = 60,
    seed: int = 0,
    period: Period | None = None,
    first_member_id: int = 1,
) -> MemberTables:
    """A made-up platform's release inputs: ``members`` members over one period (default 2017).

    Each member watches a Poisson(8) number of distinct shows drawn by Zipf popularity, is from a
    country drawn by audience weight, watches on a Beta-distributed share of the days for a
    log-normal number of hours, races a season now and then, and keeps a streak on some shows.
    """
    rng = np.random.default_rng(seed)
    period = period or Period("2017", dt.date(2017, 1, 1), dt.date(2017, 12, 31))
    days = period.days
    ids = np.arange(first_member_id, first_member_id + members, dtype=np.int64)

    popularity = 1.0 / np.arange(1, shows + 1) ** 1.1
    popularity /= popularity.sum()
    n_shows = np.minimum(rng.poisson(8, members) + 1, shows)
    t_member = np.repeat(ids, n_shows)
    t_show = np.concatenate(
        [rng.choice(shows, size=k, replace=False, p=popularity) for k in n_shows]
    )
    titles = pd.DataFrame(
        {
            Plays.member_id: t_member,
            Plays.show_id: t_show.astype(np.int64) + 1,
            Plays.seconds: rng.integers(600, 200_000, size=len(t_member)),
        }
    )

    weights = np.array([c.weight for c in COUNTRIES])
    country = rng.choice([c.code for c in COUNTRIES], size=members, p=weights / weights.sum())
    active = np.clip(np.round(rng.beta(1.2, 2.5, members) * days), 1, days).astype(np.int64)
    hours = np.clip(rng.lognormal(0.3, 0.7, members), 0.05, 16.0)
    longest = np.minimum(active, 1 + rng.geometric(0.25, members)).astype(np.int64)
    activity = pd.DataFrame(
        {
            MemberFacts.member_id: ids,
            Members.country: country,
            MemberFacts.active_days: active,
            MemberFacts.hours_per_active_day: hours,
            MemberFacts.longest_streak_days: longest,
        }
    )

    racers = rng.random(members) < 0.15
    r_member = np.repeat(ids[racers], rng.integers(1, 4, racers.sum()))
    season_pop = 1.0 / np.arange(1, seasons + 1)
    season_pop /= season_pop.sum()
    r_season = rng.choice(seasons, size=len(r_member), p=season_pop)
    races = pd.DataFrame(
        {
            SeasonBinges.member_id: r_member,
            SeasonBinges.series_id: 10_000 + r_season.astype(np.int64),
            SeasonBinges.season: np.ones(len(r_member), dtype=np.int64),
            SeasonBinges.hours_after_release: rng.uniform(2.0, 24.0, len(r_member)),
        }
    ).drop_duplicates([SeasonBinges.member_id, SeasonBinges.series_id, SeasonBinges.season])

    keep = rng.random(len(titles)) < 0.5
    streaks = pd.DataFrame(
        {
            Streaks.member_id: titles[Plays.member_id][keep].to_numpy(),
            Streaks.show_id: titles[Plays.show_id][keep].to_numpy(),
            Streaks.days: 1 + rng.geometric(0.35, int(keep.sum())),
        }
    )
    show_names = {s: f"Show {s}" for s in range(1, shows + 1)}
    season_names = {(10_000 + s, 1): f"Series {s}: Season 1" for s in range(seasons)}
    return MemberTables(
        period,
        titles,
        races.reset_index(drop=True),
        activity,
        streaks,
        show_names,
        season_names,
    )
