"""A brute-force, pure-Python reference of the binge facts, for comparison on small histories.

Written from the definitions in DESIGN.md and the analytics docstrings, loop by loop, with no
shared code: plays, sessions, binges, finished seasons, streaks and per-member facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from analytics.helpers import Seg, Title


@dataclass
class RPlay:
    member: int
    title: int
    start: dt.datetime
    end: dt.datetime
    seconds: int
    segments: int
    progress: int
    finished: bool | None
    local_date: dt.date
    local_start: dt.datetime
    kind: str | None
    series: int | None
    season: int | None
    session: int = 0


def ref_plays(
    segs: Sequence[Seg],
    titles: Sequence[Title],
    zones: dict[int, str],
    *,
    resume_gap_min: float = 60,
    share: float = 0.85,
) -> list[RPlay]:
    cat = {t.title_id: t for t in titles}
    by_member: dict[int, list[tuple[int, Seg]]] = defaultdict(list)
    for i, s in enumerate(segs):
        if not s.supplemental:
            by_member[s.member].append((i, s))
    out: list[RPlay] = []
    for member, items in by_member.items():
        items.sort(key=lambda x: (x[1].start, x[1].title, x[1].seconds))
        groups: list[list[Seg]] = []
        prev: Seg | None = None
        for _, s in items:
            if prev is not None and prev.title == s.title:
                prev_end = prev.start + dt.timedelta(seconds=prev.seconds)
                if (s.start - prev_end).total_seconds() <= resume_gap_min * 60:
                    groups[-1].append(s)
                    prev = s
                    continue
            groups.append([s])
            prev = s
        zone = ZoneInfo(zones.get(member, "UTC"))
        for g in groups:
            t = cat.get(g[0].title)
            start = min(s.start for s in g)
            end = max(s.start + dt.timedelta(seconds=s.seconds) for s in g)
            seconds = sum(s.seconds for s in g)
            marks = [s.bookmark for s in g if s.bookmark is not None]
            progress = max(marks) if marks else seconds
            runtime = t.runtime if t else None
            finished = None if not runtime else progress >= share * runtime
            local = start.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
            out.append(
                RPlay(
                    member,
                    g[0].title,
                    start,
                    end,
                    seconds,
                    len(g),
                    progress,
                    finished,
                    local.date(),
                    local,
                    t.kind if t else None,
                    t.series_id if t else None,
                    t.season if t else None,
                )
            )
    return out


def ref_sessionize(plays: list[RPlay], gap_min: float = 30) -> None:
    by_member: dict[int, list[RPlay]] = defaultdict(list)
    for p in plays:
        by_member[p.member].append(p)
    for ps in by_member.values():
        ps.sort(key=lambda p: (p.start, p.title, p.end))
        latest: dt.datetime | None = None
        n = 0
        for p in ps:
            if latest is None or (p.start - latest).total_seconds() >= gap_min * 60:
                n += 1
            p.session = n
            latest = p.end if latest is None else max(latest, p.end)


def ref_binges(
    plays: list[RPlay],
) -> dict[tuple[int, int, int], tuple[int, int, dt.datetime, dt.date]]:
    """(member, session, series) → (distinct episodes, seconds, start, local date)."""
    acc: dict[tuple[int, int, int], list[RPlay]] = defaultdict(list)
    for p in plays:
        if p.kind == "episode" and p.series is not None:
            acc[(p.member, p.session, p.series)].append(p)
    out = {}
    for key, ps in acc.items():
        eps = len({p.title for p in ps})
        if eps >= 2:
            first = min(ps, key=lambda p: p.start)
            out[key] = (eps, sum(p.seconds for p in ps), first.start, first.local_date)
    return out


def ref_streaks(plays: list[RPlay], by_show: bool) -> list[tuple[int, int | None, dt.date, int]]:
    """(member, show or None, start date, days) for every streak."""
    days: dict[tuple[int, int | None], set[dt.date]] = defaultdict(set)
    for p in plays:
        show = (p.series if p.series is not None else p.title) if by_show else None
        days[(p.member, show)].add(p.local_date)
    out = []
    for (member, show), ds in days.items():
        for d in ds:
            if d - dt.timedelta(days=1) in ds:
                continue
            n = 1
            while d + dt.timedelta(days=n) in ds:
                n += 1
            out.append((member, show, d, n))
    return out


def ref_finished_seasons(
    plays: list[RPlay], titles: Sequence[Title]
) -> dict[tuple[int, int, int], tuple[dt.datetime, dt.datetime]]:
    """(member, series, season) → (started, finished) for every finished season."""
    season_eps: dict[tuple[int, int], set[int]] = defaultdict(set)
    for t in titles:
        if t.kind == "episode" and t.series_id is not None and t.season is not None:
            season_eps[(t.series_id, t.season)].add(t.title_id)
    out = {}
    members = {p.member for p in plays}
    for m in members:
        for (series, season), eps in season_eps.items():
            mine = [
                p
                for p in plays
                if p.member == m
                and p.series == series
                and p.season == season
                and p.kind == "episode"
            ]
            if not mine:
                continue
            done: dict[int, dt.datetime] = {}
            for p in mine:
                if p.finished is not False:
                    done[p.title] = min(done.get(p.title, p.end), p.end)
            if set(done) >= eps:
                out[(m, series, season)] = (min(p.start for p in mine), max(done.values()))
    return out


def ref_member_facts(plays: list[RPlay]) -> dict[int, dict[str, object]]:
    ref_sessionize(plays)
    bs = ref_binges(plays)
    st = ref_streaks(plays, by_show=False)
    out: dict[int, dict[str, object]] = {}
    for m in sorted({p.member for p in plays}):
        mine = [p for p in plays if p.member == m]
        known = [p for p in mine if p.finished is not None]
        eps_by_day: dict[dt.date, int] = defaultdict(int)
        for p in mine:
            eps_by_day[p.local_date] += p.kind == "episode"
        best: tuple[int, dt.date] | None = None
        for d in sorted(eps_by_day):
            n = sum(eps_by_day.get(d + dt.timedelta(days=k), 0) for k in range(7))
            if best is None or n > best[0]:
                best = (n, d)
        assert best is not None
        my_b = [(v[0], v[1], v[2], v[3], k[2]) for k, v in bs.items() if k[0] == m]
        top_b = min(my_b, key=lambda b: (-b[0], -b[1], b[2])) if my_b else None
        my_s = [s for s in st if s[0] == m]
        top_s = min(my_s, key=lambda s: (-s[3], s[2]))
        out[m] = {
            "plays": len(mine),
            "films": sum(p.kind == "film" for p in mine),
            "episodes": sum(p.kind == "episode" for p in mine),
            "hours": sum(p.seconds for p in mine) / 3600,
            "active_days": len({p.local_date for p in mine}),
            "completion_rate": (sum(bool(p.finished) for p in known) / len(known))
            if known
            else None,
            "busiest_week_start": best[1],
            "busiest_week_episodes": best[0],
            "longest_binge_episodes": top_b[0] if top_b else None,
            "longest_binge_series_id": top_b[4] if top_b else None,
            "longest_binge_date": top_b[3] if top_b else None,
            "longest_streak_days": top_s[3],
            "longest_streak_start": top_s[2],
        }
    return out


def ref_daily(plays: list[RPlay]) -> dict[tuple[int, dt.date], tuple[int, int, int]]:
    """(member, local date) → (plays, episode plays, seconds)."""
    out: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in plays:
        row = out[(p.member, p.local_date)]
        row[0] += 1
        row[1] += p.kind == "episode"
        row[2] += p.seconds
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def ref_show(p: RPlay) -> tuple[str, int]:
    """(kind, show): a series for episodes, the title itself otherwise (unknown kind = film)."""
    kind = p.kind or "film"
    return kind, p.series if p.series is not None else p.title


def ref_top_shows(plays: list[RPlay]) -> dict[tuple[int, str], int]:
    """(member, kind) → the show ranked first: most seconds, then most plays, then smaller id."""
    acc: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for p in plays:
        kind, show = ref_show(p)
        acc[(p.member, kind, show)][0] += p.seconds
        acc[(p.member, kind, show)][1] += 1
    best: dict[tuple[int, str], tuple[int, int, int]] = {}
    for (member, kind, show), (sec, n) in acc.items():
        key = (-sec, -n, show)
        if (member, kind) not in best or key < best[(member, kind)]:
            best[(member, kind)] = key
    return {k: v[2] for k, v in best.items()}


def ref_daily_audience(plays: list[RPlay]) -> dict[tuple[dt.date, str, int], int]:
    """(local date, kind, show) → distinct members who watched it that day."""
    seen: dict[tuple[dt.date, str, int], set[int]] = defaultdict(set)
    for p in plays:
        kind, show = ref_show(p)
        seen[(p.local_date, kind, show)].add(p.member)
    return {k: len(v) for k, v in seen.items()}
