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


def test_database_errors_carry_no_statement_parameters(registry: Registry) -> None:
    """A failed write's message names the statement, never its values (member data): on
    PostgreSQL a country too long for its column, on both a primary key written twice."""
    import pytest

    secret = "profile-of-a-member-0451"
    with pytest.raises(sa.exc.DBAPIError) as failed, registry.engine.begin() as conn:
        row = {"member_id": 451, "profile": secret, "country": "USA"}
        table = sa.table("members", *(sa.column(c) for c in row))
        conn.execute(sa.insert(table), [row, row])
    assert "451" not in str(failed.value) and secret not in str(failed.value)


def test_an_unreachable_registry_is_one_sentence_with_the_password_hidden() -> None:
    """Registry.open of a server that is not there: RegistryUnavailable naming the URL without
    its password; the installed `bingewise` script prints that one line and exits 1."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    from bingewise.registry import RegistryUnavailable

    url = "postgresql+psycopg://postgres:hunter2@127.0.0.1:9/nowhere"  # port 9: discard, closed
    with pytest.raises(RegistryUnavailable) as failed:
        Registry.open(url)
    text = str(failed.value)
    assert "postgres:***@127.0.0.1:9/nowhere" in text and "hunter2" not in text
    script = shutil.which("bingewise", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run(
        [script, "consent", "show", "1"],
        env={**os.environ, "BINGEWISE_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: {text}"]
    assert "Traceback" not in done.stderr + done.stdout
