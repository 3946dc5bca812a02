"""The analytics are written once, in Ibis: the same fact set on DuckDB and on Spark must agree.

DuckDB runs the product path (``FactSet.compute`` on a warehouse file); Spark (local mode, bound
to loopback) runs ``FactSet.compute_tables`` on the same events, catalog and members loaded as
Spark DataFrames. Every member-level table and every platform table is compared row by row.
The data is a small synthetic platform spanning the March DST change, plus members built to hit
the edges: a segment of a title missing from the catalog, a supplemental video, a play resumed
across the change of clocks, a zone the registry does not know, a member missing from the
members table, a season binge and a binge race, by a member and of a series whose ids are above
2^53. Spark's tables are read with ``FactSet.to_arrow`` (Spark's own Arrow): read through pandas,
``member_facts.longest_binge_series_id`` (NULL for most members) would lose the series' digits.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import ibis
import pyarrow as pa
import pytest

from analytics.helpers import Seg, Title, catalog_table, events_table, members_table
from bingewise.analytics import FactSet, plays
from bingewise.schema import Catalog, Events, MemberFacts, Members, Plays, SeasonBinges
from bingewise.synth import generate
from bingewise.warehouse import Warehouse, to_arrow

# Ids above 2^53 (a float64 keeps 53 bits): read through pandas, where a BIGINT column with a
# NULL becomes float64, they would come back with other digits. The racer's longest binge is of
# SERIES while most members have none (NULL), in ``member_facts.longest_binge_series_id``.
SERIES = 8_312_711_233_765_386_613
EP1, EP2 = 2**60 + 7771, 2**60 + 7772
RACER = 2**53 + 9004

EDGE_SEGMENTS = [
    # Chicago, across the spring-forward night (2017-03-12 02:00 local → 03:00).
    Seg(9001, 7001, dt.datetime(2017, 3, 12, 7, 30), 1200, bookmark=1200),
    Seg(9001, 7001, dt.datetime(2017, 3, 12, 8, 10), 1500),  # resumed: one play
    Seg(9001, 999_999, dt.datetime(2017, 3, 12, 9, 0), 600),  # not in the catalog
    Seg(9001, 7002, dt.datetime(2017, 3, 12, 9, 20), 90, supplemental="TRAILER"),
    Seg(9001, 7002, dt.datetime(2017, 3, 13, 1, 0), 3000),
    # An unknown zone in the members table falls back to the country's zone.
    Seg(9002, 7001, dt.datetime(2017, 3, 26, 0, 30), 2000),
    Seg(9002, 7001, dt.datetime(2017, 3, 26, 3, 0), 2000),
    # Not in the members table at all: the default zone.
    Seg(9003, 7001, dt.datetime(2017, 2, 1, 23, 50), 1800),
    # A binge race: both episodes of a season released that morning, finished by night.
    Seg(RACER, EP1, dt.datetime(2017, 2, 10, 18, 0), 1800, bookmark=1790),
    Seg(RACER, EP2, dt.datetime(2017, 2, 10, 18, 35), 1800, bookmark=1790),
    Seg(9005, EP1, dt.datetime(2017, 2, 13, 20, 0), 1800, bookmark=1790),
    Seg(9005, EP2, dt.datetime(2017, 2, 15, 20, 0), 1800, bookmark=1790),
]
EDGE_TITLES = [
    Title(7001, Catalog.FILM, runtime=5400),
    Title(7002, Catalog.FILM, runtime=6000),
    Title(EP1, Catalog.EPISODE, SERIES, 1, 1, 1800, dt.date(2017, 2, 10)),
    Title(EP2, Catalog.EPISODE, SERIES, 1, 2, 1800, dt.date(2017, 2, 10)),
]
# PySpark 4 warns about pandas 3 on import of its pandas helpers; nothing here goes through pandas.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

EDGE_MEMBERS = [(9001, "US", "America/Chicago"), (9002, "DE", "Mars/Olympus_Mons")]


def _inputs() -> dict[str, pa.Table]:
    platform = generate(members=16, titles=40, days=90, seed=11)
    edge_events = events_table(EDGE_SEGMENTS)
    edge_events = edge_events.set_column(
        0,
        Events.event_key,
        pa.array(range(10**9, 10**9 + len(EDGE_SEGMENTS)), pa.int64()),
    )
    return {
        Events.table: pa.concat_tables([platform.events, edge_events]),
        Catalog.table: pa.concat_tables([platform.catalog, catalog_table(EDGE_TITLES)]),
        Members.table: pa.concat_tables([platform.members, members_table(EDGE_MEMBERS)]),
    }


@pytest.fixture(scope="module")
def inputs() -> dict[str, pa.Table]:
    return _inputs()


@pytest.fixture(scope="module")
def spark(spark_local: Any) -> tuple[Any, Any]:
    """(Ibis connection, SparkSession): the run's local Spark (one core, loopback, UTC)."""
    return ibis.pyspark.connect(spark_local), spark_local


def _spark_tables(spark: Any, inputs: dict[str, pa.Table]) -> dict[str, ibis.Table]:
    con, session = spark
    out = {}
    for name, table in inputs.items():
        session.createDataFrame(table).createOrReplaceTempView(f"bw_{name}")
        out[name] = con.table(f"bw_{name}")
    return out


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 9)
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)
    return v


def _rows(table: pa.Table, columns: list[str]) -> list[tuple[Any, ...]]:
    rows = [tuple(_cell(r[c]) for c in columns) for r in table.select(columns).to_pylist()]
    return sorted(rows, key=lambda r: tuple((v is None, v if v is not None else 0) for v in r))


def _assert_same(name: str, duck: pa.Table, spark: pa.Table) -> None:
    columns = duck.column_names
    assert spark.column_names == columns, name
    a, b = _rows(duck, columns), _rows(spark, columns)
    assert len(a) == len(b), f"{name}: {len(a)} rows on DuckDB, {len(b)} on Spark"
    for x, y in zip(a, b, strict=True):
        assert x == y, f"{name}: DuckDB {x} != Spark {y}"


def _load(wh: Warehouse, inputs: dict[str, pa.Table]) -> None:
    for name, table in inputs.items():
        wh.duck.register("_bw_load", table)
        wh.duck.execute(f'DELETE FROM "{name}"')
        wh.duck.execute(f'INSERT INTO "{name}" SELECT * FROM _bw_load')
        wh.duck.unregister("_bw_load")


def test_fact_set_same_on_duckdb_and_spark(
    warehouse: Warehouse, spark: Any, inputs: dict[str, pa.Table]
) -> None:
    _load(warehouse, inputs)
    duck = FactSet.compute(warehouse, "2017-01-01:2017-03-31")
    tables = _spark_tables(spark, inputs)
    on_spark = FactSet.compute_tables(
        tables[Events.table], tables[Catalog.table], tables[Members.table], "2017-01-01:2017-03-31"
    )
    assert sorted(on_spark.tables) == sorted(duck.tables)
    for name in duck.tables:
        d = duck[name].to_pyarrow()
        assert d.num_rows > 0, f"{name} is empty: the comparison would prove nothing"
        _assert_same(name, d, on_spark.to_arrow(name))
    assert duck.platform is not None and on_spark.platform is not None
    for field in ("top_daily", "top_weekly", "binge_racers", "extreme_streaks"):
        _assert_same(field, getattr(duck.platform, field), getattr(on_spark.platform, field))
    # The planted edges reached the tables being compared.
    p = duck[Plays.table].to_pyarrow().to_pylist()
    edge = [r for r in p if r[Plays.member_id] in (9001, 9002, 9003)]
    assert {r[Plays.title_id] for r in edge} == {7001, 7002, 999_999}
    assert sum(r[Plays.member_id] == 9001 and r[Plays.title_id] == 7001 for r in edge) == 1
    races = duck["binge_races"].to_pyarrow().column(SeasonBinges.member_id).to_pylist()
    binged = duck[SeasonBinges.table].to_pyarrow().column(SeasonBinges.member_id).to_pylist()
    assert RACER in races and 9005 not in races and 9005 in binged
    mf = {r[MemberFacts.member_id]: r for r in duck.to_arrow(MemberFacts.table).to_pylist()}
    assert mf[RACER][MemberFacts.longest_binge_series_id] == SERIES
    assert any(r[MemberFacts.longest_binge_series_id] is None for r in mf.values())
    on_spark.release()
    left = [t.name for t in spark[1].catalog.listTables() if t.name.startswith("_bw_fact_")]
    assert not left, f"views left after release: {left}"
    duck.drop(warehouse)


def test_plays_same_on_duckdb_and_spark(
    warehouse: Warehouse, spark: Any, inputs: dict[str, pa.Table]
) -> None:
    """Every column of :func:`plays` (the fact set keeps fewer), local times included."""
    _load(warehouse, inputs)
    args = [warehouse.table(n) for n in (Events.table, Catalog.table, Members.table)]
    tables = _spark_tables(spark, inputs)
    s_args = [tables[n] for n in (Events.table, Catalog.table, Members.table)]
    for kwargs in ({}, {"override_tz": "Asia/Kolkata", "finished_share": 0.5}):
        _assert_same(
            f"plays {kwargs}",
            plays(*args, **kwargs).to_pyarrow(),
            to_arrow(plays(*s_args, **kwargs)),
        )


def test_inputs_cover_the_edges(inputs: dict[str, pa.Table]) -> None:
    """Guard the fixture itself: DST inside the span, a title missing from the catalog."""
    starts = inputs[Events.table].column(Events.start_utc).to_pylist()
    assert min(starts) < dt.datetime(2017, 3, 12) < max(starts)
    titles = set(inputs[Catalog.table].column(Catalog.title_id).to_pylist())
    assert 999_999 not in titles
    assert {7001, 7002, EP1, EP2} <= titles


def test_compute_tables_on_duckdb_matches_compute(
    warehouse: Warehouse, inputs: dict[str, pa.Table]
) -> None:
    """The backend-neutral path (``Table.cache()``) on DuckDB itself, and its release."""
    _load(warehouse, inputs)
    duck = FactSet.compute(warehouse, "2017-01-01:2017-03-31")
    cached = FactSet.compute_tables(
        warehouse.table(Events.table),
        warehouse.table(Catalog.table),
        warehouse.table(Members.table),
        "2017-01-01:2017-03-31",
    )
    assert sorted(cached.tables) == sorted(duck.tables)
    for name in duck.tables:
        _assert_same(name, duck[name].to_pyarrow(), cached[name].to_pyarrow())
    before = set(warehouse.ibis.list_tables())
    cached.release()
    assert not cached.tables
    assert len(set(warehouse.ibis.list_tables())) < len(before)
    duck.drop(warehouse)
