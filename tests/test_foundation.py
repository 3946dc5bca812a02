"""Settings, ids and warehouse basics."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bingewise.config import PLACEHOLDER_SECRET, Settings
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
