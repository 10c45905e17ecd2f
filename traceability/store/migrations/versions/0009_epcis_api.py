"""EPCIS REST interface: party API keys, capture jobs, two expression indexes on event

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:20:00

- ``party_api_key``: a party's API keys, SHA-256 digests only (docs/epcis.md).
- ``capture_job``: the capture job resource of ``POST /capture``.
- ``ix_event_event_id``: ``GET /events/{eventID}`` finds an event by the ``eventID`` in its
  body; ``ix_event_asserted_by``: a party's captured events (``suyuan:assertedBy``). Partial
  expression indexes, spelled as :mod:`traceability.epcis.query` queries them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import traceability.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_EXPR = "(body->>'eventID')"
_SQLITE_EXPR = "json_extract(body, '$.eventID')"
_PG_ASSERTED = "(body->>'suyuan:assertedBy')"
_SQLITE_ASSERTED = "json_extract(body, '$.\"suyuan:assertedBy\"')"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    ts = traceability.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "party_api_key",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("revoked_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_party_api_key_party_id", "party_api_key", ["party_id"], unique=False)
    op.create_table(
        "capture_job",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=24), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("finished_at", ts, nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("errors", _json(), nullable=False),
        sa.Column("ledger_indexes", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_capture_job_party_id", "capture_job", ["party_id"], unique=False)
    pg = op.get_bind().dialect.name == "postgresql"
    for name, expr in (
        ("ix_event_event_id", _PG_EXPR if pg else _SQLITE_EXPR),
        ("ix_event_asserted_by", _PG_ASSERTED if pg else _SQLITE_ASSERTED),
    ):
        op.execute(f"create index {name} on event ({expr}) where {expr} is not null")


def downgrade() -> None:
    op.drop_index("ix_event_asserted_by", table_name="event")
    op.drop_index("ix_event_event_id", table_name="event")
    op.drop_index("ix_capture_job_party_id", table_name="capture_job")
    op.drop_table("capture_job")
    op.drop_index("ix_party_api_key_party_id", table_name="party_api_key")
    op.drop_table("party_api_key")
