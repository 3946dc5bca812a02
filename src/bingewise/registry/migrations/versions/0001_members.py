"""Members.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("member_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("household_id", sa.BigInteger, nullable=True, index=True),
        sa.Column("profile", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True, unique=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("signup_date", sa.Date, nullable=True),
        sa.Column("created_utc", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("members")
