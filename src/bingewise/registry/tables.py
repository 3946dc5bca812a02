"""Registry tables (SQLAlchemy Core). Migrations in ``migrations/`` create them.

The registry holds what is about members as people (contact, consent, messages, audit) and the
privacy ledger. It runs on SQLite by default and PostgreSQL by URL, with the same code.
"""

from __future__ import annotations

import sqlalchemy as sa

from bingewise.schema import Members

metadata = sa.MetaData()

members = sa.Table(
    Members.table,
    metadata,
    sa.Column(Members.member_id, sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column(Members.household_id, sa.BigInteger, nullable=True, index=True),
    sa.Column(Members.profile, sa.String(200), nullable=True),
    sa.Column(Members.email, sa.String(320), nullable=True, unique=True),
    sa.Column(Members.country, sa.String(2), nullable=True),
    sa.Column(Members.time_zone, sa.String(64), nullable=True),
    sa.Column(Members.signup_date, sa.Date, nullable=True),
    sa.Column(Members.created_utc, sa.DateTime, nullable=False),
)
