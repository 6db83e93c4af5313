"""Emitting committed domain events to Prefect, so deployments and the UI can react."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from coffeechat.models.store.events import DomainEvent

log = logging.getLogger(__name__)


def emit_domain_events(events: Iterable[DomainEvent]) -> int:
    """Emit each event as ``coffeechat.<noun>.<verb>``; the event log already holds them."""
    from prefect.events import emit_event

    count = 0
    for event in events:
        resource_id = (
            f"coffeechat.interview.{event.interview_id}"
            if event.interview_id is not None
            else f"coffeechat.contact.{event.contact_id}"
        )
        try:
            emit_event(
                event=event.prefect_name,
                resource={"prefect.resource.id": resource_id},
                payload={"type": event.type, **event.payload()},
                occurred=event.occurred_at,
            )
            count += 1
        except Exception as err:  # the database is the record; a missed emit is only a delay
            log.warning("could not emit %s: %s", event.prefect_name, type(err).__name__)
    return count
