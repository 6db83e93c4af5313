"""The referral key on each backend: one per address, one per name when there is no address."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coffeechat.models.contacts.importing import ContactRow
from coffeechat.models.contacts.records import upsert_contact
from coffeechat.models.store.db import alembic_config, upgrade
from coffeechat.models.store.tables import Referral
from coffeechat.models.store.uow import UnitOfWork
from tests.db.conftest import NOW


def _introducer(factory: sessionmaker[Session], account_id: int) -> int:
    with UnitOfWork(factory, account_id=account_id) as uow:
        row = ContactRow(line=0, name="Ada Lovelace", emails=("ada@example.com",))
        ada, _ = upsert_contact(uow, row, source="manual", now=NOW)
        uow.commit()
        return ada.id


def _ref(account_id: int, ada: int, name: str, address: str | None, **kw: object) -> Referral:
    return Referral(account_id=account_id, from_contact_id=ada, name=name, address=address,
                    status=kw.get("status", "proposed"), created_at=NOW,
                    to_contact_id=kw.get("to"))  # fmt: skip


def test_several_name_only_referrals_but_one_per_name(
    factory: sessionmaker[Session], account_id: int
) -> None:
    ada = _introducer(factory, account_id)
    with factory() as s:
        s.add_all([_ref(account_id, ada, "Mary Somerville", None),
                   _ref(account_id, ada, "Grace Hopper", None),
                   _ref(account_id, ada, "Mary Somerville", "mary@example.org")])  # fmt: skip
        s.commit()
    with factory() as s:
        s.add(_ref(account_id, ada, "MARY SOMERVILLE", None))
        with pytest.raises(IntegrityError):
            s.commit()


def test_the_upgrade_settles_older_duplicates_keeping_what_the_user_decided(
    engine: Engine, factory: sessionmaker[Session], account_id: int
) -> None:
    ada = _introducer(factory, account_id)
    command.downgrade(alembic_config(engine), "0009")
    with factory() as s:
        s.add_all([
            _ref(account_id, ada, "Mary Somerville", None),
            _ref(account_id, ada, "mary somerville", None),  # the same suggestion again
            _ref(account_id, ada, "Mary Somerville", None, status="dismissed"),
            _ref(account_id, ada, "Grace Hopper", ""),  # an empty address is none
            _ref(account_id, ada, "Grace Hopper", None),
        ])  # fmt: skip
        s.commit()
    upgrade(engine)
    with factory() as s:
        rows = s.execute(select(Referral.id, Referral.name, Referral.address, Referral.status)
                         .order_by(Referral.id)).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        (1, "Mary Somerville", None, "proposed"),
        (3, "Mary Somerville (#3)", None, "dismissed"),
        (4, "Grace Hopper", None, "proposed"),
    ]
