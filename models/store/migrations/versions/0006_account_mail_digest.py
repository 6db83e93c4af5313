"""outbox rows about no interview (the digest), one per account, kind and occurrence

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_INTERVIEW = "interview_id IS NULL"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("interview_id", existing_type=sa.Integer(), nullable=True)
    op.create_index(
        "uq_outbox_account_mail",
        "outbox",
        ["account_id", "kind", "occurrence"],
        unique=True,
        sqlite_where=sa.text(_NO_INTERVIEW),
        postgresql_where=sa.text(_NO_INTERVIEW),
    )


def downgrade() -> None:
    """Revert this revision (digest rows are dropped: the old schema cannot hold them)."""
    op.drop_index("uq_outbox_account_mail", table_name="outbox")
    op.execute(sa.text("DELETE FROM outbox WHERE interview_id IS NULL"))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("interview_id", existing_type=sa.Integer(), nullable=False)
