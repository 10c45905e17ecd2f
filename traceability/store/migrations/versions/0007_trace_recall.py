"""trace and recall: the ``recall`` table and an index on the lot number of ILMD

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 00:20:00

- ``recall``: one row per opened recall, derived from its ledgered recall event (audited).
- ``ix_event_ilmd_lot``: the trace resolves a lot (GTIN + lot) to its serialised items through
  the ``cbvmda:lotNumber`` of their commissioning events' ILMD. A partial expression index (only
  events with an ILMD, few of them), spelled as :mod:`traceability.trace.resolve` queries it.
- ``ix_trace_edge_item``: every edge of an item X has ``item = X`` or ``src = X`` (custody and
  containment edges are keyed by the item they move; ``src`` is indexed since 0001), so a walk
  loads exactly an item's edges with two index look-ups, however large the events it was in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import traceability.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_EXPR = "(body->'ilmd'->>'cbvmda:lotNumber')"
_SQLITE_EXPR = "json_extract(body, '$.ilmd.\"cbvmda:lotNumber\"')"


def upgrade() -> None:
    ts = traceability.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "recall",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", ts, nullable=False),
        sa.Column("opened_at", ts, nullable=False),
        sa.Column("start_by", ts, nullable=True),
        sa.Column(
            "scope",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("event_hash", sa.String(length=120), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recall_ledger_index", "recall", ["ledger_index"], unique=False)
    op.create_index("ix_trace_edge_item", "trace_edge", ["item", "event_time"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"create index ix_event_ilmd_lot on event ({_PG_EXPR}) where {_PG_EXPR} is not null"
        )
    else:
        op.execute(
            f"create index ix_event_ilmd_lot on event ({_SQLITE_EXPR}) "
            f"where {_SQLITE_EXPR} is not null"
        )


def downgrade() -> None:
    op.drop_index("ix_event_ilmd_lot", table_name="event")
    op.drop_index("ix_trace_edge_item", table_name="trace_edge")
    op.drop_index("ix_recall_ledger_index", table_name="recall")
    op.drop_table("recall")
