"""The cheaper groupings behind the fact set, against brute force on dense, tangled input.

``binges`` proves its distinct-episode counts from lowest/highest title and counted repeats;
``member_show_daily`` groups the catalog's kinds by a flag and any other kind as text. Both must
give exactly what the plain definitions give, repeats and unexpected kinds included.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import ibis
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from bingewise.analytics import binges, sessions
from bingewise.analytics.facts import member_show_daily
from bingewise.schema import Catalog, Plays, Sessions

T0 = dt.datetime(2021, 3, 1, 20, 0)
KINDS = [Catalog.EPISODE, Catalog.FILM, None, "special"]

rows = st.lists(
    st.tuples(
        st.integers(1, 2),  # member
        st.integers(1, 3),  # session
        st.integers(1, 2),  # series
        st.integers(0, 4),  # title within the series (repeats are likely)
        st.sampled_from(KINDS),
        st.integers(0, 3000),  # minutes after T0 (20:00, so two or three days)
        st.integers(1, 3000),  # seconds
    ),
    min_size=1,
    max_size=40,
)


def _plays(raw: list[tuple[int, int, int, int, str | None, int, int]]) -> pa.Table:
    """Plays-shaped rows; a title's kind and series are fixed by its id, as the catalog fixes
    them (the kind drawn for a title's first row holds for all its rows)."""
    kind_of: dict[int, str | None] = {}
    out = defaultdict(list)
    for member, session, series, t, kind, minutes, seconds in raw:
        title = series * 100 + t
        kind = kind_of.setdefault(title, kind)
        start = T0 + dt.timedelta(minutes=minutes)
        out[Plays.member_id].append(member)
        out[Sessions.session_no].append(session)
        out[Plays.title_id].append(title)
        out[Plays.series_id].append(series if kind == Catalog.EPISODE else None)
        out[Plays.show_id].append(series if kind == Catalog.EPISODE else title)
        out[Plays.kind].append(kind)
        out[Plays.start_utc].append(start)
        out[Plays.end_utc].append(start + dt.timedelta(seconds=seconds))
        out[Plays.seconds].append(seconds)
        out[Plays.local_start].append(start)
        out[Plays.local_date].append(start.date())
    types = {
        Plays.member_id: pa.int64(),
        Sessions.session_no: pa.int64(),
        Plays.title_id: pa.int64(),
        Plays.series_id: pa.int64(),
        Plays.show_id: pa.int64(),
        Plays.kind: pa.string(),
        Plays.start_utc: pa.timestamp("us"),
        Plays.end_utc: pa.timestamp("us"),
        Plays.seconds: pa.int64(),
        Plays.local_start: pa.timestamp("us"),
        Plays.local_date: pa.date32(),
    }
    return pa.table({c: pa.array(out[c], type=ty) for c, ty in types.items()})


@settings(max_examples=40, deadline=None)
@given(rows, st.integers(1, 4))
def test_binges_match_distinct_count(raw: list, min_episodes: int) -> None:  # type: ignore[type-arg]
    table = _plays(raw)
    got = binges(ibis.memtable(table), min_episodes=min_episodes).to_pyarrow().to_pylist()

    groups: dict[tuple[int, int, int], list[dict[str, object]]] = defaultdict(list)
    for r in table.to_pylist():
        if r[Plays.kind] == Catalog.EPISODE and r[Plays.series_id] is not None:
            groups[(r[Plays.member_id], r[Sessions.session_no], r[Plays.series_id])].append(r)
    expect = {}
    for key, ps in groups.items():
        distinct = len({p[Plays.title_id] for p in ps})
        if distinct >= min_episodes:
            expect[key] = (
                distinct,
                min(p[Plays.start_utc] for p in ps),
                max(p[Plays.end_utc] for p in ps),
                min(p[Plays.local_date] for p in ps),
                sum(p[Plays.seconds] for p in ps),
            )
    assert {
        (b["member_id"], b["session_no"], b["series_id"]): (
            b["episodes"],
            b["start_utc"],
            b["end_utc"],
            b["local_date"],
            b["seconds"],
        )
        for b in got
    } == expect
    assert len(got) == len(expect)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_member_show_daily_any_kind(raw: list) -> None:  # type: ignore[type-arg]
    table = _plays(raw)
    got = member_show_daily(ibis.memtable(table)).to_pyarrow().to_pylist()

    expect: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in table.to_pylist():
        kind = r[Plays.kind] if r[Plays.kind] is not None else Catalog.FILM
        acc = expect[(r[Plays.member_id], r[Plays.show_id], kind, r[Plays.local_date])]
        acc[0] += 1
        acc[1] += r[Plays.kind] == Catalog.EPISODE
        acc[2] += r[Plays.seconds]
    assert {
        (d["member_id"], d["show_id"], d["kind"], d["local_date"]): [
            d["plays"],
            d["episodes"],
            d["seconds"],
        ]
        for d in got
    } == dict(expect)
    assert len(got) == len(expect)


def test_sessions_local_date_is_date_of_local_start() -> None:
    table = _plays([(1, 1, 1, 0, Catalog.EPISODE, 30, 60), (1, 1, 1, 1, Catalog.FILM, 1, 60)])
    (s,) = sessions(ibis.memtable(table)).to_pyarrow().to_pylist()
    assert s["local_start"] == T0 + dt.timedelta(minutes=1)
    assert s["local_date"] == s["local_start"].date()
    assert (s["plays"], s["episodes"], s["seconds"]) == (2, 1, 120)
