"""Facts per member, per country and for the platform, and the whole set at once (:class:`FactSet`).

These are internal, member-level tables for the operator; nothing here is published. Public
figures go through the privacy gate (``bingewise.privacy``), which reads these tables.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from bingewise.analytics.plays import DEFAULT_RESUME_GAP_MINUTES, session_plays
from bingewise.analytics.runtimes import (
    fill_runtimes,
    runtime_estimates,
    unknown_episode_runtimes,
)
from bingewise.analytics.seasons import binge_races, finished_seasons
from bingewise.analytics.sessions import DEFAULT_SESSION_GAP_MINUTES, binges, sessions
from bingewise.analytics.streaks import streaks
from bingewise.config import get_settings
from bingewise.console import progress
from bingewise.schema import (
    BingeRacers,
    Binges,
    Catalog,
    CountryFacts,
    Events,
    MemberDaily,
    MemberFacts,
    MemberHeatmap,
    Members,
    MemberShowDaily,
    MemberTop,
    Plays,
    SeasonBinges,
    Sessions,
    Streaks,
    TopTitles,
)
from bingewise.warehouse import Warehouse, to_arrow

log = logging.getLogger(__name__)

__all__ = [
    "FactSet",
    "Period",
    "PlatformFacts",
    "binge_racers",
    "country_facts",
    "extreme_streaks",
    "member_daily",
    "member_facts",
    "member_heatmap",
    "member_show_daily",
    "member_top",
    "platform_facts",
    "show_names",
    "top_titles",
]


#: Default period (:meth:`Period.active`): a platform's median day has at least this many plays,
PLATFORM_DAY_PLAYS = 100
#: and an edge day with less than this share of the median day's plays is a sliver of the log.
SLIVER_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of local days.

    >>> Period.parse("2017-02")
    Period(start=datetime.date(2017, 2, 1), end=datetime.date(2017, 2, 28))
    """

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (self.end - self.start).days + 1

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2017``, ``2017-03`` or ``2017-01-01:2017-06-30`` (both ends included)."""
        text = text.strip()
        try:
            if re.fullmatch(r"\d{4}", text):
                y = int(text)
                return cls(dt.date(y, 1, 1), dt.date(y, 12, 31))
            if re.fullmatch(r"\d{4}-\d{1,2}", text):
                y, m = (int(x) for x in text.split("-"))
                first = dt.date(y, m, 1)
                return cls(first, first.replace(day=calendar.monthrange(y, m)[1]))
            if ":" in text:
                a, b = text.split(":", 1)
                return cls(dt.date.fromisoformat(a.strip()), dt.date.fromisoformat(b.strip()))
        except ValueError as exc:
            raise ValueError(f"period {text!r}: {exc}") from None
        raise ValueError(f"period {text!r}: expected YYYY, YYYY-MM or YYYY-MM-DD:YYYY-MM-DD")

    def __str__(self) -> str:
        return f"{self.start.isoformat()}:{self.end.isoformat()}"

    @classmethod
    def active(cls, plays: ir.Table) -> Period:
        """The local days with plays, less the slivers at the edges: the default period.

        A log cut at a UTC instant, or a synthetic year of local days whose last night runs past
        midnight, leaves a first or last local day with a few plays only (the hour after midnight
        on New Year's Eve). Counted as a day of the period, it would make "watched every day of
        the period" impossible for everyone. So on a platform (a median day of at least
        :data:`PLATFORM_DAY_PLAYS` plays), a first or last day with fewer than
        :data:`SLIVER_SHARE` of the median day's plays is left out, repeatedly. A single person's
        history (fewer plays a day) keeps every day. Today when there are no plays.
        """
        return _active_period(plays)[0]

    def filter(self, plays: ir.Table) -> ir.Table:
        """Rows whose ``local_date`` falls in the period: plays, or sessions and binges (the
        local day they start on).

        Sessions and binges are the period's when they *start* on one of its days, and count
        whole: filter those of every play, not those of the period's plays. A binge from 22:00
        on 31 December to 01:30 is the old year's, with all its episodes, and no part of it is
        a binge of the new year: over two periods, sessions and binges add up to those of both
        together."""
        d = plays[Plays.local_date]
        return plays.filter((d >= ibis.literal(self.start)) & (d <= ibis.literal(self.end)))


def _active_period(plays: ir.Table) -> tuple[Period, bool]:
    """:meth:`Period.active`, and whether it left any day with plays out."""
    d = plays[Plays.local_date]
    rows = to_arrow(plays.group_by(_d=d).aggregate(_n=d.count())).to_pylist()
    counts = sorted((r["_d"], r["_n"]) for r in rows if r["_d"] is not None)
    if not counts:
        today = dt.date.today()
        return Period(today, today), False
    median = statistics.median(n for _, n in counts)
    lo, hi = 0, len(counts) - 1
    if median >= PLATFORM_DAY_PLAYS:
        while lo < hi and counts[lo][1] < SLIVER_SHARE * median:
            lo += 1
        while hi > lo and counts[hi][1] < SLIVER_SHARE * median:
            hi -= 1
    return Period(counts[lo][0], counts[hi][0]), (lo, hi) != (0, len(counts) - 1)


def show_names(catalog: ir.Table, ids: list[int]) -> dict[int, str]:
    """Display names of shows from the catalog: the series title for a series id, the title for a
    film's id. Ids the catalog does not name are left out (callers show the id)."""
    if not ids:
        return {}
    series = (
        catalog.filter(catalog[Catalog.series_id].isin(ids))
        .group_by(_id=catalog[Catalog.series_id])
        .aggregate(_name=catalog[Catalog.series_title].max())
    )
    films = catalog.filter(catalog[Catalog.title_id].isin(ids)).select(
        _id=catalog[Catalog.title_id], _name=catalog[Catalog.title]
    )
    out: dict[int, str] = {}
    for row in to_arrow(films.union(series)).to_pylist():
        if row["_name"]:
            out[int(row["_id"])] = str(row["_name"])
    return out


_EPOCH = ibis.date(1970, 1, 1)


def _is_episode(p: ir.Table) -> ir.BooleanValue:
    return (p[Plays.kind] == Catalog.EPISODE).fill_null(False)


_EP = "_bw_ep"


def _show_daily_flagged(plays: ir.Table) -> ir.Table:
    """:func:`member_show_daily` with a flag ``_bw_ep`` (an episode?) in place of ``kind``.

    Exact only for plays whose kind is one of the catalog's two kinds or NULL (a film). A flag
    is much cheaper than text for the engine to group on, store and read back.
    """
    u = plays.mutate(**{_EP: _is_episode(plays)})
    g = u.group_by(
        [
            u[Plays.member_id].name(MemberShowDaily.member_id),
            u[Plays.show_id].name(MemberShowDaily.show_id),
            u[_EP],
            u[Plays.local_date].name(MemberShowDaily.local_date),
        ]
    ).aggregate(_bw_n=u[Plays.title_id].count(), _bw_s=u[Plays.seconds].sum())
    return g.select(
        **{
            MemberShowDaily.member_id: g[MemberShowDaily.member_id],
            MemberShowDaily.show_id: g[MemberShowDaily.show_id],
            _EP: g[_EP],
            MemberShowDaily.local_date: g[MemberShowDaily.local_date],
            MemberShowDaily.plays: g["_bw_n"],
            MemberShowDaily.episodes: ibis.ifelse(g[_EP], g["_bw_n"], 0).cast("int64"),
            MemberShowDaily.seconds: g["_bw_s"],
        }
    )


def _kind_key(show_daily: ir.Table) -> tuple[str, Callable[[ir.Value], ir.Value]]:
    """The column to group a member-show-day table's kinds by, and how to spell it as a kind."""
    if MemberShowDaily.kind in show_daily.columns:
        return MemberShowDaily.kind, lambda v: v
    return _EP, lambda v: ibis.ifelse(v, Catalog.EPISODE, Catalog.FILM)


def _usual_kinds(kind: ir.StringValue) -> ir.BooleanValue:
    return kind.isnull() | kind.isin([Catalog.FILM, Catalog.EPISODE])


def member_show_daily(plays: ir.Table) -> ir.Table:
    """Plays, episodes and seconds per member, show, kind and local day (``MemberShowDaily``).

    About half the rows of the plays (a member rarely starts one show twice a day); daily
    totals, streaks per show, top shows and the platform's top titles roll up from it. A title
    missing from the catalog (``kind`` NULL) counts as a film, as in :func:`member_top`.

    Grouping on a text column costs the engine far more than on a flag, so plays of the
    catalog's two kinds (and NULL) are grouped by "is an episode" and the kind is spelled
    afterwards; plays of any other kind (none, when the catalog came through ingestion) are
    grouped by their kind as given.
    """
    usual = _usual_kinds(plays[Plays.kind])
    g = _show_daily_flagged(plays.filter(usual))
    g = g.select(
        MemberShowDaily.member_id,
        MemberShowDaily.show_id,
        **{MemberShowDaily.kind: ibis.ifelse(g[_EP], Catalog.EPISODE, Catalog.FILM)},
        **{
            c: g[c]
            for c in (
                MemberShowDaily.local_date,
                MemberShowDaily.plays,
                MemberShowDaily.episodes,
                MemberShowDaily.seconds,
            )
        },
    )
    o = plays.filter(~usual)
    other = o.group_by(
        [
            o[Plays.member_id].name(MemberShowDaily.member_id),
            o[Plays.show_id].name(MemberShowDaily.show_id),
            o[Plays.kind].name(MemberShowDaily.kind),
            o[Plays.local_date].name(MemberShowDaily.local_date),
        ]
    ).aggregate(
        **{
            MemberShowDaily.plays: o[Plays.title_id].count(),
            MemberShowDaily.seconds: o[Plays.seconds].sum(),
        }
    )
    other = other.mutate(**{MemberShowDaily.episodes: ibis.literal(0, "int64")})
    return g.union(other.select(*g.columns).cast(g.schema()))


def member_daily(plays: ir.Table, *, show_daily: ir.Table | None = None) -> ir.Table:
    """Plays, episodes and seconds per member and local day (``MemberDaily``).

    Rolled up from ``show_daily`` (:func:`member_show_daily` of the plays) when given.
    """
    d = member_show_daily(plays) if show_daily is None else show_daily
    return d.group_by(
        [
            d[MemberShowDaily.member_id].name(MemberDaily.member_id),
            d[MemberShowDaily.local_date].name(MemberDaily.local_date),
        ]
    ).aggregate(
        **{
            MemberDaily.plays: d[MemberShowDaily.plays].sum(),
            MemberDaily.episodes: d[MemberShowDaily.episodes].sum(),
            MemberDaily.seconds: d[MemberShowDaily.seconds].sum(),
        }
    )


def member_heatmap(plays: ir.Table) -> ir.Table:
    """Seconds per member, local weekday (0 = Monday) and local hour of the play's start."""
    ls = plays[Plays.local_start]
    return plays.group_by(
        [
            plays[Plays.member_id],
            ls.day_of_week.index().cast("int32").name(MemberHeatmap.weekday),
            ls.hour().cast("int32").name(MemberHeatmap.hour),
        ]
    ).aggregate(**{MemberHeatmap.seconds: plays[Plays.seconds].sum()})


def member_top(plays: ir.Table, n: int = 5, *, show_daily: ir.Table | None = None) -> ir.Table:
    """Each member's ``n`` most watched series and films by seconds (``MemberTop``).

    Ties are broken by more plays, then the smaller show id. Rolled up from ``show_daily``
    (:func:`member_show_daily` of the plays) when given.
    """
    g = member_show_daily(plays) if show_daily is None else show_daily
    key, spell = _kind_key(g)
    g = g.mutate(_bw_kind=g[key])
    t = g.group_by([MemberShowDaily.member_id, "_bw_kind", MemberShowDaily.show_id]).aggregate(
        **{
            MemberTop.plays: g[MemberShowDaily.plays].sum(),
            MemberTop.seconds: g[MemberShowDaily.seconds].sum(),
        }
    )
    w = ibis.window(
        group_by=[t[MemberShowDaily.member_id], t["_bw_kind"]],
        order_by=[
            t[MemberTop.seconds].desc(),
            t[MemberTop.plays].desc(),
            t[MemberShowDaily.show_id],
        ],
    )
    t = t.mutate(**{MemberTop.rank: (ibis.row_number().over(w) + 1).cast("int64")})
    t = t.filter(t[MemberTop.rank] <= n)
    return t.select(
        **{
            MemberTop.member_id: t[MemberShowDaily.member_id],
            MemberTop.kind: spell(t["_bw_kind"]),
            MemberTop.show_id: t[MemberShowDaily.show_id],
            MemberTop.plays: t[MemberTop.plays],
            MemberTop.seconds: t[MemberTop.seconds],
            MemberTop.rank: t[MemberTop.rank],
        }
    )


def _first_per_member(t: ir.Table, order: list[tuple[str, bool]]) -> ir.Table:
    """Each member's row that sorts first by ``order``: ``(column, descending)`` pairs.

    The member's best value of the first key (a per-member max or min: few groups, cheap)
    keeps only the rows that reach it (a semi-join); the few rows left are ranked by the other
    keys. This avoids sorting the whole table in a window. A NULL first key never wins.
    """
    first, desc = order[0]
    best = t.group_by(_bw_k=t[MemberFacts.member_id]).aggregate(
        _bw_v=t[first].max() if desc else t[first].min()
    )
    t = t.semi_join(best, [t[MemberFacts.member_id] == best["_bw_k"], t[first] == best["_bw_v"]])
    w = ibis.window(
        group_by=t[MemberFacts.member_id],
        order_by=[t[c].desc() if d else t[c].asc() for c, d in order[1:]],
    )
    t = t.mutate(_bw_rn=ibis.row_number().over(w))
    return t.filter(t["_bw_rn"] == 0).drop("_bw_rn")


def member_facts(
    plays: ir.Table,
    *,
    gap_minutes: float = DEFAULT_SESSION_GAP_MINUTES,
    binges_table: ir.Table | None = None,
    streaks_table: ir.Table | None = None,
    daily_table: ir.Table | None = None,
) -> ir.Table:
    """One row per member with the columns of :class:`bingewise.schema.MemberFacts`.

    The busiest week is the 7-local-day window ``[start, start + 6]`` with the most episode
    plays, starting on a day the member watched (earliest on ties). The longest binge has the
    most episodes (then most seconds, then earliest, then the smaller series id and session
    number); the longest streak is of watching anything
    (earliest on ties). ``hours`` and ``hours_per_active_day`` are NULL (unknown, not 0) for a
    member none of whose plays has a duration (a history of dates only, as Netflix's Title,Date
    list). Pass precomputed ``binges``/``streaks``/``member_daily`` tables to reuse them.
    """
    p = plays
    daily = member_daily(p) if daily_table is None else daily_table
    # Per-member aggregates have few groups (cheap); distinct days come from the daily table.
    base = p.group_by(MemberFacts.member_id).aggregate(
        **{
            MemberFacts.plays: p[Plays.title_id].count(),
            MemberFacts.films: (p[Plays.kind] == Catalog.FILM).fill_null(False).cast("int64").sum(),
            MemberFacts.episodes: _is_episode(p).cast("int64").sum(),
            # Unknown (NULL), not 0, when no play has a duration: a history of dates only.
            MemberFacts.hours: ibis.ifelse(
                p[Plays.seconds].max() > 0,
                p[Plays.seconds].sum().cast("float64") / 3600.0,
                ibis.null("float64"),
            ),
            "_bw_fin": p[Plays.finished].cast("int64").sum(),
            "_bw_known": p[Plays.finished].count(),
        }
    )
    active = daily.group_by(_bw_aid=daily[MemberDaily.member_id]).aggregate(
        _bw_days=daily[MemberDaily.local_date].count()
    )
    base = base.inner_join(active, base[MemberFacts.member_id] == active["_bw_aid"])
    base = base.select(
        *[c for c in base.columns if c not in ("_bw_aid", "_bw_days")],
        **{MemberFacts.active_days: base["_bw_days"].cast("int64")},
    )
    base = base.mutate(
        **{
            MemberFacts.hours_per_active_day: base[MemberFacts.hours]
            / base[MemberFacts.active_days].cast("float64"),
            MemberFacts.completion_rate: ibis.ifelse(
                base["_bw_known"] > 0,
                base["_bw_fin"].cast("float64") / base["_bw_known"].cast("float64"),
                ibis.null("float64"),
            ),
        }
    ).drop("_bw_fin", "_bw_known")

    # Episodes in [day, day + 6]: the day and up to six following viewing days (``lead``, one
    # sort; cheaper than a range frame).
    w = ibis.window(group_by=daily[MemberDaily.member_id], order_by=daily[MemberDaily.local_date])
    day_no = daily[MemberDaily.local_date].delta(_EPOCH, unit="day")
    eps = daily[MemberDaily.episodes]
    week_eps = eps
    for k in range(1, 7):
        within = day_no.lead(k).over(w) - day_no <= 6
        week_eps = week_eps + ibis.ifelse(within, eps.lead(k).over(w), 0).fill_null(0)
    wk = daily.select(
        MemberDaily.member_id,
        _bw_wstart=daily[MemberDaily.local_date],
        _bw_weps=week_eps,
    )
    wk = _first_per_member(wk, [("_bw_weps", True), ("_bw_wstart", False)])

    b = binges(p, gap_minutes) if binges_table is None else binges_table
    b = _first_per_member(
        b,
        [
            (Binges.episodes, True),
            (Binges.seconds, True),
            (Binges.start_utc, False),
            (Binges.series_id, False),
            (Binges.session_no, False),
        ],
    )
    b = b.select(
        Binges.member_id,
        _bw_beps=b[Binges.episodes],
        _bw_bseries=b[Binges.series_id],
        _bw_bdate=b[Binges.local_date],
    )
    s = streaks(p, "any") if streaks_table is None else streaks_table
    s = s.filter(s[Streaks.show_id].isnull())
    s = _first_per_member(s, [(Streaks.days, True), (Streaks.start_date, False)])
    s = s.select(Streaks.member_id, _bw_sdays=s[Streaks.days], _bw_sstart=s[Streaks.start_date])

    j = (
        base.left_join(wk, MemberFacts.member_id)
        .left_join(b, MemberFacts.member_id)
        .left_join(s, MemberFacts.member_id)
    )
    return j.select(
        **{
            MemberFacts.member_id: j[MemberFacts.member_id],
            MemberFacts.plays: j[MemberFacts.plays],
            MemberFacts.films: j[MemberFacts.films],
            MemberFacts.episodes: j[MemberFacts.episodes],
            MemberFacts.hours: j[MemberFacts.hours],
            MemberFacts.active_days: j[MemberFacts.active_days],
            MemberFacts.hours_per_active_day: j[MemberFacts.hours_per_active_day],
            MemberFacts.completion_rate: j[MemberFacts.completion_rate],
            MemberFacts.busiest_week_start: j["_bw_wstart"],
            MemberFacts.busiest_week_episodes: j["_bw_weps"].cast("int64"),
            MemberFacts.longest_binge_episodes: j["_bw_beps"],
            MemberFacts.longest_binge_series_id: j["_bw_bseries"],
            MemberFacts.longest_binge_date: j["_bw_bdate"],
            MemberFacts.longest_streak_days: j["_bw_sdays"],
            MemberFacts.longest_streak_start: j["_bw_sstart"],
        }
    )


def country_facts(
    plays: ir.Table, members: ir.Table, period: Period, *, daily_table: ir.Table | None = None
) -> ir.Table:
    """Per country: members, those who watched in ``period`` and on every local day of it, and
    daily hours per member.

    Members are those of the members table, watching or not, plus anyone with plays who is
    missing from it (country NULL): shares and hours are per member of the country, not per
    viewer. ``hours_per_member_day`` = hours watched / members / days of the period, over the
    members whose hours are known: one who watched with no duration at all (a history of dates
    only) is left out of it (NULL when that leaves no one), one who did not watch counts as 0.
    Rolled up from ``daily_table`` (:func:`member_daily` of the plays) when given.
    """
    d = member_daily(plays) if daily_table is None else daily_table
    d = d.filter(
        (d[MemberDaily.local_date] >= ibis.literal(period.start))
        & (d[MemberDaily.local_date] <= ibis.literal(period.end))
    )
    act = d.group_by(_a_id=d[MemberDaily.member_id]).aggregate(
        _a_days=d[MemberDaily.local_date].count(),
        _a_sec=d[MemberDaily.seconds].sum(),
        _a_timed=d[MemberDaily.seconds].max() > 0,
    )
    roster = members.select(_r_id=members[Members.member_id], _r_country=members[Members.country])
    j = act.outer_join(roster, act["_a_id"] == roster["_r_id"])
    j = j.select(
        _j_country=j["_r_country"],
        _j_every=(j["_a_days"].fill_null(0) >= period.days).cast("int64"),
        _j_watch=(j["_a_days"].fill_null(0) > 0).cast("int64"),
        _j_sec=j["_a_sec"].fill_null(0),
        # hours known: watched with a duration, or did not watch (0)
        _j_known=j["_a_timed"].fill_null(True).cast("int64"),
    )
    g = j.group_by(_j_country=j["_j_country"]).aggregate(
        _n=j["_j_every"].count(),
        _watch=j["_j_watch"].sum(),
        _every=j["_j_every"].sum(),
        _sec=j["_j_sec"].sum(),
        _known=j["_j_known"].sum(),
    )
    days = ibis.literal(period.days).cast("int64")
    return g.select(
        **{
            CountryFacts.country: g["_j_country"],
            CountryFacts.members: g["_n"],
            CountryFacts.members_watching: g["_watch"],
            CountryFacts.members_every_day: g["_every"],
            CountryFacts.share_every_day: g["_every"].cast("float64") / g["_n"].cast("float64"),
            CountryFacts.days: days,
            CountryFacts.hours_per_member_day: ibis.ifelse(
                g["_known"] > 0,
                g["_sec"].cast("float64")
                / 3600.0
                / g["_known"].cast("float64")
                / days.cast("float64"),
                ibis.null("float64"),
            ),
        }
    )


def top_titles(
    plays: ir.Table, by: str = "day", n: int = 10, *, show_daily: ir.Table | None = None
) -> ir.Table:
    """The ``n`` shows watched by most members per local day (``by="day"``) or week (Monday).

    Ties: more seconds, then smaller show id. Rolled up from ``show_daily``
    (:func:`member_show_daily` of the plays) when given.
    """
    if by not in ("day", "week"):
        raise ValueError(f"by must be 'day' or 'week', got {by!r}")
    g = member_show_daily(plays) if show_daily is None else show_daily
    d = g[MemberShowDaily.local_date]
    key, spell = _kind_key(g)
    g = g.mutate(_bw_p=d if by == "day" else d.truncate("W"), _bw_kind=g[key])
    # One row per member, show and day: a day's members are its rows; a week's are distinct.
    members = (
        g[MemberShowDaily.member_id].count()
        if by == "day"
        else g[MemberShowDaily.member_id].nunique()
    )
    t = g.group_by(["_bw_p", MemberShowDaily.show_id, "_bw_kind"]).aggregate(
        _bw_m=members.cast("int64"), _bw_s=g[MemberShowDaily.seconds].sum()
    )
    w = ibis.window(
        group_by=t["_bw_p"],
        order_by=[t["_bw_m"].desc(), t["_bw_s"].desc(), t[MemberShowDaily.show_id]],
    )
    t = t.mutate(_bw_r=(ibis.row_number().over(w) + 1).cast("int64"))
    t = t.filter(t["_bw_r"] <= n)
    return t.select(
        **{
            TopTitles.period_start: t["_bw_p"].cast("date"),
            TopTitles.show_id: t[MemberShowDaily.show_id],
            TopTitles.kind: spell(t["_bw_kind"]),
            TopTitles.members: t["_bw_m"],
            TopTitles.seconds: t["_bw_s"],
            TopTitles.rank: t["_bw_r"],
        }
    )


def binge_racers(races: ir.Table) -> ir.Table:
    """Per season: members who binge-raced it, and the fastest finish (hours after release)."""
    return races.group_by([BingeRacers.series_id, BingeRacers.season]).aggregate(
        **{
            BingeRacers.racers: races[SeasonBinges.member_id].nunique().cast("int64"),
            BingeRacers.fastest_hours: races[SeasonBinges.hours_after_release].min(),
        }
    )


def extreme_streaks(streaks_table: ir.Table, n: int = 10) -> ir.Table:
    """The ``n`` members with the longest streaks, each member's longest once (longest first,
    then earliest start, then member id; a member's tie goes to the earliest start).

    One member's ten streaks would not be ten facts about the platform: "someone watched every
    day" is about a member.
    """
    s = _first_per_member(streaks_table, [(Streaks.days, True), (Streaks.start_date, False)])
    return s.order_by([s[Streaks.days].desc(), s[Streaks.start_date], s[Streaks.member_id]]).limit(
        n
    )


@dataclass
class PlatformFacts:
    """Platform-wide tables (Arrow): top shows per day and week, binge racers, longest streaks.

    Read with :func:`~bingewise.warehouse.to_arrow`, so exact on every engine (on Spark too, where
    Ibis's ``to_pyarrow`` would go through pandas)."""

    top_daily: pa.Table
    top_weekly: pa.Table
    binge_racers: pa.Table
    extreme_streaks: pa.Table


def platform_facts(
    plays: ir.Table,
    catalog: ir.Table,
    *,
    n: int = 10,
    races: ir.Table | None = None,
    streaks_table: ir.Table | None = None,
    show_daily: ir.Table | None = None,
) -> PlatformFacts:
    """Compute the platform tables (executes the queries)."""
    r = binge_races(plays, catalog) if races is None else races
    s = streaks(plays, "any") if streaks_table is None else streaks_table
    sd = member_show_daily(plays) if show_daily is None else show_daily
    return PlatformFacts(
        top_daily=to_arrow(top_titles(plays, "day", n, show_daily=sd)),
        top_weekly=to_arrow(top_titles(plays, "week", n, show_daily=sd)),
        binge_racers=to_arrow(binge_racers(r)),
        extreme_streaks=to_arrow(extreme_streaks(s, n)),
    )


def _sittings(t: ir.Table) -> ir.Table:
    """Sessions or binges with some duration: plays of 0 s (a history of dates only, every
    play at midnight of its day) tell no sitting, so they make no session or binge of the fact
    set (a recap calls such a day's episodes "most in one day" instead)."""
    return t.filter(t[Sessions.seconds] > 0)


def _facts_from_plays(
    p: ir.Table,
    catalog: ir.Table,
    members: ir.Table,
    period: Period,
    keep: Callable[[str, ir.Table], ir.Table],
    step: Callable[[str], None],
    *,
    top_n: int = 10,
    history: ir.Table | None = None,
) -> PlatformFacts:
    """Every table after the plays: ``keep(name, expr)`` materialises one and returns it.

    ``history``: every play, before and after the period too (default: ``p``, when the period
    holds every play), from which seasons finished in the period are found with their true
    start, and sessions and binges that start in the period with all their plays
    (:meth:`Period.filter`). Also materialises the internal ``member_show_daily``
    roll-up (the caller drops it).
    """
    # Sessions and binges of every play, then those starting in the period: whole. (Joining
    # every play to the period's session spans first cost the 10M benchmark 9 %.)
    if history is None:
        sp, starting = p, (lambda t: t)
    else:
        sp, starting = history, period.filter
    keep(Sessions.table, starting(_sittings(sessions(sp))))
    step("sessions")
    b = keep(Binges.table, starting(_sittings(binges(sp))))
    step("binges")
    fs = keep(
        "finished_seasons",
        finished_seasons(
            p if history is None else history,
            catalog,
            finished_in=None if history is None else (period.start, period.end),
        ),
    )
    keep(SeasonBinges.table, fs.filter(fs[SeasonBinges.days] <= 7.0))
    after = fs[SeasonBinges.hours_after_release]
    races = keep("binge_races", fs.filter(after.notnull() & (after >= 0) & (after <= 24)))
    step("seasons")
    # Read by the daily, streak, top-show and platform steps, then dropped.
    # Kinds the catalog's ingestion allows (film, episode) are kept as a flag: cheaper to
    # group on, store and read than text. Any other kind keeps the text roll-up.
    k = catalog[Catalog.kind]
    other_kinds = catalog.filter(~_usual_kinds(k)).count().to_pyarrow().as_py()
    sd = keep(
        MemberShowDaily.table,
        _show_daily_flagged(p) if other_kinds == 0 else member_show_daily(p),
    )
    daily = keep(MemberDaily.table, member_daily(p, show_daily=sd))
    step("daily")
    s_any = keep("streaks_any", streaks(daily, "any"))
    keep("streaks_title", streaks(sd, "title"))
    step("streaks")
    keep(MemberHeatmap.table, member_heatmap(p))
    step("heatmap")
    keep(MemberTop.table, member_top(p, show_daily=sd))
    step("top")
    keep(
        MemberFacts.table,
        member_facts(p, binges_table=b, streaks_table=s_any, daily_table=daily),
    )
    step("members")
    keep(CountryFacts.table, country_facts(p, members, period, daily_table=daily))
    step("countries")
    t0, c0 = time.perf_counter(), time.process_time()
    platform = platform_facts(p, catalog, n=top_n, races=races, streaks_table=s_any, show_daily=sd)
    log.debug(
        "platform tables in %.2f s (%.2f CPU s)",
        time.perf_counter() - t0,
        time.process_time() - c0,
    )
    return platform


@dataclass
class FactSet:
    """Every fact table for one period.

    ``FactSet.compute(warehouse)`` derives plays and their sessions in one sorted pass
    (:func:`~bingewise.analytics.plays.session_plays`), then sessions, binges, finished
    seasons, a member-show-day roll-up (internal, dropped at the end), streaks, per-member,
    per-country and platform tables. Member-level tables stay in the
    warehouse as temporary tables (``tables``: name → Ibis table; :meth:`to_arrow` reads one
    exactly, on any engine), so a platform of 10^8 events is not pulled into Python; the small
    platform tables are Arrow (``platform``). Table names: ``plays``, ``sessions``, ``binges``,
    ``finished_seasons``, ``season_binges``, ``binge_races``, ``streaks_any``,
    ``streaks_title``, ``member_daily``, ``member_heatmap``, ``member_top``, ``member_facts``,
    ``country_facts``.

    The same pipeline runs on any Ibis backend: :meth:`compute_tables` takes the three input
    tables (on Spark, say) and keeps each result with ``Table.cache()``.
    """

    period: Period
    tables: dict[str, ir.Table] = field(default_factory=dict)
    platform: PlatformFacts | None = None
    #: other kept tables, by name: the plays that ``tables`` reads through the period's filter,
    #: the catalogue with estimated runtimes (freed by :meth:`release`)
    held: dict[str, ir.Table] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ir.Table:
        return self.tables[name]

    def to_arrow(self, name: str) -> pa.Table:
        """One fact table as Arrow, exactly, on any engine (:func:`~bingewise.warehouse.to_arrow`).

        Use it rather than ``fs[name].to_pyarrow()``: on PySpark, Ibis's ``to_pyarrow`` goes
        through pandas, where a BIGINT column with a NULL (``member_facts.longest_binge_series_id``
        of a member without a binge) becomes float64 and ids above 2^53 come back with other
        digits. The platform tables (``platform``) are read this way already.

        >>> fs.to_arrow("member_facts").to_pylist()  # doctest: +SKIP
        """
        return to_arrow(self.tables[name])

    @classmethod
    def compute(
        cls,
        warehouse: Warehouse,
        period: Period | str | None = None,
        *,
        gap_minutes: float | None = None,
        resume_gap_minutes: float = DEFAULT_RESUME_GAP_MINUTES,
        finished_share: float | None = None,
        default_tz: str = "UTC",
        override_tz: str | None = None,
        top_n: int = 10,
    ) -> FactSet:
        """Compute the full fact set; ``period`` defaults to :meth:`Period.active` (the local
        days with plays, less the slivers at its edges).

        Session gap and finished share default to the settings (``BINGEWISE_SESSION_GAP_MINUTES``,
        ``BINGEWISE_FINISHED_SHARE``). Episodes without a catalog runtime take their series'
        length as seen in viewing (:func:`~bingewise.analytics.runtimes.runtime_estimates`, as
        a personal export needs; :meth:`compute_tables` does it on every engine). Tables are
        temporary tables of the warehouse connection (:meth:`drop` removes them).
        """
        return cls.compute_tables(
            warehouse.table(Events.table),
            warehouse.table(Catalog.table),
            warehouse.table(Members.table),
            period,
            gap_minutes=gap_minutes,
            resume_gap_minutes=resume_gap_minutes,
            finished_share=finished_share,
            default_tz=default_tz,
            override_tz=override_tz,
            top_n=top_n,
        )

    @classmethod
    def compute_tables(
        cls,
        events: ir.Table,
        catalog: ir.Table,
        members: ir.Table,
        period: Period | str | None = None,
        *,
        gap_minutes: float | None = None,
        resume_gap_minutes: float = DEFAULT_RESUME_GAP_MINUTES,
        finished_share: float | None = None,
        default_tz: str = "UTC",
        override_tz: str | None = None,
        top_n: int = 10,
        estimate_runtimes: bool = True,
    ) -> FactSet:
        """:meth:`compute` on tables of any Ibis backend (``Events``, ``Catalog``, ``Members``).

        Episodes without a catalog runtime get their series' length as seen in viewing, as in
        :meth:`compute` (:func:`~bingewise.analytics.runtimes.runtime_estimates`, in Ibis on the
        same engine, kept as a table; one small count when every episode has a runtime);
        ``estimate_runtimes=False`` takes the catalogue as given. Each table is kept with
        ``Table.cache()``: a temporary table on DuckDB, a persisted DataFrame on Spark.
        :meth:`release` frees them. Read results with :meth:`to_arrow` (exact on every engine).
        Example on Spark (:func:`bingewise.spark.read_tables` reads a lake's Parquet tables)::

            con = ibis.pyspark.connect(spark)
            fs = FactSet.compute_tables(con.table("events"), con.table("catalog"),
                                        con.table("members"), "2024")
            fs.to_arrow("member_facts")
            fs.release()
        """

        settings = get_settings()
        gap = settings.session_gap_minutes if gap_minutes is None else gap_minutes
        share = settings.finished_share if finished_share is None else finished_share
        if isinstance(period, str):
            period = Period.parse(period)
        out: dict[str, ir.Table] = {}
        held: dict[str, ir.Table] = {}

        def keep(name: str, expr: ir.Table) -> ir.Table:
            t0, c0 = time.perf_counter(), time.process_time()
            out[name] = _cache(name, expr)
            log.debug(
                "materialised %s in %.2f s (%.2f CPU s)",
                name,
                time.perf_counter() - t0,
                time.process_time() - c0,
            )
            return out[name]

        with progress() as bar:
            task = bar.add_task("binge facts", total=11)

            def step(label: str) -> None:
                bar.update(task, advance=1, description=f"binge facts: {label}")

            if estimate_runtimes and unknown_episode_runtimes(catalog):
                name = Catalog.table
                catalog = held[name] = _cache(
                    name, fill_runtimes(catalog, runtime_estimates(events, catalog))
                )

            all_plays = session_plays(
                events,
                catalog,
                members,
                gap_minutes=gap,
                resume_gap_minutes=resume_gap_minutes,
                finished_share=share,
                default_tz=default_tz,
                override_tz=override_tz,
            )
            # Every play is kept: seasons finished in the period are found with their true start
            # (a season begun before the period is no season binge if it took more than a
            # week), and a session or binge begun on the period's last evening with its plays
            # after midnight. Every other table reads the period's plays.
            if period is not None:
                history = keep(Plays.table, all_plays)
                whole = False
            else:
                history = keep(Plays.table, all_plays)
                period, trimmed = _active_period(history)
                whole = not trimmed
            p = history
            if not whole:
                # The period's plays are the kept ones read through its filter (no second
                # copy); release() frees the kept one.
                held[Plays.table] = history
                p = out[Plays.table] = period.filter(history)
            step("plays")
            platform = _facts_from_plays(
                p,
                catalog,
                members,
                period,
                keep,
                step,
                top_n=top_n,
                history=None if whole else history,
            )
            _release(MemberShowDaily.table, out.pop(MemberShowDaily.table))
            step("platform")
        return cls(period=period, tables=out, platform=platform, held=held)

    def drop(self, warehouse: Warehouse) -> None:
        """Drop the temporary tables from the warehouse connection (as :meth:`release`)."""
        self.release()

    def release(self) -> None:
        """Free the kept tables (temporary tables on DuckDB, persisted DataFrames on Spark)."""
        for name, table in self.tables.items():
            _release(name, table)
        for name, table in self.held.items():
            _release(name, table)
        self.tables.clear()
        self.held.clear()


def _cache(name: str, expr: ir.Table) -> ir.Table:
    """Keep one fact table with ``Table.cache()`` (a temporary table on DuckDB)."""
    con = ibis.get_backend(expr)
    if con.name == "pyspark":
        # Ibis's PySpark backend compiles a cached table without registering the in-memory
        # tables it reads (the zone offsets); a temporary view does.
        expr = con.create_view(f"_bw_fact_{name}", expr, overwrite=True)
    return expr.cache()


def _release(name: str, table: ir.Table) -> None:
    """Free a table kept by :meth:`FactSet.compute_tables` (and its view, on Spark)."""
    con = ibis.get_backend(table)
    release = getattr(table, "release", None)
    if release is not None:
        release()
    if con.name == "pyspark":
        con.drop_view(f"_bw_fact_{name}", force=True)
