"""A member's year in review: totals, calendar, weekday × hour, top series and films, records.

The recap is built from that member's events only (filtered before anything else), so it shows
only their own data. It renders as JSON, as a self-contained HTML page (Jinja2, charts inlined
as SVG, no scripts) and as a PNG (vl-convert, no browser).

>>> from bingewise.warehouse import Warehouse
>>> member_recap(Warehouse.open(":memory:"), 1) is None  # no plays, no recap
True
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import ibis
import ibis.expr.types as ir
import jinja2

from bingewise import charts
from bingewise.analytics.facts import (
    Period,
    member_daily,
    member_facts,
    member_heatmap,
    show_names,
)
from bingewise.analytics.plays import plays
from bingewise.analytics.runtimes import with_estimated_runtimes
from bingewise.analytics.sessions import binges, sessionize
from bingewise.config import get_settings
from bingewise.files import write_private
from bingewise.schema import Catalog, Events, Members, MemberTop, Plays
from bingewise.warehouse import Warehouse

__all__ = ["Recap", "default_year", "member_recap", "render_html", "render_png", "write_recap"]

#: Before this month, a default recap may review the year before (see :func:`default_year`).
FULL_YEAR_FROM_MONTH = 3
#: Shows watched less than this (hours, i.e. 3 minutes: trailers, sampling) stay off the top lists.
MIN_TOP_HOURS = 0.05

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("bingewise.analytics", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Recap:
    """One member's year in review. Hours are hours watched; dates are local days.

    A history of dates only (Netflix's ``NetflixViewingHistory.csv``: title and date) knows no
    durations and no times of day: ``has_durations`` is false and every hours field is ``None``
    (unknown, not zero), the weekday × hour ``heatmap`` too; plays and days are counted.
    """

    member_id: int
    name: str  #: profile name when known, else "Your viewing"
    year: int
    time_zone: str
    hours: float | None  #: None for a history of dates only
    plays: int
    episodes: int
    films: int
    active_days: int
    completion_rate: float | None
    busiest_week_start: dt.date | None
    busiest_week_episodes: int
    longest_binge: dict[str, Any] | None  #: series, episodes, date
    longest_streak: dict[str, Any] | None  #: days, start, end
    top_series: list[dict[str, Any]] = field(default_factory=list)  #: name, hours, plays
    top_films: list[dict[str, Any]] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)  #: local_date, hours, plays
    #: weekday, hour, hours; None for a history of dates only (no times of day)
    heatmap: list[dict[str, Any]] | None = field(default_factory=list)
    #: False for sources with dates only (Netflix's Title,Date list): no durations, no times of
    #: day (hours are None), and the charts count plays instead
    has_durations: bool = True

    def to_json(self) -> str:
        """The recap as JSON (dates as ISO strings)."""
        return json.dumps(asdict(self), default=_iso, indent=2, ensure_ascii=False)


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def default_year(days: Iterable[dt.date]) -> int | None:
    """The year a recap reviews by default, from the local days with plays: the year of the
    latest, unless that day falls in its year's first two months and the year before has more
    days with viewing (an export taken on 3 January reviews the year that just ended, not its
    first three days). ``None`` without days.

    >>> default_year([dt.date(2025, 6, 1), dt.date(2025, 6, 2), dt.date(2026, 1, 3)])
    2025
    >>> default_year([dt.date(2025, 6, 1), dt.date(2025, 6, 2), dt.date(2026, 3, 1)])
    2026
    """
    distinct = set(days)
    if not distinct:
        return None
    per_year = Counter(d.year for d in distinct)
    latest = max(distinct)
    before = latest.year - 1
    if latest.month < FULL_YEAR_FROM_MONTH and per_year[before] > per_year[latest.year]:
        return before
    return latest.year


def _dates_only(events: ir.Table) -> bool:
    """Whether the member's events are a history of dates (or nothing at all): none has a
    duration, and none names a profile (a Netflix ViewingActivity.csv row always does, with its
    time of day and duration, even when it lasted 00:00:00; NetflixViewingHistory.csv never)."""
    timed = events.filter((events[Events.seconds] > 0) | events[Events.profile].notnull()).count()
    return not timed.to_pyarrow().as_py()


def member_recap(
    warehouse: Warehouse,
    member_id: int,
    year: int | None = None,
    *,
    override_tz: str | None = None,
    default_tz: str = "UTC",
    top_n: int = 5,
) -> Recap | None:
    """The recap of ``member_id`` for local ``year`` (default: :func:`default_year`).

    ``override_tz`` sets the zone of the member's local days, except for a history of dates
    only (Netflix's NetflixViewingHistory.csv: no time of day, no durations): its events sit at
    midnight of each printed date in the zone it was read in, and the dates it printed stay.

    Returns ``None`` when the member has no plays in that year.
    """
    settings = get_settings()
    events = warehouse.table(Events.table)
    events = events.filter(events[Events.member_id] == member_id)
    dates_only = _dates_only(events)
    if override_tz is not None and dates_only:
        override_tz = None
    members = warehouse.table(Members.table)
    members = members.filter(members[Members.member_id] == member_id)
    all_plays = plays(
        events,
        with_estimated_runtimes(warehouse),
        members,
        finished_share=settings.finished_share,
        default_tz=default_tz,
        override_tz=override_tz,
    )
    p = ibis.memtable(all_plays.to_pyarrow())
    if year is None:
        days = p.select(_d=p[Plays.local_date]).distinct().to_pyarrow().column(0).to_pylist()
        year = default_year([d for d in days if d is not None])
        if year is None:
            return None
    period = Period.parse(str(year))
    # Binges are the year's when they start in it, with every episode (one begun on New Year's
    # Eve keeps its episodes after midnight): computed on the member's whole history.
    year_binges = period.filter(binges(sessionize(p, settings.session_gap_minutes)))
    p = ibis.memtable(period.filter(p).to_pyarrow())
    facts_rows = member_facts(p, binges_table=year_binges).to_pyarrow().to_pylist()
    if not facts_rows:
        return None
    f = facts_rows[0]
    zone = str(p.aggregate(_z=p[Plays.time_zone].max()).to_pyarrow().column(0)[0].as_py())

    kind = p[Plays.kind].fill_null(Catalog.FILM)
    tops = (
        p.mutate(_k=kind)
        .group_by(["_k", Plays.show_id])
        .aggregate(
            **{
                MemberTop.plays: p[Plays.title_id].count(),
                MemberTop.seconds: p[Plays.seconds].sum(),
            }
        )
        .to_pyarrow()
        .to_pylist()
    )
    # A history of dates only has no durations; a detailed export whose plays all lasted 0 s
    # has, and they add up to 0 (the fact set's hours are NULL for both: no play with seconds).
    has_durations = not dates_only
    if has_durations:
        tops.sort(key=lambda r: (-r[MemberTop.seconds], -r[MemberTop.plays], r[Plays.show_id]))
    else:
        tops.sort(key=lambda r: (-r[MemberTop.plays], r[Plays.show_id]))
    series_rows = [r for r in tops if r["_k"] == Catalog.EPISODE][:top_n]
    film_rows = [r for r in tops if r["_k"] != Catalog.EPISODE][:top_n]
    binge_series = f["longest_binge_series_id"]
    wanted = [r[Plays.show_id] for r in series_rows + film_rows]
    names = show_names(
        warehouse.table(Catalog.table), [*wanted, *([binge_series] if binge_series else [])]
    )

    def hours(seconds: int) -> float | None:
        """Hours watched, or None (unknown) for a history of dates only."""
        return seconds / 3600 if has_durations else None

    def item(r: dict[str, Any]) -> dict[str, Any]:
        sid = int(r[Plays.show_id])
        return {
            "name": names.get(sid, f"title {sid}"),
            "hours": hours(r[MemberTop.seconds]),
            "plays": int(r[MemberTop.plays]),
        }

    def keep(i: dict[str, Any]) -> bool:
        return not has_durations or i["hours"] >= MIN_TOP_HOURS

    profile = members.select(Members.profile).to_pyarrow().column(0).to_pylist()
    daily = sorted(member_daily(p).to_pyarrow().to_pylist(), key=lambda d: d["local_date"])
    heat = None
    if has_durations:  # a history of dates only has no time of day
        heat = sorted(
            member_heatmap(p).to_pyarrow().to_pylist(), key=lambda h: (h["weekday"], h["hour"])
        )
    streak = None
    if f["longest_streak_days"]:
        start = f["longest_streak_start"]
        streak = {
            "days": int(f["longest_streak_days"]),
            "start": start,
            "end": start + dt.timedelta(days=int(f["longest_streak_days"]) - 1),
        }
    binge = None
    if f["longest_binge_episodes"]:
        binge = {
            "series": names.get(int(binge_series), f"series {binge_series}"),
            "episodes": int(f["longest_binge_episodes"]),
            "date": f["longest_binge_date"],
        }
    return Recap(
        member_id=member_id,
        name=str(profile[0]) if profile and profile[0] else "Your viewing",
        year=year,
        time_zone=zone,
        hours=float(f["hours"] or 0.0) if has_durations else None,
        plays=int(f["plays"]),
        episodes=int(f["episodes"]),
        films=int(f["films"]),
        active_days=int(f["active_days"]),
        completion_rate=f["completion_rate"],
        busiest_week_start=f["busiest_week_start"],
        busiest_week_episodes=int(f["busiest_week_episodes"] or 0),
        longest_binge=binge,
        longest_streak=streak,
        top_series=[i for i in map(item, series_rows) if keep(i)],
        top_films=[i for i in map(item, film_rows) if keep(i)],
        daily=[
            {"local_date": d["local_date"], "hours": hours(d["seconds"]), "plays": d["plays"]}
            for d in daily
        ],
        heatmap=None
        if heat is None
        else [
            {"weekday": h["weekday"], "hour": h["hour"], "hours": h["seconds"] / 3600} for h in heat
        ],
        has_durations=has_durations,
    )


def _charts(recap: Recap, width: int = 720) -> list[Any]:
    measure = "hours" if recap.has_durations else "plays"
    out: list[Any] = [
        charts.calendar_heatmap(recap.daily, recap.year, width=width, measure=measure)
    ]
    if recap.heatmap is not None:  # a dates-only source has no time of day
        out.append(charts.weekday_hour_heatmap(recap.heatmap, width=width))
    for items, title in ((recap.top_series, "Top series"), (recap.top_films, "Top films")):
        if items:
            out.append(charts.top_bar(items, title=title, width=width, measure=measure))
    return out


def _count(n: int, word: str) -> str:
    """``"1 film"``, ``"2 films"``, ``"1,204 plays"``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _about(recap: Recap) -> str:
    """What the recap's days are, under its title (PNG and HTML page)."""
    if recap.has_durations:
        return f"Local days in {recap.time_zone}."
    return "This history has dates only: no times of day, no hours watched."


def _headline(recap: Recap) -> list[str]:
    """Short lines of the recap's records, for the PNG and the HTML page."""
    hours = f"{recap.hours:,.1f} hours · " if recap.hours is not None else ""
    lines = [
        f"{hours}{_count(recap.plays, 'play')} ({_count(recap.episodes, 'episode')}, "
        f"{_count(recap.films, 'film')}) · {_count(recap.active_days, 'day')} with viewing"
    ]
    if recap.longest_binge:
        b = recap.longest_binge
        # A dates-only history (NetflixViewingHistory.csv) has no sittings, only days.
        label = "Longest binge" if recap.has_durations else "Most in one day"
        lines.append(
            f"{label}: {_count(b['episodes'], 'episode')} of {b['series']} on {b['date']:%d %b}"
        )
    if recap.longest_streak:
        s = recap.longest_streak
        if s["days"] == 1:
            lines.append(f"Longest streak: 1 day, {s['start']:%d %b}")
        else:
            lines.append(
                f"Longest streak: {s['days']} days in a row, {s['start']:%d %b} – {s['end']:%d %b}"
            )
    if recap.busiest_week_start and recap.busiest_week_episodes:
        lines.append(
            f"Busiest week: {_count(recap.busiest_week_episodes, 'episode')} from "
            f"{recap.busiest_week_start:%d %b}"
        )
    if recap.completion_rate is not None:
        lines.append(f"Finished {recap.completion_rate * 100:.0f}% of what you started")
    return lines


def render_png(recap: Recap, *, scale: float = 1.5) -> bytes:
    """The recap as one PNG: title, records, calendar, weekday × hour, top series and films.

    Its text is what the machine's fonts can draw (:func:`~bingewise.charts.drawable`: no emoji,
    which would be empty boxes); a name of emoji only reads "Your viewing".
    """
    lines = _headline(recap)
    name = charts.drawable(recap.name) or "Your viewing"
    header = (
        alt.Chart(alt.Data(values=[{"line": line, "i": i} for i, line in enumerate(lines)]))
        .mark_text(align="left", baseline="top", fontSize=15, font=charts.FONT)
        .encode(x=alt.value(0), y=alt.Y("i:O", axis=None), text="line:N")
        .properties(
            width=720,
            height=24 * len(lines),
            title=alt.TitleParams(
                f"{name} · {recap.year} in review",
                fontSize=22,
                subtitle=_about(recap),
            ),
        )
    )
    page = (
        alt.vconcat(header, *_charts(recap), spacing=28)
        .resolve_scale(color="independent")
        .resolve_legend(color="independent")
        .properties(padding=24)
    )
    return charts.to_png(page, scale=scale)


def render_html(recap: Recap) -> str:
    """The recap as one self-contained HTML page (inline SVG charts, no scripts)."""
    svgs = [charts.to_svg(c) for c in _charts(recap)]
    return _TEMPLATES.get_template("recap.html.j2").render(
        recap=recap, about=_about(recap), lines=_headline(recap), svgs=svgs
    )


#: The file suffixes :func:`write_recap` writes.
RECAP_FORMATS = (".html", ".png", ".json")


def write_recap(recap: Recap, out: str | Path) -> Path:
    """Write the recap to ``out`` by its suffix: ``.html``, ``.png`` or ``.json``."""
    path = Path(out)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    # One member's viewing: readable by whoever wrote it only (0600).
    if suffix == ".html":
        write_private(path, render_html(recap).encode("utf-8"))
    elif suffix == ".png":
        write_private(path, render_png(recap))
    elif suffix == ".json":
        write_private(path, recap.to_json().encode("utf-8"))
    else:
        raise ValueError(f"{path}: recap format must be .html, .png or .json, not {suffix!r}")
    return path
