"""Registry tables (SQLAlchemy Core). Migrations in ``migrations/`` create them.

The registry holds what is about members as people (contact, consent, messages, audit) and the
privacy ledger. It runs on SQLite by default and PostgreSQL by URL, with the same code.
"""

from __future__ import annotations

import sqlalchemy as sa

from bingewise.schema import BudgetChanges, Members, RetrainRequests

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

consent_events = sa.Table(
    "consent_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("recorded_utc", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(60), nullable=False),
    sa.Column("policy_version", sa.String(20), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at_utc", sa.DateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("member_id", sa.BigInteger, nullable=True, index=True),
    sa.Column("resource", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(400), nullable=False),
)

tombstones = sa.Table(
    "tombstones",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("erased_on", sa.Date, nullable=False),
)

privacy_budgets = sa.Table(
    "privacy_budgets",
    metadata,
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("epsilon", sa.Float, nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("set_utc", sa.DateTime, nullable=False),
)

privacy_budget_changes = sa.Table(
    BudgetChanges.table,
    metadata,
    sa.Column(BudgetChanges.id, sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(BudgetChanges.period, sa.String(40), nullable=False, index=True),
    sa.Column(BudgetChanges.epsilon_before, sa.Float, nullable=True),
    sa.Column(BudgetChanges.delta_before, sa.Float, nullable=True),
    sa.Column(BudgetChanges.epsilon, sa.Float, nullable=False),
    sa.Column(BudgetChanges.delta, sa.Float, nullable=False),
    sa.Column(BudgetChanges.spent_epsilon, sa.Float, nullable=True),
    sa.Column(BudgetChanges.spent_delta, sa.Float, nullable=True),
    sa.Column(BudgetChanges.changed_utc, sa.DateTime, nullable=False),
    sa.Column(BudgetChanges.actor, sa.String(200), nullable=False),
)

privacy_ledger = sa.Table(
    "privacy_ledger",
    metadata,
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

retrain_requests = sa.Table(
    RetrainRequests.table,
    metadata,
    sa.Column(RetrainRequests.id, sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(RetrainRequests.model, sa.String(300), nullable=False, index=True),
    sa.Column(RetrainRequests.reason, sa.String(200), nullable=False),
    sa.Column(RetrainRequests.requested_utc, sa.DateTime, nullable=False),
    sa.Column(RetrainRequests.done_utc, sa.DateTime, nullable=True),
)
