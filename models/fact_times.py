"""When a message happened, for every effect that compares the times of two facts.

A Date header is written by the sender's client: it can be missing, or lie (a wrong clock, a
message dated in the future). The time of a message is its Date, but never later than the
moment we recorded it (we cannot have seen mail that was not written yet); without a Date it
is when we recorded it. Effects compare these times, never the order in which mail was read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case

from models.tables import Message


def message_time(date: datetime | None, recorded_at: datetime) -> datetime:
    """The time a message counts as written: its Date, capped by when it was recorded."""
    return recorded_at if date is None else min(date, recorded_at)


def time_of(message: Message) -> datetime:
    """message_time of a stored message."""
    return message_time(message.date, message.recorded_at)


# The same rule in SQL, for queries that compare a message's time with another fact's.
written_at: Any = case(
    (Message.date.is_(None), Message.recorded_at),
    (Message.date < Message.recorded_at, Message.date),
    else_=Message.recorded_at,
)
