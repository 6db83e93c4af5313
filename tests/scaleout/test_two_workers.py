"""Scale-out: two Prefect workers, one PostgreSQL database, twenty accounts, mail handled once.

The set-up docs/scale-out.md describes, on loopback: a real ``prefect server start``, a process
work pool with one work queue per account (concurrency limit 1: an account's runs never
overlap, whichever worker takes them), per-account deployments of ``sync_inbox`` and
``dispatch`` tagged ``account:<slug>`` and ``smtp:<host>``, and two ``prefect worker start``
processes that only know the API URL and the secrets' environment variables. Each account's
runs are created twice over (sync, dispatch, sync, dispatch) and the workers share them out.

What must hold: every run Completed; both workers did work; each account's reply is recorded
once, in its own account; each account's thank-you reaches aiosmtpd exactly once, from that
account, to its contact, in that account's thread, and its copy is in that account's Sent
folder only; nothing of one account shows up in another.
"""

from __future__ import annotations

import email
import itertools
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest
from prefect import Flow, deploy, flow
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments.runner import RunnerDeployment
from sqlalchemy import create_engine, func, select

from coffeechat.models.store.tables import Account, Interview, Message, Outbox
from tests.scaleout.cluster import Worker, running_workers, worker_env
from tests.scaleout.world import Seeker, build_world
from tests.testbed import DovecotServer, SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
ACCOUNTS = int(os.environ.get("SCALEOUT_ACCOUNTS", "20"))
ROUNDS = 2  # sync_inbox then dispatch, twice per account: the second round must do nothing
POOL = "coffeechat"
WORKER_LIMIT = 2  # flow runs per worker at once: each is a ~90 MB Python process
# Start the engine directly: the default workspace supervisor starts Python and imports Prefect
# once more per run before exec'ing the engine, which doubles a run's cost on a small machine.
JOB_VARIABLES = {
    "command": "python -m prefect.engine",
    "env": {"PREFECT_LOGGING_LEVEL": "WARNING"},
}
RUN_TIMEOUT = 900  # seconds for all 80 runs: ~480 s on a busy 2-core machine
ENTRYPOINTS = ("flows/sync_inbox.py:sync_inbox", "flows/dispatcher.py:dispatch")


@pytest.fixture
def seekers(
    tmp_path: Path, database: str, dovecot: DovecotServer, smtp: SmtpServer
) -> Iterator[tuple[list[Seeker], dict[str, str]]]:
    """Twenty accounts: configs, database rows, replies in Dovecot, calendar feeds."""
    if not dovecot.process.running:
        dovecot.start()
    boxes = [dovecot.take_user() for _ in range(ACCOUNTS)]
    world, secrets = build_world(tmp_path, ACCOUNTS, database, boxes, smtp, datetime.now(UTC))
    try:
        yield world, secrets
    finally:
        for seeker in world:
            seeker.feed.stop()


def declare(client: SyncPrefectClient, world: list[Seeker], smtp_host: str) -> list[UUID]:
    """The pool, a queue per account (one run at a time) and two deployments per account."""
    client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
    # Called outside an event loop, Prefect's sync/async dispatchers return plain values.
    flows = [cast(Flow[..., Any], flow.from_source(str(REPO), e)) for e in ENTRYPOINTS]
    deployments: list[RunnerDeployment] = []
    for seeker in world:
        queue = f"account-{seeker.slug}"
        client.create_work_queue(name=queue, work_pool_name=POOL, concurrency_limit=1)
        for fl in flows:
            deployments.append(
                cast(RunnerDeployment, fl.to_deployment(
                    name=seeker.slug,
                    # Only the slug and the config path: never a secret as a parameter.
                    parameters={"account": seeker.slug, "config": str(seeker.config)},
                    tags=[f"account:{seeker.slug}", f"smtp:{smtp_host}"],
                    work_pool_name=POOL,
                    work_queue_name=queue,
                    job_variables=JOB_VARIABLES,
                ))
            )  # fmt: skip
    ids = deploy(
        *deployments, work_pool_name=POOL, build=False, push=False, print_next_steps_message=False
    )
    return cast(list[UUID], ids)


def create_runs(client: SyncPrefectClient, deployment_ids: list[UUID]) -> list[UUID]:
    """Each account's sync then dispatch, ROUNDS times over; a queue takes them in this order."""
    pairs = list(zip(deployment_ids[::2], deployment_ids[1::2], strict=True))
    return [
        client.create_flow_run_from_deployment(deployment).id
        for _ in range(ROUNDS)
        for pair in pairs
        for deployment in pair
    ]


def wait_final(
    client: SyncPrefectClient, ids: list[UUID], workers: list[Worker], timeout: float
) -> list[FlowRun]:
    """Every run, once all are in a final state (fails with the workers' logs on timeout)."""
    deadline = time.monotonic() + timeout
    filter_ = FlowRunFilter(id=FlowRunFilterId(any_=ids))
    while time.monotonic() < deadline:
        runs = client.read_flow_runs(flow_run_filter=filter_, limit=len(ids))
        if all(r.state is not None and r.state.is_final() for r in runs):
            return runs
        time.sleep(2)
    pytest.fail("flow runs unfinished\n" + "\n".join(w.tail() for w in workers))


def test_twenty_accounts_two_workers_exactly_once(
    tmp_path: Path,
    prefect_api: str,
    database: str,
    seekers: tuple[list[Seeker], dict[str, str]],
    smtp: SmtpServer,
) -> None:
    world, env = seekers
    started = time.monotonic()
    machines = tmp_path / "machines"
    workers = [
        Worker(name, POOL, WORKER_LIMIT, machines, worker_env(prefect_api, machines / name, env))
        for name in ("worker-a", "worker-b")
    ]
    with get_client(sync_client=True) as client:
        run_ids = create_runs(client, declare(client, world, smtp.host))
        with running_workers(workers):
            runs = wait_final(client, run_ids, workers, RUN_TIMEOUT)
            submitted = [w.submitted() for w in workers]
    elapsed = time.monotonic() - started

    failed = [f"{r.name}: {r.state}" for r in runs if r.state_type != StateType.COMPLETED]
    assert not failed, "\n".join(failed + [w.tail() for w in workers])
    assert all(submitted), f"a worker took no run: {[len(s) for s in submitted]}"
    assert {str(i) for i in run_ids} <= set.union(*submitted)
    assert_one_run_at_a_time_per_account(runs)
    assert_database(database, world)
    assert_mail(smtp, world)
    print(f"{len(runs)} flow runs for {ACCOUNTS} accounts in {elapsed:.0f} s")


def assert_one_run_at_a_time_per_account(runs: list[FlowRun]) -> None:
    """The per-account work queue limit held: an account's runs never overlapped."""
    by_account: dict[str, list[tuple[datetime, datetime]]] = {}
    for run in runs:
        assert run.start_time is not None and run.end_time is not None
        account = next(t for t in run.tags if t.startswith("account:"))
        by_account.setdefault(account, []).append((run.start_time, run.end_time))
    assert len(by_account) == ACCOUNTS
    for account, spans in by_account.items():
        assert len(spans) == 2 * ROUNDS
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"{account}: two runs overlapped"


def assert_database(url: str, world: list[Seeker]) -> None:
    """One reply and one sent thank-you per account, each in its own account."""
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            ids = {slug: id_ for slug, id_ in db.execute(select(Account.slug, Account.id))}
            assert set(ids) == {s.slug for s in world}
            for s in world:
                replies = db.execute(
                    select(Message.account_id, Message.direction)
                    .where(Message.message_id == s.reply_id)
                ).all()  # fmt: skip
                assert replies == [(ids[s.slug], "in")], f"{s.slug}: reply recorded {replies}"
                sent = db.execute(
                    select(Outbox.account_id, Outbox.status, Outbox.to_addr, Outbox.in_reply_to)
                    .where(Outbox.kind == "thank_you", Outbox.account_id == ids[s.slug])
                ).all()  # fmt: skip
                assert sent == [(ids[s.slug], "sent", s.contact, s.reply_id)], s.slug
                states = db.scalars(
                    select(Interview.state).where(Interview.account_id == ids[s.slug])
                ).all()
                assert states == ["thanked"], f"{s.slug}: {states}"
            # Nothing else was written to anyone: one thank-you each, no nudges or updates.
            assert db.scalar(select(func.count()).select_from(Outbox)) == len(world)
    finally:
        engine.dispose()


def assert_mail(smtp: SmtpServer, world: list[Seeker]) -> None:
    """aiosmtpd got exactly one thank-you per account, each copied to that account's Sent."""
    received = smtp.messages
    ids = [m.message_id for m in received]
    assert len(received) == len(world), f"{len(received)} emails for {len(world)} accounts"
    assert len(set(ids)) == len(ids), "a Message-ID was sent twice"
    for s in world:
        mine = [m for m in received if m.mail_from == s.email]
        assert len(mine) == 1, f"{s.slug}: {len(mine)} emails"
        msg = email.message_from_bytes(mine[0].raw)
        assert mine[0].rcpt_tos == (s.contact,)
        assert msg["From"].endswith(f"<{s.email}>") or msg["From"] == s.email
        assert msg["In-Reply-To"] == s.reply_id
        assert s.outreach_id in msg["References"]
        copies = [m for m in s.mailbox.messages("Sent")]
        sent_ids = [email.message_from_bytes(c.raw)["Message-ID"] for c in copies]
        assert sent_ids == [mine[0].message_id], f"{s.slug}: Sent holds {sent_ids}"
