"""look event hashes up in a hash index instead of a unique b-tree (PostgreSQL)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

``ledger_entry.event_hash`` (a ~70-character random key) is looked up by equality only: the
append's duplicate check and receipts by event id. Its unique b-tree cost 8.1 µs of the 27 µs
PostgreSQL spends per appended event (``bench.ledger``'s all-rows baseline at 100k leaves; a hash
index: 5.2 µs, and the whole baseline went from ~36.8k to ~43.8k events/s). A hash index cannot
be unique, so uniqueness now rests on the append (it checks under the single-writer lock) and on
the audit, which fails an event hash recorded twice (step 4). SQLite keeps its unique index.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_ledger_entry_event_hash"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("ledger_entry_event_hash_key", "ledger_entry", type_="unique")
    op.create_index(INDEX, "ledger_entry", ["event_hash"], postgresql_using="hash")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="ledger_entry")
    op.create_unique_constraint("ledger_entry_event_hash_key", "ledger_entry", ["event_hash"])
