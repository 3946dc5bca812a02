"""Settings, ids and warehouse basics."""

from __future__ import annotations

import os
import stat
from pathlib import Path

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
from bingewise.files import write_private
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


def test_data_folder_is_created_for_its_owner_only(tmp_path: Path) -> None:
    """Warehouse, registry and models hold member data: a folder Bingewise creates is 0700."""
    old = os.umask(0o022)
    try:
        home = Settings(home=tmp_path / "new" / "data").ensure_home()
        opened = tmp_path / "opened"
        Warehouse.open(opened / "warehouse.duckdb").close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(opened.stat().st_mode) == 0o700


def test_an_existing_data_folder_keeps_its_mode(tmp_path: Path) -> None:
    """A folder the operator made (and chose the mode of) is used as it is."""
    made = tmp_path / "data"
    made.mkdir(mode=0o750)
    made.chmod(0o750)
    Settings(home=made).ensure_home()
    assert stat.S_IMODE(made.stat().st_mode) == 0o750


def test_private_files_are_the_owners_only(tmp_path: Path) -> None:
    """A member-level file is written 0600, also over an older file readable by others."""
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        write_private(fresh, b"{}")
        older = tmp_path / "older.json"
        older.write_bytes(b"old")
        older.chmod(0o644)
        write_private(older, b"new")
    finally:
        os.umask(old)
    assert fresh.read_bytes() == b"{}" and older.read_bytes() == b"new"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(older.stat().st_mode) == 0o600
