"""ledger tables; append-only protection on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00

On PostgreSQL: a NOLOGIN role ``suyuan_app`` (created when missing, if we may) gets SELECT and
INSERT only on the ledger tables and on ``event`` / ``trace_edge``; BEFORE UPDATE/DELETE row
triggers (and BEFORE TRUNCATE on plain tables) raise, so even the owner must deliberately
disable them (``session_replication_role = replica`` or ``ALTER TABLE ... DISABLE TRIGGER``).
On SQLite the same BEFORE UPDATE/DELETE triggers ``RAISE(ABORT)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import traceability.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "suyuan_app"
LEDGER = (
    "ledger_entry",
    "ledger_envelope",
    "ledger_item",
    "ledger_checkpoint",
    "ledger_cosignature",
)
PROTECTED = (*LEDGER, "event", "trace_edge")
_TIME = traceability.store.types.UTCDateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entry",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("nodes", sa.LargeBinary(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("event_hash", sa.String(length=120), nullable=True),
        sa.Column("envelope", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("idx"),
        sa.UniqueConstraint("event_hash"),
    )
    op.create_table(
        "ledger_envelope",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("sig", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "ledger_item",
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("item", "idx"),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("size"),
    )
    op.create_table(
        "ledger_cosignature",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ledger_cosignature_size", "ledger_cosignature", ["size"])
    op.create_table(
        "ledger_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("insert into ledger_lock (id, n) values (1, 0)")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _postgres_protection()
    else:
        for table in PROTECTED:
            for verb in ("update", "delete"):
                op.execute(
                    f"create trigger {table}_no_{verb} before {verb} on {table} "
                    f"begin select raise(abort, '{table} is append-only'); end"
                )


def _postgres_protection() -> None:
    op.execute(
        """
        create or replace function suyuan_append_only() returns trigger
        language plpgsql as $$
        begin
          raise exception '% is append-only (% refused)', tg_table_name, tg_op
            using errcode = 'insufficient_privilege';
        end $$;
        """
    )
    for table in PROTECTED:
        op.execute(
            f"create trigger {table}_append_only before update or delete on {table} "
            f"for each row execute function suyuan_append_only()"
        )
        if table != "event":  # hypertables do not take TRUNCATE triggers; the grants cover it
            op.execute(
                f"create trigger {table}_no_truncate before truncate on {table} "
                f"for each statement execute function suyuan_append_only()"
            )
    op.execute(
        f"""
        do $$
        begin
          if not exists (select 1 from pg_roles where rolname = '{APP_ROLE}') then
            begin
              create role {APP_ROLE} nologin;
            exception when insufficient_privilege then
              raise notice 'cannot create role {APP_ROLE}: grant it yourself';
            end;
          end if;
        end $$;
        """
    )
    tables = ", ".join(PROTECTED)
    op.execute(
        f"""
        do $$
        begin
          if exists (select 1 from pg_roles where rolname = '{APP_ROLE}') then
            execute 'revoke update, delete, truncate on {tables} from {APP_ROLE}';
            execute 'grant select, insert on {tables} to {APP_ROLE}';
            execute 'grant select, update on ledger_lock to {APP_ROLE}';
            execute 'grant usage on sequence ledger_cosignature_id_seq to {APP_ROLE}';
          end if;
        end $$;
        """
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ("event", "trace_edge"):
            op.execute(f"drop trigger if exists {table}_append_only on {table}")
            op.execute(f"drop trigger if exists {table}_no_truncate on {table}")
    else:
        for table in ("event", "trace_edge"):
            for verb in ("update", "delete"):
                op.execute(f"drop trigger if exists {table}_no_{verb}")
    for table in ("ledger_lock", *reversed(LEDGER)):
        op.drop_table(table)
    if bind.dialect.name == "postgresql":
        op.execute("drop function if exists suyuan_append_only()")
