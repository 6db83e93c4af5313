"""which outbox row told each piece of news: told only while that row went out or will

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# News already marked reported keeps no row (NULL): it stays told, never told twice.
_COLUMNS = (
    ("promise", "reported_in"),
    ("advice", "reported_in"),
    ("note", "reported_in"),
    ("contact", "introduction_reported_in"),
)


def upgrade() -> None:
    """Apply this revision."""
    for table, column in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    for table, column in reversed(_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
