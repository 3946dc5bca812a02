"""Privacy budget changes: every change of a period's budget is kept (old and new, spent, who).

Budgets set before this revision have no history: each gets one row with the budget in force,
its time, an unknown previous value and spend (NULL), and the actor ``unknown``, so the ledger
says plainly where its history begins.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Actor of the rows that stand for budgets set before changes were recorded.
UNKNOWN_ACTOR = "unknown (set before budget changes were recorded)"


def upgrade() -> None:
    changes = op.create_table(
        "privacy_budget_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(40), nullable=False, index=True),
        sa.Column("epsilon_before", sa.Float, nullable=True),
        sa.Column("delta_before", sa.Float, nullable=True),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("delta", sa.Float, nullable=False),
        sa.Column("spent_epsilon", sa.Float, nullable=True),
        sa.Column("spent_delta", sa.Float, nullable=True),
        sa.Column("changed_utc", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    budgets = sa.table(
        "privacy_budgets",
        sa.column("period", sa.String),
        sa.column("epsilon", sa.Float),
        sa.column("delta", sa.Float),
        sa.column("set_utc", sa.DateTime),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(budgets.c.period, budgets.c.epsilon, budgets.c.delta, budgets.c.set_utc).order_by(
            budgets.c.set_utc, budgets.c.period
        )
    ).all()
    if rows:
        op.bulk_insert(
            changes,
            [
                {
                    "period": r.period,
                    "epsilon_before": None,
                    "delta_before": None,
                    "epsilon": r.epsilon,
                    "delta": r.delta,
                    "spent_epsilon": None,
                    "spent_delta": None,
                    "changed_utc": r.set_utc,
                    "actor": UNKNOWN_ACTOR,
                }
                for r in rows
            ],
        )


def downgrade() -> None:
    op.drop_table("privacy_budget_changes")
