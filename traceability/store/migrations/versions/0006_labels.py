"""label printing: runs, issued serials, serial and SSCC counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:30:00

``label_serial`` (gtin, serial) is the primary key that keeps a serial from ever being issued
twice; ``label_serial_counter`` and ``sscc_counter`` hand out sequential values with one
``UPDATE ... RETURNING`` (a row lock on PostgreSQL, the write lock on SQLite). The models are
in ``label_printing/models.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import traceability.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = traceability.store.types.UTCDateTime(timezone=True)
_JSON = traceability.store.types.JSONType


def upgrade() -> None:
    op.create_table(
        "label_run",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot", sa.String(length=20), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("serial_mode", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("resolver", sa.String(length=200), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("options", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_label_run_gtin", "label_run", ["gtin"])
    op.create_table(
        "label_serial",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reprints", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("gtin", "serial"),
    )
    op.create_index("ix_label_serial_run_id", "label_serial", ["run_id"])
    op.create_table(
        "label_serial_counter",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gtin"),
    )
    op.create_table(
        "sscc_counter",
        sa.Column("prefix", sa.String(length=13), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix"),
    )
    op.create_table(
        "label_sscc",
        sa.Column("sscc", sa.String(length=18), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("sscc"),
    )


def downgrade() -> None:
    for table in ("label_sscc", "sscc_counter", "label_serial_counter", "label_serial"):
        op.drop_table(table)
    op.drop_table("label_run")
