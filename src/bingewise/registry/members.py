"""Members repository: create, read and list members in the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bingewise.geo import COUNTRY_FORM, is_country, is_time_zone
from bingewise.registry.tables import members
from bingewise.schema import Members

#: Columns a later file may fill in for a known member (never replace).
FILLABLE = (
    Members.country,
    Members.time_zone,
    Members.household_id,
    Members.profile,
    Members.signup_date,
)

#: The most characters each text column of ``members`` holds (as the table declares them):
#: ingestion rejects longer values, and :meth:`MembersRepo.upsert_many` refuses them.
MAX_CHARS: dict[str, int] = {
    c.name: c.type.length
    for c in members.columns
    if isinstance(c.type, sa.String) and c.type.length is not None
}


class InvalidMember(ValueError):
    """A member record the registry cannot hold as the product means it. The message names the
    field and what it must be, never the value (member data)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"member field {field!r}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """One member as the registry holds them."""

    member_id: int
    email: str | None = None
    country: str | None = None
    time_zone: str | None = None
    signup_date: dt.date | None = None
    household_id: int | None = None
    profile: str | None = None

    def problem(self) -> InvalidMember | None:
        """What makes this record one the registry cannot hold, or ``None``: a text longer than
        its column (:data:`MAX_CHARS`), a country that is no upper-case ISO 3166-1 alpha-2 code
        known to :mod:`bingewise.geo`, a time zone that is no IANA zone. The same on SQLite,
        which stores any text, as on PostgreSQL, which refuses a long one."""
        for name, limit in MAX_CHARS.items():
            value = getattr(self, name, None)
            if isinstance(value, str) and len(value) > limit:
                return InvalidMember(name, f"longer than {limit} characters")
        if self.country is not None and not (
            self.country.isupper() and is_country(self.country)
        ):
            return InvalidMember(Members.country, f"not {COUNTRY_FORM}")
        if self.time_zone is not None and not is_time_zone(self.time_zone):
            return InvalidMember(Members.time_zone, "not an IANA time zone (such as Europe/Paris)")
        return None


class MembersRepo:
    """Small repository over the ``members`` table."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def upsert_many(self, records: Iterable[MemberRecord], *, chunk: int = 5000) -> int:
        """Insert members; an existing one only has what it lacks filled in (a country, zone,
        household, profile or signup date a later file knows), nothing it holds replaced.
        Returns how many were new.

        Raises :class:`InvalidMember` for a record the registry cannot hold
        (:meth:`MemberRecord.problem`); nothing of the call is written then (one transaction).
        Callers such as ingestion check each value first and keep its row aside instead."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        new = 0
        batch: list[dict[str, object]] = []

        def flush(conn: sa.Connection) -> int:
            if not batch:
                return 0
            ids = [row[Members.member_id] for row in batch]
            known = {
                row.member_id: row
                for row in conn.execute(
                    sa.select(members.c.member_id, *(members.c[c] for c in FILLABLE)).where(
                        members.c.member_id.in_(ids)
                    )
                )
            }
            fresh = [row for row in batch if row[Members.member_id] not in known]
            if fresh:
                conn.execute(members.insert(), fresh)
            for row in batch:
                old = known.get(row[Members.member_id])
                if old is None:
                    continue
                fill = {
                    c: row[c]
                    for c in FILLABLE
                    if getattr(old, c) is None and row.get(c) is not None
                }
                if fill:
                    conn.execute(
                        members.update()
                        .where(members.c.member_id == row[Members.member_id])
                        .values(**fill)
                    )
            batch.clear()
            return len(fresh)

        with self.engine.begin() as conn:
            for rec in records:
                problem = rec.problem()
                if problem is not None:
                    raise problem
                batch.append(
                    {
                        Members.member_id: rec.member_id,
                        Members.email: rec.email,
                        Members.country: rec.country,
                        Members.time_zone: rec.time_zone,
                        Members.signup_date: rec.signup_date,
                        Members.household_id: rec.household_id,
                        Members.profile: rec.profile,
                        Members.created_utc: now,
                    }
                )
                if len(batch) >= chunk:
                    new += flush(conn)
            new += flush(conn)
        return new

    def get(self, member_id: int) -> MemberRecord | None:
        """The member with this id, or ``None``."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(members).where(members.c.member_id == member_id))
                .mappings()
                .first()
            )
        return None if row is None else _record(row)

    def list(self, limit: int | None = None) -> Sequence[MemberRecord]:
        """Members ordered by id."""
        query = sa.select(members).order_by(members.c.member_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query).mappings()]

    def count(self) -> int:
        """How many members the registry holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(members)).scalar_one())

    def delete(self, member_id: int) -> int:
        """Remove a member row; returns rows removed (0 or 1)."""
        with self.engine.begin() as conn:
            return conn.execute(members.delete().where(members.c.member_id == member_id)).rowcount


def _record(row: sa.RowMapping) -> MemberRecord:
    return MemberRecord(
        member_id=row[Members.member_id],
        email=row[Members.email],
        country=row[Members.country],
        time_zone=row[Members.time_zone],
        signup_date=row[Members.signup_date],
        household_id=row[Members.household_id],
        profile=row[Members.profile],
    )
