"""A Prefect global concurrency slot per SMTP host, held around each email's submission.

Why a global limit and not a tag: Prefect 3.9 tag limits bind task runs only, and a flow's
tasks do not inherit its deployment's tags, so a limit on the tag ``smtp:<host>`` never applies
to our sending. A global concurrency limit is taken by name from wherever the code runs, so
``prefect gcl create smtp:<host> --limit N`` caps the SMTP sessions every worker (and every
``coffeechat run`` sharing that server) opens to one host at once.

Only a flow or task run talking to a real Prefect server reaches for a slot: plain calls (the
CLI, tests, ``coffeechat run`` while Prefect is down) and an ephemeral in-process Prefect have
nobody to share a limit with. A missing or inactive limit costs one lookup per send run.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

log = logging.getLogger(__name__)

# How long one email waits for its host's slot before the run stops sending (rows stay
# pending for the next run). Slots are held per email, so the wait is a queue of single sends.
SLOT_WAIT_SECONDS = 300.0
# A held slot's lease is renewed in the background; one email is far shorter than this.
SLOT_LEASE_SECONDS = 300.0


class SlotUnavailable(RuntimeError):
    """No slot could be taken (timed out, or the Prefect API failed): nothing was sent."""


def slot_name(host: str) -> str:
    """The global concurrency limit's name for an SMTP host: ``smtp:<host>``, lower case."""
    return f"smtp:{host.strip().rstrip('.').lower()}"


def _prefect_server_run() -> bool:
    """True inside a flow or task run whose Prefect API is a server (not ephemeral)."""
    if "prefect" not in sys.modules:  # never import Prefect (seconds) just to find out
        return False
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.settings import get_current_settings

    in_run = FlowRunContext.get() is not None or TaskRunContext.get() is not None
    return in_run and bool(get_current_settings().api.url)


class HostSlot:
    """The slot of one SMTP host; ``held()`` is a no-op where no limit applies."""

    def __init__(self, host: str, *, wait: float = SLOT_WAIT_SECONDS) -> None:
        """Prepare (look nothing up yet): the lookup happens at the first ``held()``."""
        self.name = slot_name(host)
        self.wait = wait
        self._limited: bool | None = None

    def limited(self) -> bool:
        """Whether an active limit of this name exists on the Prefect server (looked up once)."""
        if self._limited is None:
            self._limited = _prefect_server_run() and self._lookup()
        return self._limited

    def _lookup(self) -> bool:
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectNotFound

        try:
            with get_client(sync_client=True) as client:
                found = client.read_global_concurrency_limit_by_name(self.name)
        except ObjectNotFound:
            return False
        except Exception as err:  # httpx and Prefect errors alike: we cannot know the limit
            raise SlotUnavailable(f"cannot look up concurrency limit {self.name}: {err}") from err
        return bool(found.active)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold one slot of the host's limit for the body; SlotUnavailable if none came."""
        if not self.limited():
            yield
            return
        from prefect.concurrency.sync import concurrency

        with ExitStack() as stack:
            try:
                stack.enter_context(
                    concurrency(
                        self.name,
                        occupy=1,
                        timeout_seconds=self.wait,
                        lease_duration=SLOT_LEASE_SECONDS,
                        strict=True,
                        # Never cancel a submission half-way over a lease hiccup: that would
                        # turn a clean send into one whose outcome nobody knows.
                        raise_on_lease_renewal_failure=False,
                    )
                )
            except Exception as err:  # only acquisition is translated; the body's errors pass
                raise SlotUnavailable(f"no slot of {self.name}: {err}") from err
            yield
