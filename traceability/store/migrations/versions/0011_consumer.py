"""consumer: scans of labels (clone signals) and "report a problem" reports

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06 03:10:00

- ``consumer_scan``: one row per consumer-page view of an item; coarse client information only
  (a salted daily hash, never the address; docs/consumer.md). Indexed by (item, time) for the
  clone signals.
- ``consumer_report``: the reports of the page's "report a problem" form, plain text.
Neither is part of the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import traceability.store.types

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = traceability.store.types.UTCDateTime(timezone=True)
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "consumer_scan",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("scanned_at", ts, nullable=False),
        sa.Column("scanner", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=True),
        sa.Column("client", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=8), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consumer_scan_item", "consumer_scan", ["item", "scanned_at"])
    op.create_table(
        "consumer_report",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("client", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consumer_report_item", "consumer_report", ["item"])


def downgrade() -> None:
    op.drop_index("ix_consumer_report_item", table_name="consumer_report")
    op.drop_table("consumer_report")
    op.drop_index("ix_consumer_scan_item", table_name="consumer_scan")
    op.drop_table("consumer_scan")
