"""Consent events, audit log, erasure tombstones, privacy budgets and ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("recorded_utc", sa.DateTime, nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("policy_version", sa.String(20), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_utc", sa.DateTime, nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("member_id", sa.BigInteger, nullable=True, index=True),
        sa.Column("resource", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(400), nullable=False),
    )
    op.create_table(
        "tombstones",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("erased_on", sa.Date, nullable=False),
    )
    op.create_table(
        "privacy_budgets",
        sa.Column("period", sa.String(40), primary_key=True),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("delta", sa.Float, nullable=False),
        sa.Column("set_utc", sa.DateTime, nullable=False),
    )
    op.create_table(
        "privacy_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("release_id", sa.String(64), nullable=False, index=True),
        sa.Column("period", sa.String(40), nullable=False, index=True),
        sa.Column("fact", sa.String(120), nullable=False),
        sa.Column("mechanism", sa.String(60), nullable=False),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("delta", sa.Float, nullable=False),
        sa.Column("contribution_bound", sa.Integer, nullable=False),
        sa.Column("accuracy_95", sa.Float, nullable=True),
        sa.Column("released_utc", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("privacy_ledger", "privacy_budgets", "tombstones", "audit_log", "consent_events"):
        op.drop_table(name)
