"""promises kept and reported; advice from debriefs, and whether the user acted on it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coffeechat.models.store.types import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_at", UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reported_at", UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "advice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("done_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", UtcDateTime(timezone=True), nullable=True),
        _fk("advice", "account_id", "account", "CASCADE"),
        _fk("advice", "debrief_id", "debrief", "CASCADE"),
        _fk("advice", "contact_id", "contact", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advice")),
    )
    op.create_index(op.f("ix_advice_debrief_id"), "advice", ["debrief_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_advice_debrief_id"), table_name="advice")
    op.drop_table("advice")
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.drop_column("reported_at")
        batch_op.drop_column("done_at")
