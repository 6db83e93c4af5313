"""several people named without an address per introducer, one referral per name

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_ADDRESS = "address IS NULL"


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    # An empty address is no address: it joins the name-only referrals the new key covers.
    bind.execute(sa.text("UPDATE referral SET address = NULL WHERE address = ''"))
    _settle_same_names(bind)
    op.create_index(
        "uq_referral_name_only",
        "referral",
        ["account_id", "from_contact_id", sa.text("lower(name)")],
        unique=True,
        sqlite_where=sa.text(_NO_ADDRESS),
        postgresql_where=sa.text(_NO_ADDRESS),
    )


def _settle_same_names(bind: sa.Connection) -> None:
    """Make older name-only duplicates fit the key without losing anything the user decided.

    Of one introducer's name-only referrals with the same name, the oldest stays; a later one
    still proposed and linked to nobody is the same suggestion again and goes; one the user
    decided on keeps its row, its name marked with its number.
    """
    rows = bind.execute(
        sa.text(
            "SELECT id, account_id, from_contact_id, lower(name), status, to_contact_id "
            "FROM referral WHERE address IS NULL ORDER BY id"
        )
    ).all()
    seen: set[tuple[int, int, str]] = set()
    for ref_id, account_id, from_id, key, status, to_id in rows:
        if (account_id, from_id, key) not in seen:
            seen.add((account_id, from_id, key))
        elif status == "proposed" and to_id is None:
            bind.execute(sa.text("DELETE FROM referral WHERE id = :id"), {"id": ref_id})
        else:
            bind.execute(
                sa.text("UPDATE referral SET name = name || :mark WHERE id = :id"),
                {"mark": f" (#{ref_id})", "id": ref_id},
            )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("uq_referral_name_only", table_name="referral")
