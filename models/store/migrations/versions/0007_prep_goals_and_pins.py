"""prep sheets for this person: goals and pinned questions, meeting length, questions asked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (additive: every new column has a server default)."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("meeting_minutes", sa.Integer(), nullable=False, server_default="20")
        )
        batch_op.add_column(
            sa.Column("pinned_questions", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("pinned_questions", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("prep_sheet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("questions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("prep_sheet", schema=None) as batch_op:
        batch_op.drop_column("questions")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("pinned_questions")
        batch_op.drop_column("goal")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("pinned_questions")
        batch_op.drop_column("meeting_minutes")
