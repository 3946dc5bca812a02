"""``bingewise facts --engine spark`` prints what ``bingewise facts`` prints on DuckDB.

A small planted platform whose member, series and title ids are above 2^53 (a float64 keeps 53
bits), with a series the catalogue gives no runtimes (its runtimes are estimated from viewing,
on both engines: without the estimate a member who sampled its last episode would count as a
binge racer). Spark runs in-process on the run's one local session (``spark_local``); the
command uses it and leaves it running.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from analytics.helpers import Seg, Title, catalog_table, events_table, load, members_table
from bingewise.cli import app
from bingewise.schema import Catalog, Events, Members
from bingewise.spark import read_tables
from bingewise.warehouse import Warehouse, to_arrow

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

A, B, C, D = 8_312_711_233_765_386_613, 2**53 + 1, 2**62 + 5, 77
S1, S2 = 2**53 + 101, 2**61 + 202  # S2: no runtimes in the catalogue
E11, E12 = 2**60 + 11, 2**60 + 12
E2 = [2**59 + k for k in (21, 22, 23, 24)]
FILM = 2**58 + 1
RELEASED = dt.date(2021, 3, 1)
TITLES = [
    Title(E11, Catalog.EPISODE, S1, 1, 1, 1500, RELEASED),
    Title(E12, Catalog.EPISODE, S1, 1, 2, 1500, RELEASED),
    *(Title(e, Catalog.EPISODE, S2, 1, k, None, RELEASED) for k, e in enumerate(E2, 1)),
    Title(FILM, Catalog.FILM, runtime=5400),
]
MEMBERS = [(A, "US", "America/New_York"), (B, "DE", "Europe/Berlin"), (C, None, None)]
MEMBERS += [(D, "GB", None)]


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 3, day, hour) + dt.timedelta(minutes=minute)


SEGMENTS = [
    # A races S1 on release day, then watches the film every evening for nine days.
    Seg(A, E11, _at(1, 15), 1500),
    Seg(A, E12, _at(1, 15, 30), 1500),
    *(Seg(A, FILM, _at(d, 23), 3000) for d in range(2, 11)),
    # B races S2 (every episode watched through: the series is 1,500 s an episode).
    *(Seg(B, e, _at(1, 12, 30 * k), 1500) for k, e in enumerate(E2)),
    *(Seg(B, FILM, _at(d, 19), 5400) for d in range(20, 27)),
    # C watches three episodes of S2 and samples the last for 100 s: no race once the
    # runtimes are estimated (unknown, the last episode's play would count as finished).
    *(Seg(C, e, _at(1, 16, 30 * k), 1500) for k, e in enumerate(E2[:3])),
    Seg(C, E2[3], _at(1, 17, 30), 100),
    *(Seg(C, FILM, _at(d, 21), 2000) for d in (22, 23, 24)),
    # D watches S1 a week late, and the film.
    Seg(D, E11, _at(8, 20), 1500),
    Seg(D, E12, _at(8, 20, 30), 1500),
    *(Seg(D, FILM, _at(d, 20), 5000) for d in (23, 25)),
]


def _facts(*args: str) -> dict[str, Any]:
    done = CliRunner().invoke(app, ["-q", "facts", "--period", "2021-03", "--json", *args])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)  # type: ignore[no-any-return]


def _planted(home: Path) -> dict[str, Any]:
    """Load the planted platform into the warehouse; its facts on DuckDB."""
    with Warehouse.open() as wh:
        load(wh, SEGMENTS, TITLES, MEMBERS)
    duck = _facts()
    # The facts reach the large ids and the estimated runtimes, or the comparison proves little.
    racers = {r["series_id"]: r["racers"] for r in duck["binge_racers"]}
    assert racers == {S1: 1, S2: 1}  # C is no racer: the runtimes were estimated
    assert {r["member_id"] for r in duck["extreme_streaks"]} == {A, B, C, D}
    assert {r["show_id"] for r in duck["top_last_week"]} == {FILM}
    assert duck["summary"]["season_binges"] == 3  # A's S1, B's S2, D's S1
    return duck


def test_facts_on_spark_print_what_duckdb_prints(home: Path, spark_local: Any) -> None:
    """The warehouse's own tables, exported to Parquet under the data folder and read by Spark;
    the export is removed afterwards."""
    duck = _planted(home)
    assert _facts("--engine", "spark", "--spark-cores", "1") == duck
    assert not list(home.glob("spark-*")), "the Parquet export was left in the data folder"


def _write_lake(folder: Path) -> None:
    """The planted tables as a service's lake holds them: events as a folder of part files
    with zoned timestamps, the others as one file each, with a column the warehouse lacks."""
    events = events_table(SEGMENTS)
    start = events.column(Events.start_utc).cast(pa.timestamp("us", tz="UTC"))
    events = events.set_column(events.schema.get_field_index(Events.start_utc), "start_utc", start)
    (folder / Events.table).mkdir(parents=True)
    half = events.num_rows // 2
    pq.write_table(events.slice(0, half), folder / Events.table / "part-0.parquet")
    pq.write_table(events.slice(half), folder / Events.table / "part-1.parquet")
    pq.write_table(catalog_table(TITLES), folder / f"{Catalog.table}.parquet")
    members = members_table(MEMBERS)
    members = members.append_column("plan", pa.array(["basic"] * members.num_rows))
    pq.write_table(members, folder / f"{Members.table}.parquet")


def test_facts_on_spark_read_a_folder_of_parquet(
    home: Path, tmp_path: Path, spark_local: Any
) -> None:
    """``--tables DIR``: the lake's tables, not the warehouse's (emptied here)."""
    duck = _planted(home)
    with Warehouse.open() as wh:
        wh.duck.execute(f'DELETE FROM "{Events.table}"')
    lake = tmp_path / "lake"
    _write_lake(lake)
    assert _facts("--engine", "spark", "--tables", str(lake)) == duck


def test_lake_tables_read_exactly_in_the_warehouse_schema(tmp_path: Path, spark_local: Any) -> None:
    """``read_tables`` and ``to_arrow``, which the command reads with: every value back as
    written, in the warehouse's types. The catalogue's ``series_id`` holds ids above 2^53 and a
    NULL (the film): read through pandas (Ibis's ``to_pyarrow`` on PySpark) it would be float64
    and the ids would change. (The printed facts hold no NULL in an id column, so the command's
    JSON alone could not tell.)"""
    lake = tmp_path / "lake"
    _write_lake(lake)
    tables = read_tables(spark_local, lake)
    written = {
        Events.table: events_table(SEGMENTS),
        Catalog.table: catalog_table(TITLES),
        Members.table: members_table(MEMBERS),
    }
    for name, table in written.items():
        read = to_arrow(tables[name])
        assert read.schema.equals(ibis.Schema.from_pyarrow(table.schema).to_pyarrow()), name
        key = table.column_names[0] if name != Events.table else Events.start_utc
        assert read.sort_by(key).to_pylist() == table.sort_by(key).to_pylist(), name


def test_facts_tables_missing_table_names_folder_and_table(tmp_path: Path) -> None:
    """Found before Spark starts: no session is needed to say so."""
    lake = tmp_path / "lake"
    _write_lake(lake)
    (lake / f"{Catalog.table}.parquet").unlink()
    done = CliRunner().invoke(app, ["-q", "facts", "--engine", "spark", "--tables", str(lake)])
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and str(lake) in lines[0] and "no catalog table" in lines[0], lines


def test_facts_tables_column_missing_names_file_and_column(
    tmp_path: Path, spark_local: Any
) -> None:
    lake = tmp_path / "lake"
    _write_lake(lake)
    members = pq.read_table(lake / f"{Members.table}.parquet").drop_columns([Members.time_zone])
    pq.write_table(members, lake / f"{Members.table}.parquet")
    done = CliRunner().invoke(app, ["-q", "facts", "--engine", "spark", "--tables", str(lake)])
    assert done.exit_code == 1
    text = " ".join(done.output.split())
    assert f"{lake / Members.table}.parquet" in text and Members.time_zone in text, text


def test_facts_on_spark_without_java_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    _write_lake(lake)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-java"))
    done = CliRunner().invoke(app, ["-q", "facts", "--engine", "spark", "--tables", str(lake)])
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and "Spark needs a Java runtime" in lines[0], lines


def test_facts_on_spark_without_pyspark_is_one_line(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Said before the warehouse is exported: nothing is written."""
    with Warehouse.open() as wh:
        load(wh, SEGMENTS, TITLES, MEMBERS)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if not installed
    done = CliRunner().invoke(app, ["-q", "facts", "--engine", "spark"])
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and "Spark needs PySpark" in lines[0], lines
    assert not list(home.glob("spark-*"))


def test_facts_tables_needs_the_spark_engine(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["facts", "--tables", str(tmp_path)])
    assert done.exit_code == 2 and "--engine spark" in done.output
