"""The registry's members repository on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bingewise.registry import MemberRecord, Registry, upgrade


def test_upsert_is_idempotent_and_round_trips(registry: Registry) -> None:
    records = [
        MemberRecord(
            member_id=i,
            email=f"m{i}@example.invalid",
            country="MX",
            time_zone="America/Mexico_City",
            signup_date=dt.date(2017, 1, 1 + i),
        )
        for i in range(5)
    ]
    assert registry.members.upsert_many(records) == 5
    assert registry.members.upsert_many(records) == 0
    assert registry.members.count() == 5
    assert registry.members.get(3) == records[3]
    assert registry.members.get(99) is None
    assert [m.member_id for m in registry.members.list(limit=2)] == [0, 1]


def test_delete(registry: Registry) -> None:
    registry.members.upsert_many([MemberRecord(member_id=1)])
    assert registry.members.delete(1) == 1
    assert registry.members.delete(1) == 0
    assert registry.members.count() == 0


def test_migrations_are_idempotent(registry: Registry) -> None:
    upgrade(registry.engine)
    upgrade(registry.engine)
    tables = set(sa.inspect(registry.engine).get_table_names())
    assert {"members", "alembic_version"} <= tables


def test_migrations_match_table_definitions(registry: Registry) -> None:
    """Alembic's head creates exactly the tables and columns that tables.py declares."""
    from bingewise.registry.tables import metadata

    inspector = sa.inspect(registry.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
