"""The database tables (SQLAlchemy 2 typed declarative models).

Idempotency lives here: every natural key the flows rely on is a unique constraint, so a
second run of the same work fails to insert instead of doing something twice.
Secrets never live in any of these tables.
"""

from __future__ import annotations

from datetime import date as calendar_date
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from coffeechat.models.interviews.lifecycle import State
from coffeechat.models.store.types import UtcDateTime

# Stable constraint names make migrations reviewable and identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with our naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Account(Base):
    """The job seeker whose mailbox and calendar coffeechat watches."""

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    other_addresses: Mapped[list[str]] = mapped_column(default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    signature: Mapped[str] = mapped_column(Text, default="")
    elevator_pitch: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    # The one length coffeechat asks for (outreach) and assumes when no calendar says otherwise.
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    pinned_questions: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # Set when the mail server refused our login: every later attempt would be one more failed
    # login (providers lock accounts over that), so sending waits until the user resumes it.
    sending_paused: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime]
    # When follow-ups were first planned (after the first complete mail read): the first-run
    # horizon counts back from here, so history from before coffeechat is never acted on.
    connected_at: Mapped[datetime | None]


class Contact(Base):
    """A person the user wants to learn from."""

    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    linkedin_url: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(50), default="manual")
    introduced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL")
    )
    timezone: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    goal: Mapped[str] = mapped_column(Text, default="", server_default="")
    pinned_questions: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # When whoever introduced this contact was told (in an update) that the user met them:
    # the introducer hears it once, whenever the meeting became known.
    introduction_reported_at: Mapped[datetime | None]
    # The id of the outbox row whose email tells it. News counts as told only while that row
    # went out or still will (promises.py ``untold``): dropped, failed or cancelled, it is news
    # again. No foreign key (contact -> outbox would close a cycle); a row gone counts as told.
    introduction_reported_in: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactEmail.id"
    )


class ContactEmail(Base):
    """One address of a contact; lower-cased, unique per account, flagged when it bounces."""

    __tablename__ = "contact_email"
    __table_args__ = (UniqueConstraint("account_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(320))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    # ok | bounced | complained: anything but ok means never send to it again.
    status: Mapped[str] = mapped_column(String(20), default="ok")
    status_changed_at: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship(back_populates="emails")


class Interview(Base):
    """One conversation sought with one contact, and where it stands."""

    __tablename__ = "interview"
    __table_args__ = (UniqueConstraint("account_id", "outreach_message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default=State.PLANNED.value, index=True)
    outreach_message_id: Mapped[str | None] = mapped_column(String(998))
    thread_subject: Mapped[str] = mapped_column(String(998), default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    # An out-of-office pauses the cadence until this moment.
    paused_until: Mapped[datetime | None]
    closed_reason: Mapped[str] = mapped_column(String(200), default="")
    state_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]


class Message(Base):
    """An email seen or sent that concerns a contact."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("account_id", "message_id"),
        Index("ix_message_location", "account_id", "folder", "uidvalidity", "uid"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(default=list)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    folder: Mapped[str | None] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    date: Mapped[datetime | None]
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_addrs: Mapped[list[str]] = mapped_column(default=list)
    cc_addrs: Mapped[list[str]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(998), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str | None] = mapped_column(String(20))  # reply | correspondence | ...
    return_date: Mapped[calendar_date | None] = mapped_column(Date)
    size: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(default=list)  # e.g. oversized, needs_review
    recorded_at: Mapped[datetime]


class Meeting(Base):
    """One occurrence of a calendar event that concerns a contact, keyed by UID + RECURRENCE-ID."""

    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("account_id", "uid", "recurrence_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(200))
    uid: Mapped[str] = mapped_column(String(500))
    # "" for a one-off event: NULLs never collide in a unique constraint.
    recurrence_id: Mapped[str] = mapped_column(String(40), default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    dtstamp: Mapped[datetime | None]
    last_modified: Mapped[datetime | None]
    start_utc: Mapped[datetime]
    end_utc: Mapped[datetime]
    timezone: Mapped[str | None] = mapped_column(String(64))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # The date of an all-day meeting (None when timed): start_utc is only its midnight in the
    # zone it was read in, the evening before for anyone west of that zone.
    start_date: Mapped[calendar_date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    video_link: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="CONFIRMED")
    match: Mapped[str] = mapped_column(String(20), default="address")  # address | name
    # Who may change it by email (RFC 5546): its ORGANIZER, and who emailed us the invitation.
    organizer: Mapped[str] = mapped_column(String(320), default="", server_default="")
    invited_by: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # Bumped on every change that matters to the prep sheet (time, place, status).
    version: Mapped[int] = mapped_column(Integer, default=1)
    ended_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class PrepSheet(Base):
    """A prep sheet made for one version of a meeting."""

    __tablename__ = "prep_sheet"
    __table_args__ = (UniqueConstraint("meeting_id", "meeting_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    meeting_version: Mapped[int] = mapped_column(Integer)
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL")
    )
    is_update: Mapped[bool] = mapped_column(Boolean, default=False)
    path: Mapped[str] = mapped_column(String(1000), default="")
    # The questions this sheet suggested, so a later sheet for the contact does not repeat them.
    questions: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class Outbox(Base):
    """One intended email. Claimed, sent, then marked, each step in its own commit."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "interview_id", "occurrence"),
        UniqueConstraint("message_id"),
        Index("ix_outbox_due", "status", "not_before"),
        # NULLs never collide in the key above: mail about no interview (the user's digest)
        # has its own key, so one digest per account per day is still enforced by the database.
        Index(
            "uq_outbox_account_mail",
            "account_id",
            "kind",
            "occurrence",
            unique=True,
            sqlite_where=text("interview_id IS NULL"),
            postgresql_where=text("interview_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    # None only for mail to the user about the whole account (the digest).
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # outreach | nudge | prep_sheet | thank_you | update | digest
    occurrence: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(998))
    # pending | sending | sent | failed | needs_review | cancelled | draft
    status: Mapped[str] = mapped_column(String(20), default="pending")
    mode: Mapped[str] = mapped_column(String(10), default="auto")  # auto | review
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(default=list)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class SyncCursor(Base):
    """Where a sync of one mailbox folder or calendar source got to, and how it last went."""

    __tablename__ = "sync_cursor"
    __table_args__ = (UniqueConstraint("account_id", "source_kind", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(20))  # imap | calendar
    source: Mapped[str] = mapped_column(String(500))  # folder name or calendar source name
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    highest_modseq: Mapped[int | None] = mapped_column(BigInteger)
    # A calendar source's own change markers (ETag, sync token, digest...), opaque to us.
    source_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    uidvalidity_changes: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    seen_count: Mapped[int] = mapped_column(BigInteger, default=0)


class SkippedItem(Base):
    """Something a sync could not use (a broken message, a bad calendar series) and why."""

    __tablename__ = "skipped_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(500))
    item: Mapped[str] = mapped_column(String(998), default="")
    reason: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]


class Referral(Base):
    """Someone a contact suggested talking to; never contacted without the user's approval."""

    __tablename__ = "referral"
    __table_args__ = (
        # One referral per address and introducer; NULLs never collide in this key, so the
        # one below keeps people named without an address apart by name (as written, any
        # case), and re-reading the same answer finds the referral it already made.
        UniqueConstraint("account_id", "from_contact_id", "address"),
        Index(
            "uq_referral_name_only",
            "account_id",
            "from_contact_id",
            func.lower(text("name")),
            unique=True,
            sqlite_where=text("address IS NULL"),
            postgresql_where=text("address IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    from_contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    to_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    # None for someone suggested by name only (NULLs never collide in the unique key).
    address: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    company: Mapped[str] = mapped_column(String(200), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    origin: Mapped[str] = mapped_column(
        String(20), default="reply", server_default="reply"
    )  # reply | debrief | manual
    status: Mapped[str] = mapped_column(
        String(20), default="proposed"
    )  # proposed|approved|dismissed (shown as proposed, accepted, declined)
    source_message_id: Mapped[str | None] = mapped_column(String(998))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class Note(Base):
    """The user's note on a contact; ``for_update`` marks news to report back to them."""

    __tablename__ = "note"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    for_update: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[datetime | None]
    reported_in: Mapped[int | None] = mapped_column(Integer)  # see Contact.introduction_reported_in
    created_at: Mapped[datetime]


class Milestone(Base):
    """News in the user's search (a new job) that goes to everyone who helped."""

    __tablename__ = "milestone"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class EventLog(Base):
    """Every domain event, written in the same transaction as the change it records."""

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_interview", "interview_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Debrief(Base):
    """What the user said about one meeting (by email or the terminal); the newest answer wins."""

    __tablename__ = "debrief"
    __table_args__ = (UniqueConstraint("account_id", "meeting_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    # The answer's Message-ID, or "cli:<time>" for one typed at the terminal.
    source_message_id: Mapped[str] = mapped_column(String(998))
    written_at: Mapped[datetime]  # the answer's Date: the newest one is kept, in any read order
    received_at: Mapped[datetime]
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Promise(Base):
    """Something the user told a contact they would do (from a debrief)."""

    __tablename__ = "promise"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    debrief_id: Mapped[int] = mapped_column(
        ForeignKey("debrief.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[calendar_date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    done_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]  # when the user said it was kept (`coffeechat done`)
    reported_at: Mapped[datetime | None]  # when an update told the contact: told once
    reported_in: Mapped[int | None] = mapped_column(Integer)  # see Contact.introduction_reported_in


class Advice(Base):
    """A piece of advice a contact gave (from a debrief), and whether the user acted on it.

    Kept apart from ``promise``: a promise is a reminder with a due date that status, digest and
    prep sheets show; advice is no task, only news once acted on. Same life: open, done (with
    the user's note), reported (told to the contact in an update, once).
    """

    __tablename__ = "advice"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    debrief_id: Mapped[int] = mapped_column(
        ForeignKey("debrief.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    done_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
    reported_in: Mapped[int | None] = mapped_column(Integer)  # see Contact.introduction_reported_in
