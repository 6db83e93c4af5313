"""debriefs (what the user said about a meeting) and the promises in them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coffeechat.models.store.types import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "debrief",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("source_message_id", sa.String(length=998), nullable=False),
        sa.Column("written_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        _fk("debrief", "account_id", "account", "CASCADE"),
        _fk("debrief", "meeting_id", "meeting", "CASCADE"),
        _fk("debrief", "interview_id", "interview", "SET NULL"),
        _fk("debrief", "contact_id", "contact", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrief")),
        sa.UniqueConstraint(
            "account_id", "meeting_id", name=op.f("uq_debrief_account_id_meeting_id")
        ),
    )
    op.create_table(
        "promise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        _fk("promise", "account_id", "account", "CASCADE"),
        _fk("promise", "debrief_id", "debrief", "CASCADE"),
        _fk("promise", "contact_id", "contact", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise")),
    )
    op.create_index(op.f("ix_promise_debrief_id"), "promise", ["debrief_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_promise_debrief_id"), table_name="promise")
    op.drop_table("promise")
    op.drop_table("debrief")
