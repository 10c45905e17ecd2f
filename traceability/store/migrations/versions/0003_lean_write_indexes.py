"""drop secondary indexes that no query uses, to cheapen every append

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00

Every appended event pays for each index on ``event`` and ``trace_edge``. No read path uses
``event.biz_step``, ``event.biz_location``, ``event.device_id`` or ``trace_edge.event_hash``
(the audit reads both tables by ledger index / edge id; trace walks use ``src`` / ``dst``), so
they go. A query API that needs one adds it back in its own migration, measured against
``python -m bench.ledger``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("event", "ix_event_biz_location", ["biz_location"]),
    ("event", "ix_event_biz_step", ["biz_step"]),
    ("event", "ix_event_device_id", ["device_id"]),
    ("trace_edge", "ix_trace_edge_event_hash", ["event_hash"]),
)


def upgrade() -> None:
    for table, name, _cols in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, cols in DROPPED:
        op.create_index(name, table, cols, unique=False)
