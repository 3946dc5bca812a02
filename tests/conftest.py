"""Shared fixtures: an isolated data folder, a warehouse, a registry on SQLite and PostgreSQL,
one local Spark session for the whole run."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from bingewise.config import reset_settings
from bingewise.registry import Registry
from bingewise.warehouse import Warehouse, local_spark

PG_ADMIN_URL = os.environ.get(
    "BINGEWISE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
settings.register_profile(
    "bingewise", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("bingewise")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own BINGEWISE_HOME and fresh settings."""
    data = tmp_path / "bingewise-data"
    monkeypatch.setenv("BINGEWISE_HOME", str(data))
    monkeypatch.setenv("BINGEWISE_ENV", "test")
    monkeypatch.delenv("BINGEWISE_DATABASE_URL", raising=False)
    reset_settings()
    yield data
    reset_settings()


@pytest.fixture
def warehouse(home: Path) -> Iterator[Warehouse]:
    """A fresh warehouse file in the test's data folder."""
    wh = Warehouse.open(home / "warehouse.duckdb")
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test process; its URL."""
    name = f"bw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _clean_pg(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, home: Path) -> str:
    """A registry URL: a SQLite file, then a clean PostgreSQL database."""
    if request.param == "sqlite":
        home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{home / 'registry.sqlite'}"
    url: str = request.getfixturevalue("pg_database")
    _clean_pg(url)
    return url


@pytest.fixture
def registry(registry_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A migrated registry on each backend; settings point at it too."""
    monkeypatch.setenv("BINGEWISE_DATABASE_URL", registry_url)
    reset_settings()
    reg = Registry.open(registry_url)
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def spark_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A SparkSession in local mode (one core, loopback, UTC), started once for the whole run:
    starting one costs 10–20 s. ``bingewise facts --engine spark`` run in-process uses it (the
    session already active) and leaves it running.

    The test tables are tiny, so compiling each query's Java code and re-planning it between
    stages cost more than running it: both are off here (the results do not depend on them),
    which halves the time of a fact set."""
    with warnings.catch_warnings():  # PySpark 4 warns about pandas 3 on import; unused here
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        import ibis.backends.pyspark  # noqa: F401
    session = local_spark(
        1, work=tmp_path_factory.mktemp("spark"), shuffle_partitions=1, app="bingewise-test"
    )
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.adaptive.enabled", "false")
    try:
        yield session
    finally:
        session.stop()
