"""who may change a meeting by email: its organizer and who emailed the invitation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organizer", sa.String(length=320), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("invited_by", sa.String(length=320), server_default="", nullable=False)
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("invited_by")
        batch_op.drop_column("organizer")
