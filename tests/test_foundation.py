"""Settings, ids and warehouse basics."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bingewise.config import (
    PLACEHOLDER_SECRET,
    Settings,
    SettingsError,
    get_settings,
    reset_settings,
)
from bingewise.ids import SQL_STABLE_ID, stable_id
from bingewise.schema import WAREHOUSE_TABLES
from bingewise.warehouse import Warehouse


@given(st.text(min_size=0, max_size=40))
def test_stable_id_matches_duckdb(text: str) -> None:
    con = duckdb.connect()
    row = con.execute(f"SELECT {SQL_STABLE_ID.format('?')}", [text]).fetchone()
    assert row is not None
    assert row[0] == stable_id(text)
    assert 0 <= stable_id(text) < 2**63


def test_production_refuses_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINGEWISE_ENV", "production")
    monkeypatch.setenv("BINGEWISE_SECRET_KEY", PLACEHOLDER_SECRET)
    with pytest.raises(ValueError, match="placeholder"):
        Settings()
    monkeypatch.setenv("BINGEWISE_SECRET_KEY", "a-real-secret-of-some-length")
    assert Settings().env == "production"


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("BINGEWISE_FINISHED_SHARE", "85", "less than or equal to 1"),  # a percentage
        ("BINGEWISE_FINISHED_SHARE", "0", "greater than 0"),
        ("BINGEWISE_FINISHED_SHARE", "nan", "finite number"),
        ("BINGEWISE_SESSION_GAP_MINUTES", "-5", "greater than or equal to 0"),
        ("BINGEWISE_SESSION_GAP_MINUTES", "inf", "finite number"),
        ("BINGEWISE_SESSION_GAP_MINUTES", "half an hour", "a valid number"),
    ],
)
def test_a_bad_analytics_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, why: str
) -> None:
    """Out of range, the facts crashed deep in the analytics (a share of 85, a percentage, read
    as closing the warehouse connection): now the settings refuse it, naming the variable."""
    monkeypatch.setenv(name, value)
    reset_settings()
    with pytest.raises(SettingsError, match=f"^{name}={value!r}: .*{why}") as caught:
        get_settings()
    assert "\n" not in str(caught.value)
    from typer.testing import CliRunner

    from bingewise.cli import app, run

    done = CliRunner().invoke(app, ["-q", "facts"])
    assert isinstance(done.exception, SettingsError)
    monkeypatch.setattr("sys.argv", ["bingewise", "-q", "facts"])
    with pytest.raises(SystemExit) as stop:
        run()
    assert stop.value.code == 1


def test_warehouse_creates_every_table(warehouse: Warehouse) -> None:
    names = set(warehouse.ibis.list_tables())
    assert {t.table for t in WAREHOUSE_TABLES} <= names  # type: ignore[attr-defined]
    for table in WAREHOUSE_TABLES:
        cols = warehouse.table(table.table).columns  # type: ignore[attr-defined]
        assert list(cols) == table.arrow.names  # type: ignore[attr-defined]


def test_transaction_rolls_back(warehouse: Warehouse) -> None:
    with pytest.raises(RuntimeError), warehouse.transaction() as con:
        con.execute("INSERT INTO catalog (title_id, title, kind) VALUES (1, 'x', 'film')")
        raise RuntimeError("boom")
    assert warehouse.count("catalog") == 0
