"""The binge facts on Spark: a session, and the events, catalog and members as Spark tables.

The analytics are Ibis expressions, so the same fact set runs on Spark
(:meth:`~bingewise.analytics.FactSet.compute_tables`). What Spark needs from here:

- :func:`spark_session`: a local session (:func:`bingewise.warehouse.local_spark`: loopback,
  UTC), or the one already running in the process; a missing PySpark or Java runtime is one
  :class:`SparkUnavailable` line, not a traceback from the JVM launcher.
- :func:`read_tables`: a folder holding ``events``, ``catalog`` and ``members`` as Parquet (a
  file ``events.parquet`` or a folder ``events/`` of part files, as a service's lake holds them),
  checked against the warehouse schema and read as Ibis tables on Spark. The warehouse's own
  tables get there with :meth:`bingewise.warehouse.Warehouse.export_parquet`.

Needs the ``spark`` extra (PySpark) and a Java runtime (17 or 21).

>>> with spark_session(2, work=Path("spark-work")) as session:  # doctest: +SKIP
...     tables = read_tables(session, Path("lake"))
...     fs = FactSet.compute_tables(*tables.values(), "2024")
...     fs.to_arrow("member_facts")
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from bingewise.schema import Catalog, Events, Members
from bingewise.warehouse import local_spark

__all__ = [
    "FACT_INPUTS",
    "SparkUnavailable",
    "TableError",
    "read_tables",
    "require_spark",
    "spark_session",
    "table_path",
]

log = logging.getLogger(__name__)

#: The tables the fact set is computed from, in the order ``compute_tables`` takes them.
FACT_INPUTS: tuple[type, ...] = (Events, Catalog, Members)


class SparkUnavailable(RuntimeError):
    """Spark cannot start here: PySpark is not installed, or there is no Java runtime."""


class TableError(ValueError):
    """A table of the folder is missing, unreadable, or not in the warehouse schema."""


def _java() -> str | None:
    """The Java the Spark launcher would run: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        return str(java) if java.exists() else None
    return shutil.which("java")


def require_spark() -> None:
    """Raise :class:`SparkUnavailable` (one line saying what to install) when PySpark or a Java
    runtime is missing: checked before any work, not found out from the JVM launcher."""
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise SparkUnavailable(
            "Spark needs PySpark: install the spark extra (pip install 'bingewise[spark]')"
        ) from None
    if _java() is None:
        where = (
            f"JAVA_HOME ({os.environ['JAVA_HOME']}) has no bin/java"
            if os.environ.get("JAVA_HOME")
            else "no java on PATH and JAVA_HOME is not set"
        )
        raise SparkUnavailable(f"Spark needs a Java runtime (17 or 21): {where}")


@contextmanager
def spark_session(cores: int = 2, *, work: Path, memory: str = "2g") -> Iterator[Any]:
    """A Spark session for the fact set: the one already active in this process (a notebook's,
    a test's), left running, or a new local one (:func:`~bingewise.warehouse.local_spark`,
    ``cores`` cores, scratch space under ``work``), stopped at the end.

    Raises :class:`SparkUnavailable` without PySpark or Java (:func:`require_spark`), or when
    the JVM does not start.
    """
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        log.info("using the Spark session already running in this process")
        yield active
        return
    try:
        session = local_spark(cores, work=work, memory=memory, app="bingewise-facts")
    except Exception as exc:  # the JVM launcher's failures come as many kinds of error
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkUnavailable(f"Spark did not start: {first}") from None
    try:
        yield session
    finally:
        session.stop()


def table_path(folder: Path, name: str) -> Path:
    """Where a table of the folder is: ``<name>.parquet`` (a file, or a folder of part files),
    else ``<name>`` (a folder of part files, or one file). :class:`TableError` naming the folder
    and the table when neither is there."""
    for path in (folder / f"{name}.parquet", folder / name):
        if path.exists():
            return path
    raise TableError(
        f"{folder}: no {name} table (expected {name}.parquet, or a folder {name}/ of Parquet files)"
    )


def _compatible(found: dt.DataType, want: dt.DataType) -> bool:
    """Whether a lake's column type reads as the warehouse's without losing anything the facts
    use: integers of any width as integers (an overflow is an error on Spark, not a wrap),
    timestamps with or without a zone (Spark's session zone is UTC), strings as strings."""
    if found.is_integer() and want.is_integer():
        return True
    if found.is_integer() and want.is_floating():
        return True
    if found.is_timestamp() and want.is_timestamp():
        return True
    return type(found) is type(want)


def read_tables(
    session: Any, folder: Path, tables: tuple[type, ...] = FACT_INPUTS
) -> dict[str, ir.Table]:
    """The folder's Parquet tables on Spark, as Ibis tables in the warehouse schema (by name).

    Each table (``tables``: schema classes, default events, catalog, members) is found by
    :func:`table_path`, read by Spark (a folder of part files too), and checked: every column
    of the warehouse schema must be there with a compatible type; other columns are left out,
    and columns of another width (an ``INT`` member id, a timestamp with a zone) are cast to the
    warehouse's. :class:`TableError` names the file, the table and the column otherwise.
    Registered as temporary views ``_bw_in_<name>``.
    """
    con = ibis.pyspark.connect(session)
    out: dict[str, ir.Table] = {}
    for cls in tables:
        name: str = cls.table  # type: ignore[attr-defined]
        want = ibis.Schema.from_pyarrow(cls.arrow)  # type: ignore[attr-defined]
        path = table_path(folder, name)
        try:
            df = session.read.parquet(str(path))
        except Exception as exc:  # AnalysisException: not Parquet, empty folder
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TableError(f"{path}: cannot read the {name} table as Parquet ({first})") from None
        view = f"_bw_in_{name}"
        df.createOrReplaceTempView(view)
        t = con.table(view)
        have = t.schema()
        missing = [c for c in want.names if c not in have]
        if missing:
            raise TableError(
                f"{path}: the {name} table has no column {', '.join(missing)} "
                f"(the warehouse schema: {', '.join(want.names)})"
            )
        columns = {}
        for col, typ in want.items():
            found = have[col]
            if not _compatible(found, typ):
                raise TableError(
                    f"{path}: column {col} of the {name} table is {found}, not {typ} as in the "
                    "warehouse schema"
                )
            columns[col] = t[col] if found == typ else t[col].cast(typ)
        out[name] = t.select(**columns)
    return out
