"""referrals by name only (no address yet), with company, note, origin and decision time;
when an introducer was told that the person they introduced was met

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coffeechat.models.store.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("referral", schema=None) as batch_op:
        # NULL for someone suggested by name only: NULLs never collide in the unique key, so
        # one introducer may suggest several people whose addresses nobody knows yet.
        batch_op.alter_column("address", existing_type=sa.String(length=320), nullable=True)
        batch_op.add_column(
            sa.Column("company", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=20), nullable=False, server_default="reply")
        )
        batch_op.add_column(sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("introduction_reported_at", UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Revert this revision (referrals without an address are dropped: the old schema needs one)."""
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("introduction_reported_at")
    op.execute(sa.text("DELETE FROM referral WHERE address IS NULL"))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("decided_at")
        batch_op.drop_column("origin")
        batch_op.drop_column("note")
        batch_op.drop_column("company")
        batch_op.alter_column("address", existing_type=sa.String(length=320), nullable=False)
