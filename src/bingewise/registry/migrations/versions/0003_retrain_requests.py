"""Retrain requests: item-side models to retrain after an erasure.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retrain_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(300), nullable=False, index=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("requested_utc", sa.DateTime, nullable=False),
        sa.Column("done_utc", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("retrain_requests")
