"""public notices: the ``violation_decision`` table

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:20:00

- ``violation_decision``: one row per serious-violation decision a regulator records in the
  console, pointing at its ledger entry (kind ``party.violation``); the public notices and
  feeds list these rows together with the recalls.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import traceability.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = traceability.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "violation_decision",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("party_name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("decision", sa.String(length=1000), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", ts, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_violation_decision_party_id", "violation_decision", ["party_id"], unique=False
    )
    op.create_index(
        "ix_violation_decision_decided_at", "violation_decision", ["decided_at"], unique=False
    )
    op.create_index(
        "ix_violation_decision_ledger_index", "violation_decision", ["ledger_index"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_violation_decision_ledger_index", table_name="violation_decision")
    op.drop_index("ix_violation_decision_decided_at", table_name="violation_decision")
    op.drop_index("ix_violation_decision_party_id", table_name="violation_decision")
    op.drop_table("violation_decision")
