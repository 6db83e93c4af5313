"""Review-mode emails reach Drafts when they are made, not at the next cycle; approve takes either.

``outreach`` promises the user a draft to look at: the APPEND happens right away (the same
``place_draft`` the send step uses), and when the mailbox cannot be reached the row stays pending
for the next cycle, which the message says. ``approve`` accepts a review-mode row still pending
(no IMAP configured, or the APPEND failed) by making it a draft first, so approving never depends
on whether a cycle ran in between.
"""

from __future__ import annotations

import shlex

from coffeechat.deployments.cli.runtime import Runtime, utcnow
from coffeechat.models.followups.mail import recipient
from coffeechat.models.outbox.mailbuild import MailBuildError
from coffeechat.models.outbox.states import Mode, Status
from coffeechat.models.outbox.steps import OutboxStateError, claim_for_draft
from coffeechat.models.store.tables import Contact, Outbox

# Characters a shell treats specially inside double quotes.
_SHELL_SPECIAL = set('"$`\\!')


def quoted(text: str) -> str:
    """``text`` as one shell word, double-quoted as people write it when that is safe."""
    return shlex.quote(text) if _SHELL_SPECIAL & set(text) else f'"{text}"'


def to_drafts(rt: Runtime, row_id: int) -> str:
    """Put a pending review-mode row in Drafts now; say where it waits and what comes next."""
    # Imported here: the sender pulls in SMTP and IMAP, which most commands never need.
    from coffeechat.flows.steps.send import place_draft
    from coffeechat.integrations.imap import MailboxError

    approve = f"`coffeechat approve {row_id}`"
    if rt.settings.imap is None:
        return f"waits for your approval (no [imap] section, so no Drafts copy): {approve} sends it"
    try:
        place_draft(rt.app, row_id, utcnow())
    except MailBuildError as err:
        raise OutboxStateError(f"outbox row {row_id} cannot be built: {err}") from None
    except MailboxError as err:
        return (
            f"waits for your approval, but could not be put in Drafts now ({err}): the next "
            f"`coffeechat run` puts it there, or {approve} sends it as it is"
        )
    status = _status(rt, row_id)
    if status != Status.DRAFT:
        return f"is {status}: `coffeechat queue --all` shows it"
    return f"waits in Drafts for your approval: send it from your mail client or with {approve}"


def ready_for_approval(rt: Runtime, row_id: int) -> None:
    """Make a pending review-mode row a draft (in Drafts when IMAP is set up) before approval."""
    from coffeechat.flows.steps.send import place_draft

    if rt.settings.smtp is None:
        return  # nothing could send it: approve says so, and the row stays as it was
    with rt.factory() as session:
        row = session.get(Outbox, row_id)
        if row is None or row.account_id != rt.account_id:
            raise OutboxStateError(f"no outbox row {row_id} for this account")
        if row.status != Status.PENDING or row.mode != Mode.REVIEW:
            return  # approve itself says what is wrong with anything else
    if rt.settings.imap is None:
        claim_for_draft(rt.factory, row_id, utcnow())
        return
    try:
        place_draft(rt.app, row_id, utcnow())  # approve then removes the Drafts copy it sends
    except MailBuildError as err:
        raise OutboxStateError(f"outbox row {row_id} cannot be built: {err}") from None


def _status(rt: Runtime, row_id: int) -> str:
    with rt.factory() as session:
        row = session.get(Outbox, row_id)
        return "gone" if row is None else row.status


def refusal_hint(contact: Contact) -> str:
    """The command that lifts an outreach refusal for ``contact``."""
    name = quoted(contact.name)
    if contact.do_not_contact:
        return f"to write to them again: `coffeechat contacts edit {name} --may-contact`"
    if recipient(contact) is None:
        return f"add an address: `coffeechat contacts edit {name} --add-email ADDRESS`"
    return f"`coffeechat contacts show {name}` shows where it stands"


def outbox_hint(message: str) -> str:
    """The command to run after an outbox step refused (``approve``, ``review``)."""
    if "[smtp]" in message:
        return "set up sending with `coffeechat connect`"
    return "`coffeechat queue --all` lists every row and its status"
