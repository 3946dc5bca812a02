"""The warehouse: viewing events, catalog and derived tables, reached through Ibis.

The embedded default is one DuckDB file (``$BINGEWISE_HOME/warehouse.duckdb``). Analytics are
Ibis expressions over :meth:`Warehouse.table`; writes go through DuckDB transactions so that a
file is ingested whole or not at all.

>>> wh = Warehouse.open(":memory:")
>>> wh.table(Events.table).count().execute()
0
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from bingewise.config import get_settings
from bingewise.files import make_private_dir
from bingewise.schema import WAREHOUSE_TABLES, Events

__all__ = [
    "Warehouse",
    "add_missing_columns",
    "duckdb_type",
    "local_spark",
    "to_arrow",
    "to_frame",
]

_NULLABLE = {
    pa.int64(): pd.Int64Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int8(): pd.Int8Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def to_arrow(expr: ir.Table) -> pa.Table:
    """Execute ``expr`` into Arrow, exactly, on any Ibis backend.

    Ibis's ``to_pyarrow`` is exact on DuckDB, but on PySpark it goes through pandas: a BIGINT
    column holding a NULL becomes float64 there, and an id above 2^53 comes back with other
    digits (8312711233765386613 as 8312711233765386240). On PySpark the result is read with
    Spark's own Arrow conversion instead (through a temporary view, dropped after), and cast to
    the expression's schema (Spark gives timestamps a UTC zone; the warehouse's are naive UTC).
    Elsewhere it is ``to_pyarrow``.
    """
    con = ibis.get_backend(expr)
    if con.name != "pyspark":
        return expr.to_pyarrow()
    schema = expr.schema().to_pyarrow()
    name = f"_bw_arrow_{uuid.uuid4().hex}"
    # The view registers the in-memory tables the expression reads (zone offsets, say).
    con.create_view(name, expr)
    try:
        df = con._session.table(name)
        if hasattr(df, "toArrow"):  # PySpark 4
            table = df.toArrow()
        else:  # pragma: no cover - PySpark 3.5 has the conversion, not its public name
            batches = df._collect_as_arrow()
            table = pa.Table.from_batches(batches) if batches else schema.empty_table()
    finally:
        con.drop_view(name, force=True)
    return table.cast(schema)


def to_frame(expr: ir.Table) -> pd.DataFrame:
    """Execute ``expr`` into pandas with nullable integers (a 63-bit id never becomes a float),
    exactly on any backend (:func:`to_arrow`)."""
    frame: pd.DataFrame = to_arrow(expr).to_pandas(types_mapper=_NULLABLE.get)
    return frame


_DUCK_TYPES = {
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.float64(): "DOUBLE",
    pa.string(): "VARCHAR",
    pa.timestamp("us"): "TIMESTAMP",
    pa.date32(): "DATE",
    pa.bool_(): "BOOLEAN",
}


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB column type for an Arrow type used in :mod:`bingewise.schema`."""
    try:
        return _DUCK_TYPES[arrow_type]
    except KeyError:  # pragma: no cover - schema.py only uses the types above
        raise TypeError(f"no DuckDB type for {arrow_type}") from None


def create_sql(name: str, schema: pa.Schema) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a table described by an Arrow schema."""
    cols = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in schema)
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})'


def add_missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add to existing warehouse tables the columns their schema gained since (NULL in old rows).

    A warehouse made by an older version keeps working: a column added to a table's schema in
    :mod:`bingewise.schema` (always last, so that column order matches) is added to the file.
    Returns ``table.column`` of each column added.
    """
    have: dict[str, set[str]] = {}
    query = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ?"
    for table, column in con.execute(query, ["main"]).fetchall():
        have.setdefault(str(table), set()).add(str(column))
    added = []
    for table in WAREHOUSE_TABLES:
        name: str = table.table  # type: ignore[attr-defined]
        schema: pa.Schema = table.arrow  # type: ignore[attr-defined]
        present = have.get(name)
        if present is None:
            continue
        for f in schema:
            if f.name not in present:
                con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{f.name}" {duckdb_type(f.type)}')
                added.append(f"{name}.{f.name}")
    return added


class Warehouse:
    """A DuckDB warehouse reached through Ibis (``.ibis``) and raw DuckDB (``.duck``)."""

    def __init__(self, backend: Any, path: str) -> None:
        self.ibis = backend
        self.path = path

    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> Warehouse:
        """Open (and create if needed) the warehouse at ``path`` (default: settings)."""
        if path is None:
            settings = get_settings()
            settings.ensure_home()
            path = settings.warehouse_path
        path_s = str(path)
        if path_s != ":memory:":
            make_private_dir(Path(path_s).parent)
        backend = ibis.duckdb.connect(path_s, read_only=read_only)
        wh = cls(backend, path_s)
        if not read_only:
            wh.create()
        return wh

    @property
    def duck(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection (for bulk loads and transactions)."""
        return self.ibis.con  # type: ignore[no-any-return]

    def create(self) -> None:
        """Create every warehouse table that does not exist yet, and add to existing ones the
        columns they lack (:func:`add_missing_columns`)."""
        for table in WAREHOUSE_TABLES:
            self.duck.execute(create_sql(table.table, table.arrow))  # type: ignore[attr-defined]
        add_missing_columns(self.duck)

    def table(self, name: str) -> ibis.Table:
        """An Ibis table expression over a warehouse table."""
        return self.ibis.table(name)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB transaction: committed on success, rolled back on any exception."""
        con = self.duck
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def count(self, name: str = Events.table) -> int:
        """Number of rows in a table."""
        row = self.duck.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        return int(row[0]) if row else 0

    def export_parquet(self, folder: Path, names: Iterable[str]) -> dict[str, Path]:
        """Write tables to ``folder/<name>.parquet`` (one file each, overwritten): the warehouse's
        own tables for another engine (Spark) to read. One sequential pass over each table, at
        DuckDB's speed; the files take about the space the tables take in the warehouse file.
        Returns each table's file.
        """
        folder.mkdir(parents=True, exist_ok=True)
        out = {}
        for name in names:
            target = folder / f"{name}.parquet"
            partial = target.with_name(f".{target.name}.partial")
            quoted = str(partial).replace("'", "''")
            self.duck.execute(f"COPY \"{name}\" TO '{quoted}' (FORMAT parquet)")
            partial.replace(target)  # a file that is there is whole
            out[name] = target
        return out

    def close(self) -> None:
        """Close the connection."""
        self.ibis.disconnect()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.shell.name = org.apache.spark.repl.Main
logger.shell.level = error
logger.python.name = org.apache.spark.api.python.PythonGatewayServer
logger.python.level = error
"""


def local_spark(
    cores: int = 2,
    *,
    work: Path,
    memory: str = "2g",
    shuffle_partitions: int | None = None,
    app: str = "bingewise",
) -> Any:
    """A Spark session in local mode for one machine: loopback only, UTC, no UI.

    The driver binds to 127.0.0.1 (``SPARK_LOCAL_IP`` too), the SQL session time zone is UTC
    (the warehouse's timestamps are naive UTC), and Spark's scratch space, SQL warehouse and
    Derby home are under ``work``, never the working directory. Needs the ``spark`` extra
    (PySpark) and a Java runtime. The JVM logs errors only. ``ibis.pyspark.connect(session)``
    gives the Ibis backend the analytics run on.
    """
    import os

    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    work.mkdir(parents=True, exist_ok=True)
    # The JVM's own log: errors only, from its start (Spark's default prints its profile and
    # warnings about Hadoop's native library on every start, on the operator's terminal).
    log4j = work / "log4j2.properties"
    log4j.write_text(_LOG4J)
    java_options = f"-Dderby.system.home={work} -Dlog4j2.configurationFile={log4j.as_uri()}"
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", memory)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.local.dir", str(work / "scratch"))
        .config("spark.sql.warehouse.dir", str(work / "sql-warehouse"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 2 * cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
