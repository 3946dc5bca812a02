"""Viewing events for one block of members, fully vectorised (numpy), as an Arrow table.

How viewing is made (planted structure, documented so analyses and tests can check it):

1. **Sessions.** Each member has a session rate (sessions per active day, log-normal). Session
   days follow :data:`~bingewise.synth._world.WEEKDAY_WEIGHT` (weekends busier) from signup to
   the period end. A session is either in the *evening* slot (local start ~ N(20:45, 70 min),
   clipped to 18:00-23:54) or, less often (12% of weekdays, 30% of weekend days), in the
   *daytime* slot (local start uniform 09:00-14:00). At most one session per member, day and slot.
2. **What is watched.** A session is a series session (probability: the member's
   ``series_share``, ~0.67) of 1 + Poisson(``binge``) episodes (at most 8, 3 in daytime), or a
   film session of one film. Works are drawn by Zipf popularity, with probability
   :data:`~bingewise.synth._members.TASTE_SHARE` restricted to one of the member's favourite
   genres. Films released during the period are watched from their release day on.
3. **Series in order.** A member keeps two series "queues" (most sessions use the first): each
   queue is a list of series, each watched from a season opener (season 1, or for members who
   signed up before the period sometimes a later season) to its last pre-period episode, then
   the next series. A member never has the same series twice, so per (member, series) episodes
   come in order.
4. **New seasons.** Seasons released during the period are watched by members who like their
   genre (and a few others): 8% race (start at the release instant, 08:00 UTC, and watch the
   whole season in one sitting), 40% binge it in 3-6 episodes an evening from within a few
   days of release, the rest watch casually, 1-3 episodes a session, days apart, half of them
   giving up part way.
5. **Segments.** The last play of a session is left unfinished with probability 0.25 (5-80% of
   the runtime); finished plays cover 93-100%. 6% of plays are watched in two segments with a
   3-25 minute pause (``bookmark_seconds`` is the position reached). Supplemental rows (short):
   a trailer or teaser before 30% of film sessions, a recap before 25% of series sessions that
   open mid-season, a hook before 5% of other plays.
6. **Devices.** One device per session: the member's main device 75% of the time.
7. **No overlaps.** A member's sessions never overlap in UTC: a session that would start before
   the previous one ended (plus one minute) is pushed later.
8. **Planted extremes** (see :class:`~bingewise.synth._world.Planted`) replace those members'
   regular viewing.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from bingewise.ingest.generic import event_key_sql
from bingewise.schema import Events
from bingewise.synth._catalog import GENRES
from bingewise.synth._clock import DAY, epoch_day
from bingewise.synth._members import COUNTRY_CODES, DEVICES, PROFILES, TASTE_SHARE
from bingewise.synth._world import BINGER_EPISODES, World, stream

__all__ = ["SOURCE", "SUPPLEMENTAL", "block_events", "event_keys"]

SOURCE = "synth"  #: Events.source of every synthetic event
SUPPLEMENTAL: tuple[str, ...] = ("TRAILER", "HOOK", "TEASER_TRAILER", "RECAP")
_TRAILER, _HOOK, _TEASER, _RECAP = range(4)
#: Supplemental durations (seconds, [lo, hi)) by type: trailer, hook, teaser, recap.
_SUPP_LO = np.array([60, 15, 30, 40])
_SUPP_HI = np.array([151, 41, 91, 121])
#: Gaps after a row (seconds, [lo, hi)): after a supplemental row, a pause between two segments,
#: after an episode (autoplay), after a film or an unfinished play.
_GAP_LO = np.array([2, 180, 5, 30])
_GAP_HI = np.array([21, 1501, 91, 601])
_EVENTS_STREAM = 3
_OVERSAMPLE = 1.08  #: compensates sessions merged by the one-per-slot rule
_RELEASE_UTC_S = 8 * 3600  #: new seasons appear at 08:00 UTC (midnight Pacific)
_KEY_CHUNK = 131_072  #: rows per Arrow batch handed to DuckDB for event keys
_MIN_GAP = 60  #: seconds between a member's sessions, at least
_HUGE = np.int64(1) << np.int64(42)  #: group separator for grouped running maxima (seconds)


def event_keys(events: pa.Table) -> pa.Array:
    """The ingestion event key of each row of ``events`` (member, title, start, seconds).

    The same function as ingestion (:func:`bingewise.ingest.generic.event_key`, i.e.
    :data:`bingewise.ids.SQL_STABLE_ID` over ``member|title|start µs|seconds``), computed in
    DuckDB, so a synthetic event exported and ingested again is recognised as a duplicate.
    Keys are unique because a member's segments never start at the same instant.
    """
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        cols = [Events.member_id, Events.title_id, Events.start_utc, Events.seconds]
        chunks = events.select(cols).to_batches(max_chunksize=_KEY_CHUNK)
        con.register("_synth_events", pa.Table.from_batches(chunks))  # chunks: DuckDB threads
        result = con.execute(f"SELECT {event_key_sql()} FROM _synth_events").arrow()
        table = result.read_all() if isinstance(result, pa.RecordBatchReader) else result
        keys = table.column(0).combine_chunks()
        if len(keys) != events.num_rows:  # pragma: no cover - DuckDB keeps every row
            raise RuntimeError("event keys lost rows")
        return keys
    finally:
        con.close()


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Distinct values, sorted (a sort and a comparison: faster than hashing here)."""
    out = np.sort(values)
    keep = np.ones(out.size, dtype=bool)
    keep[1:] = out[1:] != out[:-1]
    return out[keep]


def _group_starts(sizes: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sum: where each group of ``sizes`` starts."""
    out = np.zeros(sizes.size, dtype=np.int64)
    np.cumsum(sizes[:-1], out=out[1:])
    return out


def _within(sizes: np.ndarray) -> np.ndarray:
    """For groups of ``sizes`` laid end to end, each element's position in its group."""
    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_group_starts(sizes), sizes)


def _grouped_exclusive_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sum of ``values`` before each element, restarting where ``group`` (sorted) changes."""
    cs = np.cumsum(values) - values
    first = np.ones(group.size, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    starts = np.flatnonzero(first)
    idx = np.cumsum(first) - 1
    return cs - cs[starts][idx]


class _Pools:
    """Weighted sampling of works within a genre (or over all genres), by inverse CDF.

    Block ``g`` of the concatenated CDF holds genre ``g``'s works with values in ``(g, g + 1]``;
    block ``len(GENRES)`` holds every work. An empty genre falls back to every work.
    """

    def __init__(self, weights: np.ndarray, genre: np.ndarray) -> None:
        works: list[np.ndarray] = []
        cdfs: list[np.ndarray] = []
        everything = np.flatnonzero(weights > 0)
        self.empty = everything.size == 0
        if self.empty:
            everything = np.arange(weights.size)
            weights = np.ones(weights.size)
        for g in range(len(GENRES) + 1):
            chosen = np.flatnonzero((weights > 0) & (genre == g)) if g < len(GENRES) else everything
            if chosen.size == 0:
                chosen = everything
            c = np.cumsum(weights[chosen])
            works.append(chosen)
            cdfs.append(g + c / c[-1])
        self.works = np.concatenate(works)
        self.cdf = np.concatenate(cdfs)

    def sample(self, block: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One work per element: from genre ``block`` (``len(GENRES)``: any), ``u`` in [0, 1)."""
        pos = np.searchsorted(self.cdf, block + u, side="right")
        return self.works[np.minimum(pos, self.works.size - 1)]


def _taste_block(rng: np.random.Generator, fav: np.ndarray, n_fav: np.ndarray) -> np.ndarray:
    """Genre block to draw from for members with favourites ``fav`` (rows) and ``n_fav``."""
    pick = fav[np.arange(fav.shape[0]), (rng.random(fav.shape[0]) * n_fav).astype(np.int64)]
    return np.where(rng.random(fav.shape[0]) < TASTE_SHARE, pick, len(GENRES))


def block_events(world: World, block: int) -> pa.Table:
    """Events of the ``block``-th block of ``spec.block_members`` members, by member and time."""
    cat = world.catalog_model
    mem = world.members_model
    days = world.spec.days
    rng = stream(world.spec.seed, _EVENTS_STREAM, block)
    lo = block * world.spec.block_members
    hi = min(world.spec.members, lo + world.spec.block_members)
    n = hi - lo
    fav = mem.favourites[lo:hi]
    n_fav = mem.n_favourites[lo:hi]
    planted = mem.planted[lo:hi]
    signup = mem.signup_day[lo:hi]
    rate = np.where(planted, 0.0, mem.rate[lo:hi])
    first_day = np.clip(signup, 0, days)
    n_works = cat.work_is_series.size

    # ---- 1. regular session slots: (member, day, slot), one per slot at most
    counts = rng.poisson(rate * (days - first_day) * _OVERSAMPLE)
    sm = np.repeat(np.arange(n, dtype=np.int64), counts)
    lo_c = world.day_cdf[first_day[sm]]
    hi_c = world.day_cdf[days]
    day = np.searchsorted(world.day_cdf, lo_c + rng.random(sm.size) * (hi_c - lo_c), "right") - 1
    day = np.clip(day, first_day[sm], days - 1)
    evening = rng.random(sm.size) >= np.where(world.weekend[day], 0.30, 0.12)
    slot_key = _sorted_unique((sm * days + day) * 2 + evening)

    # ---- 4. new-season viewers (decided first: they take precedence over regular slots)
    taken = np.zeros(0, dtype=np.int64)
    n_rel = cat.rel_work.size
    ex_m: list[np.ndarray] = []
    ex_day: list[np.ndarray] = []
    ex_row: list[np.ndarray] = []
    ex_k: list[np.ndarray] = []
    ex_tod: list[np.ndarray] = []
    ex_utc: list[np.ndarray] = []  # preset UTC start (racers), else -1
    ex_plain: list[np.ndarray] = []
    blocked = np.zeros(0, dtype=np.int64)
    if n_rel and n:
        rel_genre = cat.work_genre[cat.rel_work]
        rel_pop = cat.work_pop[cat.rel_work]
        appeal = 0.15 + 0.6 * np.sqrt(rel_pop / cat.work_pop[cat.work_is_series].max())
        likes = (fav[:, :, None] == rel_genre[None, None, :]).any(axis=1)
        p = appeal[None, :] * np.where(likes, 1.0, 0.08) * np.minimum(1.0, rate / 0.5)[:, None]
        p = np.where(signup[:, None] <= cat.rel_day[None, :], p, 0.0)
        vm, vr = np.nonzero(rng.random((n, n_rel)) < p)
        series_key = vm * n_works + cat.rel_work[vr]
        _, keep = np.unique(series_key, return_index=True)
        keep.sort()
        vm, vr = vm[keep], vr[keep]
        taken = vm * n_works + cat.rel_work[vr]
        v = vm.size
        style = rng.choice(3, size=v, p=[0.08, 0.40, 0.52])  # race, season binge, casual
        eps = cat.rel_n_eps[vr]
        k = np.where(
            style == 0, eps, np.where(style == 1, rng.integers(3, 7, v), rng.integers(1, 4, v))
        )
        total = np.where((style == 2) & (rng.random(v) < 0.5), rng.integers(1, eps + 1), eps)
        n_s = -(-total // k)
        first = cat.rel_day[vr] + np.where(
            style == 0,
            0,
            np.where(
                style == 1, rng.geometric(0.5, v) - 1, rng.exponential(20.0, v).astype(np.int64)
            ),
        )
        rep = np.repeat(np.arange(v), n_s)
        j = _within(n_s)
        gap = np.where(j == 0, 0, np.where(style[rep] == 2, rng.geometric(0.35, rep.size), 1))
        s_day = first[rep] + _grouped_exclusive_cumsum(gap, rep) + gap
        start_ep = j * k[rep]
        s_k = np.minimum(k[rep], total[rep] - start_ep)
        ok = s_day < days
        rep, s_day, start_ep, s_k = rep[ok], s_day[ok], start_ep[ok], s_k[ok]
        racer = style[rep] == 0
        release_utc = (epoch_day(world.spec.start) + cat.rel_day[vr[rep]]) * DAY + _RELEASE_UTC_S
        utc = np.where(racer, release_utc + rng.integers(0, 5400, rep.size), -1)
        ex_m.append(vm[rep])
        ex_day.append(s_day)
        ex_row.append(cat.rel_first_row[vr[rep]] + start_ep)
        ex_k.append(s_k)
        ex_tod.append(_evening(rng, rep.size))
        ex_utc.append(utc)
        ex_plain.append(racer | (style[rep] == 1))
        # Release sessions take the evening slot; racers get their local release day and the
        # next one to themselves.
        sm_rel = vm[rep]
        rm = sm_rel[racer]
        local_day = world.clock.to_local(mem.zone[lo:hi][rm], utc[racer]) // DAY - epoch_day(
            world.spec.start
        )
        race_days = np.stack([local_day, local_day + 1], axis=1)
        race_key = (rm[:, None] * days + race_days) * 2
        race_key = race_key[race_days < days]
        blocked = np.concatenate(
            [(sm_rel[~racer] * days + s_day[~racer]) * 2 + 1, race_key, race_key + 1]
        )

    # ---- planted extremes
    planted_idx = np.flatnonzero(planted)
    for i in planted_idx:
        member_id = int(mem.member_id[lo + i])
        if member_id == world.planted.daily_film_member:
            d = np.arange(days, dtype=np.int64)
            ex_m.append(np.full(days, i, dtype=np.int64))
            ex_day.append(d)
            ex_row.append(np.full(days, world.daily_film_row, dtype=np.int64))
            ex_k.append(np.ones(days, dtype=np.int64))
            ex_tod.append(20 * 3600 + rng.integers(-3600, 3600, days))
            ex_utc.append(np.full(days, -1, dtype=np.int64))
            ex_plain.append(np.ones(days, dtype=bool))
        elif member_id == world.planted.binger_member:
            per_day = np.full(7, BINGER_EPISODES // 7, dtype=np.int64)
            per_day[: BINGER_EPISODES - per_day.sum()] += 1
            first_row = int(cat.work_first_row[cat.long_series])
            ex_m.append(np.full(7, i, dtype=np.int64))
            ex_day.append(world.binger_week_day + np.arange(7, dtype=np.int64))
            ex_row.append(first_row + _group_starts(per_day))
            ex_k.append(per_day)
            ex_tod.append(10 * 3600 + rng.integers(0, 1800, 7))
            ex_utc.append(np.full(7, -1, dtype=np.int64))
            ex_plain.append(np.ones(7, dtype=bool))

    if blocked.size:
        slot_key = slot_key[~np.isin(slot_key, blocked)]
    r_m = slot_key // (2 * days)
    r_day = (slot_key // 2) % days
    r_evening = (slot_key % 2).astype(bool)
    r_tod = np.where(
        r_evening, _evening(rng, r_m.size), rng.integers(9 * 3600, 14 * 3600, r_m.size)
    )

    # ---- 2. regular session content
    series_pools = _Pools(
        cat.work_pop * (cat.work_is_series & (cat.work_n_pre > 0)), cat.work_genre
    )
    film_pools = _Pools(cat.work_pop * ~cat.work_is_series, cat.work_genre)
    is_series = rng.random(r_m.size) < mem.series_share[lo:hi][r_m]
    if series_pools.empty:
        is_series[:] = False
    if film_pools.empty:  # pragma: no cover - every catalog has a film
        is_series[:] = True
    k_series = 1 + np.minimum(rng.poisson(mem.binge[lo:hi][r_m]), np.where(r_evening, 7, 2))
    r_k = np.where(is_series, k_series, 1)
    r_row = np.full(r_m.size, -1, dtype=np.int64)

    films = np.flatnonzero(~is_series)
    fw = film_pools.sample(
        _taste_block(rng, fav[r_m[films]], n_fav[r_m[films]]), rng.random(films.size)
    )
    r_row[films] = cat.work_first_row[fw]
    released = cat.work_release_day[fw]
    late = released > r_day[films]
    shift = np.minimum(rng.exponential(10.0, films.size).astype(np.int64), days - 1 - released)
    r_day[films] = np.where(late, released + shift, r_day[films])

    # ---- 3. series queues
    ser = np.flatnonzero(is_series)
    track = (rng.random(ser.size) < 0.3).astype(np.int64)
    group = r_m[ser] * 2 + track
    order = np.argsort(group, kind="stable")  # regular sessions are in (member, day, slot) order
    g_sorted = group[order]
    pos = np.empty(ser.size, dtype=np.int64)
    pos[order] = _grouped_exclusive_cumsum(r_k[ser][order], g_sorted)
    g_first = np.flatnonzero(np.diff(g_sorted, prepend=-1) != 0)
    groups = g_sorted[g_first]
    need = np.add.reduceat(r_k[ser][order], g_first) if ser.size else np.zeros(0, np.int64)
    pick_group, pick_work, pick_start, pick_len = _queues(
        rng, world, groups, need, fav, n_fav, signup, series_pools, taken
    )
    flat_end = np.cumsum(pick_len)
    r_qpos = np.full(r_m.size, -1, dtype=np.int64)
    if ser.size:
        g_base = (flat_end - pick_len)[np.searchsorted(pick_group, group, side="left")]
        r_qpos[ser] = g_base + pos

    # ---- assemble all sessions (regular, new seasons, planted) in (member, nominal start) order
    e_m = np.concatenate([r_m, *ex_m]).astype(np.int64)
    e_day = np.concatenate([r_day, *ex_day]).astype(np.int64)
    e_tod = np.concatenate([r_tod, *ex_tod]).astype(np.int64)
    e_utc = np.concatenate([np.full(r_m.size, -1, np.int64), *ex_utc]).astype(np.int64)
    local = (epoch_day(world.spec.start) + e_day) * DAY + e_tod
    nominal = np.where(e_utc >= 0, e_utc, world.clock.to_utc(mem.zone[lo:hi][e_m], local))
    t0 = int(nominal.min()) if nominal.size else 0
    by_time = np.argsort((e_m << np.int64(36)) + (nominal - t0), kind="stable")
    e_m = e_m[by_time]
    start = nominal[by_time]
    e_k = np.concatenate([r_k, *ex_k]).astype(np.int64)[by_time]
    e_row = np.concatenate([r_row, *ex_row]).astype(np.int64)[by_time]
    e_plain = np.concatenate([np.zeros(r_m.size, bool), *ex_plain])[by_time]
    e_qpos = np.concatenate([r_qpos, np.full(e_m.size - r_m.size, -1, np.int64)])[by_time]
    n_sess = e_m.size

    # ---- plays
    p_sess = np.repeat(np.arange(n_sess, dtype=np.int64), e_k)
    p_j = _within(e_k)
    p_qpos = e_qpos[p_sess]
    p_row = e_row[p_sess] + p_j  # explicit sessions and films (k = 1)
    queued = np.flatnonzero(p_qpos >= 0)
    if queued.size:
        q = p_qpos[queued] + p_j[queued]
        pick = np.searchsorted(flat_end, q, side="right")
        offset = q - (flat_end[pick] - pick_len[pick])
        p_row[queued] = cat.work_first_row[pick_work[pick]] + pick_start[pick] + offset
    n_play = p_sess.size
    p_last = p_j == e_k[p_sess] - 1
    p_plain = e_plain[p_sess]
    p_episode = cat.work_is_series[cat.row_work[p_row]]

    # ---- 5. segments and supplemental rows
    u = rng.random(n_play)
    supp = np.full(n_play, -1, dtype=np.int64)
    first_play = p_j == 0
    supp = np.where(
        first_play & ~p_episode & (u < 0.30), np.where(u < 0.2, _TRAILER, _TEASER), supp
    )
    supp = np.where(
        first_play & p_episode & ~cat.row_season_opener[p_row] & (u < 0.25), _RECAP, supp
    )
    supp = np.where((supp < 0) & (rng.random(n_play) < 0.05), _HOOK, supp)
    supp[p_plain] = -1
    unfinished = p_last & ~p_plain & (rng.random(n_play) < 0.25)
    u = rng.random(n_play)
    frac = np.where(unfinished, 0.05 + 0.75 * u, 0.93 + 0.07 * u)
    frac[p_plain] = 1.0
    watched = np.maximum(1, (cat.row_runtime[p_row] * frac).astype(np.int64))
    split = ~p_plain & (rng.random(n_play) < 0.06) & (watched > 600)
    cut = np.maximum(1, (watched * (0.2 + 0.6 * rng.random(n_play))).astype(np.int64))

    has_supp = (supp >= 0).astype(np.int64)
    n_rows = 1 + has_supp + split
    x_play = np.repeat(np.arange(n_play, dtype=np.int64), n_rows)
    x_kind = _within(n_rows) + 1 - has_supp[x_play]  # 0 supplemental, 1 first segment, 2 second
    n_x = x_play.size
    is_supp = x_kind == 0
    x_supp = np.where(is_supp, supp[x_play], -1)
    x_row = p_row[x_play]
    promo = np.flatnonzero(is_supp & (x_supp != _RECAP))
    promo_work = np.searchsorted(np.cumsum(cat.work_pop), rng.random(promo.size), "right")
    x_row[promo] = cat.work_first_row[np.minimum(promo_work, n_works - 1)]
    x_split = split[x_play]
    x_watched = watched[x_play]
    x_cut = cut[x_play]
    seconds = np.where(x_split & (x_kind == 1), x_cut, x_watched)
    seconds = np.where(x_kind == 2, x_watched - x_cut, seconds)
    supp_rows = np.flatnonzero(is_supp)
    kind = x_supp[supp_rows]
    seconds[supp_rows] = _SUPP_LO[kind] + (
        rng.random(supp_rows.size) * (_SUPP_HI[kind] - _SUPP_LO[kind])
    ).astype(np.int64)
    bookmark = np.where(x_kind == 1, np.where(x_split, x_cut, x_watched), seconds)
    bookmark = np.where(x_kind == 2, x_watched, bookmark)
    gap_kind = np.where(
        is_supp, 0, np.where(x_split & (x_kind == 1), 1, np.where(p_episode[x_play], 2, 3))
    )
    gap = _GAP_LO[gap_kind] + (rng.random(n_x) * (_GAP_HI[gap_kind] - _GAP_LO[gap_kind])).astype(
        np.int64
    )
    x_sess = p_sess[x_play]
    x_offset = _grouped_exclusive_cumsum(seconds + gap, x_sess)
    last_row = np.cumsum(np.bincount(x_sess, minlength=n_sess)) - 1
    duration = x_offset[last_row] + (seconds + gap)[last_row]

    # ---- 7. no overlaps per member: push a session after the previous one's end
    b_len = duration + _MIN_GAP
    cum = _grouped_exclusive_cumsum(b_len, e_m)
    running = np.maximum.accumulate((start - t0 - cum) + e_m * _HUGE) - e_m * _HUGE
    fixed = running + cum + t0
    x_start = fixed[x_sess] + x_offset  # sessions were sorted, so rows are in time order

    # ---- 6. devices, then the table (rows already sorted by member and time)
    device = np.where(rng.random(n_sess) < 0.75, mem.device_a[lo:hi][e_m], mem.device_b[lo:hi][e_m])
    x_m = e_m[x_sess] + lo
    table = pa.table(
        {
            Events.event_key: pa.nulls(n_x, pa.int64()),
            Events.member_id: pa.array(mem.member_id[x_m], pa.int64()),
            Events.household_id: pa.array(mem.household_id[x_m], pa.int64()),
            Events.profile: _strings(PROFILES, mem.profile_no[x_m]),
            Events.title_id: pa.array(cat.row_title_id[x_row], pa.int64()),
            Events.start_utc: pa.array(x_start * 1_000_000, pa.timestamp("us")),
            Events.seconds: pa.array(seconds, pa.int32()),
            Events.bookmark_seconds: pa.array(bookmark, pa.int32()),
            Events.device: _strings(DEVICES, device[x_sess]),
            Events.country: _strings(COUNTRY_CODES, mem.country[x_m]),
            Events.supplemental: _strings(SUPPLEMENTAL, x_supp),
            Events.source: pa.repeat(pa.scalar(SOURCE, pa.string()), n_x),
        },
        schema=Events.arrow,
    )
    return table.set_column(0, Events.arrow.field(0), event_keys(table))


def _strings(values: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """A string array ``values[index]``; negative indices become nulls."""
    idx = pa.array(index.astype(np.int32), mask=index < 0)
    return pa.array(values, pa.string()).take(idx)


def _evening(rng: np.random.Generator, size: int) -> np.ndarray:
    """Evening local start times (seconds after midnight): N(20:45, 70 min) in 18:00-23:54."""
    return np.clip(rng.normal(20.75 * 3600, 70 * 60, size), 18 * 3600, 23.9 * 3600).astype(np.int64)


def _queues(
    rng: np.random.Generator,
    world: World,
    groups: np.ndarray,
    need: np.ndarray,
    fav: np.ndarray,
    n_fav: np.ndarray,
    signup: np.ndarray,
    pools: _Pools,
    taken: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Series picks per queue ``groups`` (member * 2 + track) covering ``need`` episodes each.

    Returns (group, work, start ordinal, length) per pick, sorted by group then pick order. A
    (member, series) already picked, or watched as a new season (``taken``), gets length 0.
    """
    cat = world.catalog_model
    n_works = cat.work_is_series.size
    g_all = np.zeros(0, np.int64)
    w_all = np.zeros(0, np.int64)
    s_all = np.zeros(0, np.int64)
    seq_all = np.zeros(0, np.int64)
    available = pools.works[pools.cdf > len(GENRES)]  # the every-work block
    uniform = _Pools(np.isin(np.arange(n_works), available).astype(np.float64), cat.work_genre)
    todo_g, todo_n = groups, need // 12 + 1
    length = np.zeros(0, np.int64)
    order = np.zeros(0, np.int64)
    for attempt in range(12):
        if todo_g.size == 0:
            break
        g = np.repeat(todo_g, todo_n)
        m = g // 2
        if attempt == 0:
            w = pools.sample(_taste_block(rng, fav[m], n_fav[m]), rng.random(g.size))
        elif attempt < 4:  # popular favourites already taken: the rest of those genres
            w = uniform.sample(_taste_block(rng, fav[m], n_fav[m]), rng.random(g.size))
        else:  # the member's genres are exhausted: any series, uniformly
            w = available[(rng.random(g.size) * available.size).astype(np.int64)]
        later = (signup[m] < 0) & (rng.random(g.size) < 0.35)
        season = np.where(later, (rng.random(g.size) * cat.season_count[w]).astype(np.int64), 0)
        start = cat.season_start[cat.season_offset[w] + np.minimum(season, cat.season_count[w] - 1)]
        g_all = np.concatenate([g_all, g])
        w_all = np.concatenate([w_all, w])
        s_all = np.concatenate([s_all, start])
        seq_all = np.concatenate([seq_all, np.arange(seq_all.size, seq_all.size + g.size)])
        order = np.lexsort((seq_all, g_all))
        keys = np.concatenate([taken, (g_all[order] // 2) * n_works + w_all[order]])
        _, first = np.unique(keys, return_index=True)
        fresh = np.zeros(keys.size, dtype=bool)
        fresh[first] = True
        valid = fresh[taken.size :] | (attempt >= 10)
        length = np.where(valid, cat.work_n_pre[w_all[order]] - s_all[order], 0)
        got_first = np.searchsorted(g_all[order], groups, side="left")
        got = np.add.reduceat(length, got_first) if length.size else np.zeros(0, np.int64)
        short = got < need
        todo_g = groups[short]
        todo_n = (need[short] - got[short]) // 6 + 2
    if todo_g.size:  # pragma: no cover - guarded by the fallbacks above
        raise RuntimeError("series queues could not be filled")
    return g_all[order], w_all[order], s_all[order], length
