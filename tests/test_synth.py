"""The synthetic platform: determinism, schema, and every planted structure checked from the data.

Oracles: the planted extremes are checked against their definition with Python's own zoneinfo
(independent of the generator's vectorised clock); long tail, taste clustering, evening peak and
weekly rhythm are checked against the no-structure baseline they would have without planting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.geo import default_time_zone
from bingewise.ingest.generic import event_key as ingestion_event_key
from bingewise.registry import Registry
from bingewise.schema import Catalog, Events, Members, SynthTastes
from bingewise.synth import (
    BINGER_EPISODES,
    SOURCE,
    SUPPLEMENTAL,
    generate,
    iter_event_batches,
    load,
    planted_members,
    world,
    write_parquet,
)
from bingewise.synth._clock import DAY, Clock, epoch_day
from bingewise.synth._members import ZONES
from bingewise.warehouse import Warehouse

START = dt.date(2017, 3, 1)  # spans the March and (southern) April DST changes
DAYS = 63
SEED = 11


@pytest.fixture(scope="module")
def platform():  # type: ignore[no-untyped-def]
    return generate(members=400, titles=120, days=DAYS, seed=SEED, start=START)


@pytest.fixture(scope="module")
def frames(platform):  # type: ignore[no-untyped-def]
    """Events joined with members and catalog, with local times from zoneinfo (the oracle)."""
    ev = platform.events.to_pandas()
    mem = platform.members.to_pandas()
    cat = platform.catalog.to_pandas()
    cat["ordinal"] = cat.groupby(Catalog.series_id, dropna=True).cumcount()
    cat["work"] = cat[Catalog.series_id].fillna(cat[Catalog.title_id]).astype("int64")
    cat["genre"] = cat[Catalog.genres].str.split("|").str[0]
    df = ev.merge(mem[[Members.member_id, Members.time_zone]], on=Events.member_id)
    df = df.merge(
        cat[[Catalog.title_id, Catalog.kind, Catalog.series_id, "ordinal", "work", "genre"]],
        on=Events.title_id,
    )
    local = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for zone, idx in df.groupby(Members.time_zone).groups.items():
        utc = df.loc[idx, Events.start_utc].dt.tz_localize("UTC")
        local.loc[idx] = utc.dt.tz_convert(zone).dt.tz_localize(None).to_numpy()
    df["local"] = local
    df["local_day"] = df["local"].dt.normalize()
    return df.sort_values([Events.member_id, Events.start_utc]).reset_index(drop=True), cat, mem


def _main(df: pd.DataFrame) -> pd.DataFrame:
    return df[df[Events.supplemental].isna()]


def test_same_seed_same_tables_and_batching_does_not_matter() -> None:
    a = generate(members=150, titles=40, days=21, seed=5, block_members=64)
    b = generate(members=150, titles=40, days=21, seed=5, block_members=64)
    assert a.events.equals(b.events)
    assert a.catalog.equals(b.catalog)
    assert a.members.equals(b.members)
    assert a.tastes.equals(b.tastes)
    assert a.planted == b.planted
    batches = list(iter_event_batches(world(150, 40, 21, 5, block_members=64), min_rows=1))
    assert len(batches) == 3
    assert pa.concat_tables(batches).equals(a.events)
    c = generate(members=150, titles=40, days=21, seed=6, block_members=64)
    assert not c.events.equals(a.events)


def test_tables_follow_the_schema(platform) -> None:  # type: ignore[no-untyped-def]
    ev, cat, mem = platform.events, platform.catalog, platform.members
    assert ev.schema.equals(Events.arrow)
    assert cat.schema.equals(Catalog.arrow)
    assert mem.schema.equals(Members.arrow)
    assert platform.tastes.schema.equals(SynthTastes.arrow)
    keys = ev.column(Events.event_key).to_numpy()
    assert np.unique(keys).size == keys.size and keys.min() >= 0
    assert pc.all(pc.equal(ev.column(Events.source), SOURCE)).as_py()
    assert set(pc.unique(ev.column(Events.title_id)).to_pylist()) <= set(
        cat.column(Catalog.title_id).to_pylist()
    )
    assert set(pc.unique(ev.column(Events.member_id)).to_pylist()) <= set(
        mem.column(Members.member_id).to_pylist()
    )
    assert set(pc.unique(ev.column(Events.supplemental)).drop_null().to_pylist()) <= set(
        SUPPLEMENTAL
    )
    seconds = ev.column(Events.seconds).to_numpy()
    bookmark = ev.column(Events.bookmark_seconds).to_numpy()
    assert (seconds > 0).all() and (bookmark >= seconds).all()
    assert ev.column(Events.start_utc).null_count == 0
    assert np.unique(cat.column(Catalog.title_id).to_numpy()).size == cat.num_rows
    runtime = cat.column(Catalog.runtime_seconds).to_numpy()
    kind = np.asarray(cat.column(Catalog.kind).to_pylist())
    assert runtime[kind == Catalog.FILM].min() >= 80 * 60
    assert runtime[kind == Catalog.FILM].max() <= 150 * 60
    assert runtime[kind == Catalog.EPISODE].min() >= 20 * 60
    assert runtime[kind == Catalog.EPISODE].max() <= 60 * 60


def test_viewing_respects_period_signup_and_release(frames, platform) -> None:  # type: ignore[no-untyped-def]
    df, cat, mem = frames
    start, end = pd.Timestamp(START), pd.Timestamp(START + dt.timedelta(days=DAYS))
    assert df["local"].min() >= start
    assert (_main(df)["local"] < end + pd.Timedelta(hours=12)).all()
    signup = df[Events.member_id].map(mem.set_index(Members.member_id)[Members.signup_date])
    assert (df["local_day"] >= pd.to_datetime(signup)).all()
    release = _main(df)[Events.title_id].map(cat.set_index(Catalog.title_id)[Catalog.release_date])
    # New seasons appear at 08:00 UTC, so a local day just before in the far west is allowed.
    assert (_main(df)["local_day"] >= pd.to_datetime(release) - pd.Timedelta(days=1)).all()


def test_no_member_overlaps_their_own_viewing(platform) -> None:  # type: ignore[no-untyped-def]
    ev = platform.events
    member = ev.column(Events.member_id).to_numpy()
    start = ev.column(Events.start_utc).cast(pa.int64()).to_numpy() // 1_000_000
    end = start + ev.column(Events.seconds).to_numpy()
    same = member[1:] == member[:-1]
    assert (np.diff(start)[same] > 0).all()  # sorted by member then time
    assert (end[:-1][same] <= start[1:][same]).all()


def test_daily_film_member_plays_the_film_once_every_local_day(frames, platform) -> None:  # type: ignore[no-untyped-def]
    df, _, _ = frames
    planted = planted_members(platform)
    mine = df[df[Events.member_id] == planted.daily_film_member]
    assert (mine[Events.title_id] == planted.daily_film_title_id).all()
    days = pd.date_range(START, periods=DAYS, freq="D")
    assert list(mine["local_day"]) == list(days)
    assert mine[Events.supplemental].isna().all()
    # the period spans DST changes in most zones; the local hour stays in the evening
    assert mine["local"].dt.hour.between(19, 21).all()
    others = df[df[Events.member_id] != planted.daily_film_member]
    counts = others.groupby([Events.member_id, "local_day"])[Events.title_id].nunique()
    assert counts.size < len(others)  # other members are not planted the same way


def test_binger_watches_188_episodes_in_order_in_one_local_week(frames, platform) -> None:  # type: ignore[no-untyped-def]
    df, _, _ = frames
    planted = planted_members(platform)
    mine = df[df[Events.member_id] == planted.binger_member]
    week = pd.Timestamp(planted.binger_week_start)
    in_week = mine[(mine["local_day"] >= week) & (mine["local_day"] < week + pd.Timedelta(days=7))]
    episodes = in_week[in_week[Catalog.kind] == Catalog.EPISODE]
    assert len(episodes) == BINGER_EPISODES == len(mine)
    assert (episodes[Catalog.series_id] == planted.binger_series_id).all()
    assert list(episodes["ordinal"]) == list(range(BINGER_EPISODES))
    per_day = episodes.groupby("local_day").size()
    assert per_day.size == 7 and per_day.max() - per_day.min() <= 1


def test_popularity_has_a_long_tail(frames) -> None:  # type: ignore[no-untyped-def]
    df, cat, _ = frames
    plays = _main(df).groupby("work").size().reindex(cat["work"].unique(), fill_value=0)
    ranked = np.sort(plays.to_numpy())[::-1]
    top1 = ranked[: max(1, len(ranked) // 100)].sum() / ranked.sum()
    top20 = ranked[: len(ranked) // 5].sum() / ranked.sum()
    assert top1 > 0.10  # ten times its uniform share
    assert top20 > 0.55  # Pareto-like
    assert (ranked == 0).sum() < len(ranked) // 2  # a tail, not a cliff


def test_members_concentrate_on_their_favourite_genres(frames, platform) -> None:  # type: ignore[no-untyped-def]
    df, _, _ = frames
    tastes = platform.tastes.to_pandas()
    fav = tastes.groupby(SynthTastes.member_id)[SynthTastes.genre].apply(set)
    main = _main(df)
    genre_share = main["genre"].value_counts(normalize=True)
    shares, baselines = [], []
    for member, plays in main.groupby(Events.member_id):
        if len(plays) < 20:
            continue
        liked = fav[member]
        shares.append(plays["genre"].isin(liked).mean())
        baselines.append(sum(genre_share.get(g, 0.0) for g in liked))
    shares_a, base_a = np.array(shares), np.array(baselines)
    assert len(shares_a) > 100
    assert shares_a.mean() > 0.6  # picks: 80% from favourites; long explored series dilute plays
    assert (shares_a - base_a).mean() > 0.35  # far above what popularity alone would give


def test_viewing_peaks_in_the_local_evening_and_at_weekends(frames) -> None:  # type: ignore[no-untyped-def]
    df, _, _ = frames
    main = _main(df)
    main = main[main[Events.member_id].duplicated(keep=False)]
    hours = main["local"].dt.hour.value_counts(normalize=True)
    assert 19 <= hours.idxmax() <= 23
    assert hours.reindex(range(18, 24), fill_value=0).sum() > 0.5
    assert hours.reindex(range(2, 7), fill_value=0).sum() < 0.05
    per_day = main.groupby("local_day").size()
    weekday = per_day.index.dayofweek
    assert per_day[weekday >= 5].mean() > 1.2 * per_day[weekday <= 3].mean()


def test_series_are_watched_in_order(frames) -> None:  # type: ignore[no-untyped-def]
    df, _, _ = frames
    episodes = _main(df)[_main(df)[Catalog.kind] == Catalog.EPISODE]
    steps = episodes.groupby([Events.member_id, Catalog.series_id])["ordinal"].diff().dropna()
    assert len(steps) > 1000
    assert set(steps.unique()) <= {0.0, 1.0}  # 0: second segment of the same episode
    binges = (
        episodes.assign(d=episodes["local_day"])
        .groupby([Events.member_id, Catalog.series_id, "d"])
        .size()
    )
    assert (binges >= 2).mean() > 0.3  # several episodes in a sitting are common


def test_segments_supplementals_and_unfinished_plays_occur(frames) -> None:  # type: ignore[no-untyped-def]
    df, cat, _ = frames
    main = _main(df)
    second = main[main[Events.bookmark_seconds] > main[Events.seconds]]
    assert len(second) > 50  # resumed: the second segment of a title watched in two
    runtime = main[Events.title_id].map(cat.set_index(Catalog.title_id)[Catalog.runtime_seconds])
    unfinished = main[
        (main[Events.bookmark_seconds] < 0.85 * runtime) & ~main.index.isin(second.index)
    ]
    assert 0.03 < len(unfinished) / len(main) < 0.3
    supp = df[df[Events.supplemental].notna()]
    assert 0.02 < len(supp) / len(df) < 0.3
    assert supp[Events.seconds].max() <= 150
    assert df[Events.device].nunique() >= 4


def test_binge_races_happen_on_new_seasons(frames, platform) -> None:  # type: ignore[no-untyped-def]
    df, cat, _ = frames
    released = cat[(cat[Catalog.release_date] >= START) & (cat[Catalog.kind] == Catalog.EPISODE)]
    seasons = released.groupby([Catalog.series_id, Catalog.season_title])
    assert seasons.ngroups >= 1
    raced = 0
    for (_series, _season), eps in seasons:
        instant = pd.Timestamp(eps[Catalog.release_date].iloc[0]) + pd.Timedelta(hours=8)
        main = _main(df)
        watched = main[main[Events.title_id].isin(eps[Catalog.title_id])]
        within = watched[watched[Events.start_utc] < instant + pd.Timedelta(hours=24)]
        per_member = within.groupby(Events.member_id)[Events.title_id].nunique()
        raced += int((per_member == len(eps)).sum())
    assert raced >= 1


def test_countries_and_time_zones_are_consistent(frames, platform) -> None:  # type: ignore[no-untyped-def]
    df, _, mem = frames
    assert (mem[Members.time_zone] == mem[Members.country].map(default_time_zone)).all()
    country = df[Events.member_id].map(mem.set_index(Members.member_id)[Members.country])
    assert (df[Events.country] == country).all()
    assert mem[Members.country].nunique() >= 10
    assert mem[Members.country].value_counts().idxmax() == "US"  # the heaviest weight
    household = mem.groupby(Members.household_id)[Members.country].nunique()
    assert (household == 1).all()


_CLOCK = Clock(ZONES, dt.date(2017, 1, 1), 400)


@given(
    zone=st.sampled_from(ZONES),
    offset=st.integers(min_value=0, max_value=400 * DAY - 1),
)
def test_clock_matches_zoneinfo(zone: str, offset: int) -> None:
    start = dt.date(2017, 1, 1)
    clock = _CLOCK
    utc = epoch_day(start) * DAY + offset
    z = np.array([ZONES.index(zone)])
    local = dt.datetime.fromtimestamp(utc, tz=ZoneInfo(zone)).replace(tzinfo=None)
    expected = int((local - dt.datetime(1970, 1, 1)).total_seconds())
    assert int(clock.to_local(z, np.array([utc]))[0]) == expected
    back = int(clock.to_utc(z, np.array([expected]))[0])
    # a wall-clock reading inside a fall-back fold maps to one of its two instants
    assert back == utc or abs(back - utc) == 3600


def test_event_keys_are_the_ingestion_keys(platform) -> None:  # type: ignore[no-untyped-def]
    ev = platform.events
    rows = np.random.default_rng(0).choice(ev.num_rows, size=300, replace=False)
    sample = ev.take(pa.array(rows)).to_pylist()
    for row in sample:
        expected = ingestion_event_key(
            row[Events.member_id], row[Events.title_id], row[Events.start_utc], row[Events.seconds]
        )
        assert row[Events.event_key] == expected


def test_small_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="days"):
        world(10, 10, 6, 1)
    with pytest.raises(ValueError, match="titles"):
        world(10, 1, 10, 1)
    with pytest.raises(ValueError, match="members"):
        world(1, 10, 10, 1)


def test_load_fills_warehouse_and_registry_and_reloads_cleanly(
    warehouse: Warehouse, registry: Registry
) -> None:
    small = generate(members=60, titles=25, days=14, seed=2)
    assert load(small, warehouse, registry) == small.events.num_rows
    assert load(small, warehouse, registry) == small.events.num_rows  # idempotent
    assert warehouse.count(Events.table) == small.events.num_rows
    assert warehouse.count(Catalog.table) == small.catalog.num_rows
    assert warehouse.count(Members.table) == 60
    assert registry.members.count() == 60
    record = registry.members.get(7)
    assert record is not None and record.email == "member7@example.invalid"
    stored = warehouse.duck.execute(
        f'SELECT sum("{Events.seconds}"), count(DISTINCT "{Events.event_key}") '
        f'FROM "{Events.table}"'
    ).fetchone()
    assert stored == (pc.sum(small.events.column(Events.seconds)).as_py(), small.events.num_rows)
    # streaming a World loads the same rows
    n = load(world(60, 25, 14, 2), warehouse, None)
    assert n == small.events.num_rows == warehouse.count(Events.table)


def test_parquet_stream_matches_memory(tmp_path: Path) -> None:
    source = world(90, 30, 14, 9, block_members=32)
    total = write_parquet(source, tmp_path / "out")
    events = pq.read_table(tmp_path / "out" / Events.table)
    assert total == events.num_rows
    expected = generate(90, 30, 14, 9, block_members=32).events
    order = [(Events.member_id, "ascending"), (Events.start_utc, "ascending")]
    assert events.sort_by(order).equals(expected.select(events.column_names).sort_by(order))
    assert (
        pq.read_table(tmp_path / "out" / f"{Catalog.table}.parquet").num_rows
        == source.catalog.num_rows
    )


def test_cli_synth_loads_the_stores(home: Path) -> None:
    args = ["--quiet", "synth", "--members", "40", "--titles", "20", "--days", "10", "--seed", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        assert wh.count(Members.table) == 40
        assert wh.count(Events.table) == generate(40, 20, 10, 4).events.num_rows
    assert "binger" in result.output
    result = CliRunner().invoke(app, [*args, "--parquet", str(home / "pq")])
    assert result.exit_code == 0, result.output
    assert len(list((home / "pq" / Events.table).glob("*.parquet"))) == 1


def test_synth_parquet_output_ingests_with_no_options(home: Path) -> None:
    """``synth --parquet`` writes the ingest formats: the folder ingests as it is, every event
    and title is stored, with the keys the synthetic events have in the warehouse."""
    out = home / "synth-out"
    args = ["--members", "30", "--titles", "12", "--days", "9", "--seed", "5"]
    result = CliRunner().invoke(app, ["--quiet", "synth", *args, "--parquet", str(out)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["--quiet", "ingest", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summaries = {Path(s["file"]).name: s for s in json.loads(result.output)["files"]}
    expected = generate(30, 12, 9, 5)
    events = summaries["part-00000.parquet"]
    assert events["format"] == "events-parquet"
    assert (events["rows_read"], events["stored"]) == (expected.events.num_rows,) * 2
    assert (events["duplicates"], events["rejected"]) == (0, 0)
    catalog = summaries[f"{Catalog.table}.parquet"]
    assert (catalog["format"], catalog["stored"]) == ("catalog-parquet", expected.catalog.num_rows)
    # members and tastes are not ingest formats: listed as not read, never an error
    assert summaries[f"{Members.table}.parquet"]["skipped"]
    assert summaries[f"{SynthTastes.table}.parquet"]["skipped"]
    with Warehouse.open(home / "warehouse.duckdb") as wh:
        stored = wh.duck.execute(
            f'SELECT "{Events.event_key}" FROM "{Events.table}" ORDER BY 1'
        ).fetchall()
        members = wh.count(Members.table)
    assert [k for (k,) in stored] == sorted(expected.events.column(Events.event_key).to_pylist())
    assert members == len(set(expected.events.column(Events.member_id).to_pylist()))


def test_tastes_cover_every_member(platform) -> None:  # type: ignore[no-untyped-def]
    tastes = platform.tastes.to_pandas()
    per_member = Counter(tastes[SynthTastes.member_id])
    assert set(per_member) == set(platform.members.column(Members.member_id).to_pylist())
    assert set(per_member.values()) <= {1, 2, 3}
    by_genre: defaultdict[str, int] = defaultdict(int)
    for g in tastes[SynthTastes.genre]:
        by_genre[g] += 1
    assert len(by_genre) >= 8
