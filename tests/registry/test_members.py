"""The registry's members repository on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bingewise.registry import MemberRecord, Registry, upgrade
from bingewise.registry.members import InvalidMember


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


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (MemberRecord(member_id=2, country="USA"), "country"),
        (MemberRecord(member_id=2, country="XX"), "country"),
        (MemberRecord(member_id=2, country="us"), "country"),
        (MemberRecord(member_id=2, profile="p" * 201), "profile"),
        (MemberRecord(member_id=2, time_zone="Mars/Olympus"), "time_zone"),
        (MemberRecord(member_id=2, email="m@" + "e" * 320), "email"),
    ],
)
def test_a_record_the_registry_cannot_hold_is_refused_alike(
    registry: Registry, record: MemberRecord, field: str
) -> None:
    """SQLite stored any of these (``USA`` became a member's country), PostgreSQL refused the
    long ones with the SQL's parameters in its message: both now refuse them before writing,
    naming the field and never the value, and nothing of the call is stored."""
    ok = MemberRecord(member_id=1, country="MX", profile="p" * 200, time_zone="Asia/Kathmandu")
    with pytest.raises(InvalidMember) as info:
        registry.members.upsert_many([ok, record], chunk=1)
    assert info.value.field == field
    value = getattr(record, field)
    assert value not in str(info.value)
    assert registry.members.count() == 0
    assert registry.members.upsert_many([ok]) == 1


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
