"""party: the party's registered GS1 Company Prefix

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:10:00

- ``party.gs1_company_prefix``: the GS1 Company Prefix (6-12 digits) the party's GS1 member
  organisation allocated to it. Where it is set, the EPC URNs built for the party's products
  (labels, simulators, the demo) split their keys at its length instead of the prefix table's
  (:func:`traceability.identifiers.gs1.prefix_length_for`; docs/validation.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("gs1_company_prefix", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.drop_column("gs1_company_prefix")
