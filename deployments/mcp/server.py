"""``coffeechat mcp``: the account opened to an AI assistant over stdio (Model Context Protocol).

The assistant reads what ``status``, ``contacts show`` and ``prep`` show, and drafts: every email
it writes is an outbox row in review mode, which the next cycle places in the user's Drafts and
only ``coffeechat approve ID`` sends. There is no tool that sends, approves, edits a contact or
reads the configuration; every call, unknown tools included, is recorded in the event log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import Field

from coffeechat.deployments.cli.followup_cmd import text_renderer
from coffeechat.deployments.cli.runtime import Runtime, runtime, utcnow
from coffeechat.deployments.mcp import drafts, reads
from coffeechat.flows.steps.prep_sheets import question_bank
from coffeechat.integrations.render import render
from coffeechat.models.contacts.records import AmbiguousContact, ContactNotFound, find_contact
from coffeechat.models.followups.mail import PlanContext
from coffeechat.models.followups.outreach import OutreachRefused
from coffeechat.models.prep import load_contact_prep_context, load_prep_context, next_meeting_id
from coffeechat.models.store.events import AssistantCalled
from coffeechat.models.store.tables import Account, Interview, Outbox
from coffeechat.models.store.uow import UnitOfWork
from coffeechat.models.text import clean_line

T = TypeVar("T")
# The calls recorded during the current request: one the SDK refuses before any tool runs
# (unknown tool, bad arguments) finds it empty and is recorded by the server instead.
_RECORDED: ContextVar[list[str]] = ContextVar("coffeechat_mcp_recorded")
# What the assistant gets told plainly; anything else is a failure it sees no details of.
_REFUSALS = (OutreachRefused, ContactNotFound, AmbiguousContact)
_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
_DRAFT = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
_NOTICE = (
    "It is a draft in review mode: the next cycle places it in the user's Drafts folder, and "
    "only the user sends it (`coffeechat approve {id}`). Nothing was sent."
)

ContactRef = Annotated[
    str, Field(description="#id, email address or part of the name", max_length=320)
]
Body = Annotated[str | None, Field(description="Plain-text body; omit to use the template")]


@dataclass(frozen=True)
class Done:
    """What a tool produced, and whom it concerned (for the event log)."""

    result: Any
    contact_id: int | None = None
    interview_id: int | None = None
    outcome: str = "ok"


class Assistant:
    """Runs each tool in one unit of work and records the call in the same transaction."""

    def __init__(self, rt: Runtime, clock: Callable[[], datetime] = utcnow) -> None:
        self.rt = rt
        self.clock = clock

    def call(self, tool: str, arguments: str, work: Callable[[UnitOfWork, datetime], Done]) -> Any:
        """Do ``work``; record the call with its outcome whether it succeeded or was refused."""
        now = self.clock()
        try:
            with self.rt.uow() as uow:
                done = work(uow, now)
                uow.record(
                    AssistantCalled(
                        occurred_at=now, contact_id=done.contact_id,
                        interview_id=done.interview_id, tool=tool, arguments=arguments,
                        outcome=done.outcome,
                    )
                )  # fmt: skip
                uow.commit()
            _mark(tool)
        except _REFUSALS as err:
            self.record(tool, arguments, f"refused: {err}")
            raise ToolError(str(err)) from None
        except Exception as err:
            self.record(tool, arguments, f"failed: {type(err).__name__}")
            raise
        return done.result

    def record(self, tool: str, arguments: str, outcome: str) -> None:
        """Record a call that changed nothing (refused, failed, or no such tool)."""
        with self.rt.uow() as uow:
            uow.record(
                AssistantCalled(
                    occurred_at=self.clock(), tool=clean_line(tool)[:100],
                    arguments=arguments, outcome=outcome[:500],
                )
            )  # fmt: skip
            uow.commit()
        _mark(tool)

    def plan_context(self, uow: UnitOfWork, now: datetime) -> PlanContext:
        """The planner's context, as ``plan_followups`` builds it, for the draft tools."""
        settings = self.rt.settings
        account = uow.session.get(Account, uow.account_id)
        assert account is not None
        return PlanContext(
            uow, now, settings.cadence, settings.modes, account.email,
            text_renderer(settings), account, ZoneInfo(account.timezone),
        )  # fmt: skip


def _mark(tool: str) -> None:
    recorded = _RECORDED.get(None)
    if recorded is not None:
        recorded.append(tool)


def summary(contact: str = "", body: str | None = None) -> str:
    """The arguments as the event log keeps them: the contact reference and a body's length."""
    parts = [f"contact={clean_line(contact)[:120]!r}"] if contact else []
    if body is not None:
        parts.append(f"body={len(body)} chars")
    return " ".join(parts)


def drafted(uow: UnitOfWork, row: Outbox) -> Done:
    """A draft tool's answer: the row, where it goes, and that nothing was sent."""
    interview = uow.session.get(Interview, row.interview_id)
    result = {
        "outbox_id": row.id,
        "kind": row.kind,
        "to": row.to_addr,
        "subject": row.subject,
        "mode": row.mode,
        "placed_in_drafts_from": row.not_before.isoformat(),
        "notice": _NOTICE.format(id=row.id),
    }
    outcome = f"drafted outbox #{row.id} ({row.kind}, {row.mode})"
    contact_id = interview.contact_id if interview is not None else None
    return Done(result, contact_id, row.interview_id, outcome)


class Server(MCPServer[Any]):
    """The SDK's server, recording calls to tools that do not exist (send, approve, ...)."""

    def __init__(self, assistant: Assistant) -> None:
        super().__init__(
            name="coffeechat",
            instructions="Reads one coffeechat account and drafts emails for the user's review. "
            "It cannot send or approve: the user does that with `coffeechat approve ID`.",
        )
        self.assistant = assistant

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Dispatch a call; one the SDK refuses before a tool runs is recorded here."""
        recorded: list[str] = []
        token = _RECORDED.set(recorded)
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError:
            if not recorded:
                known = self._tool_manager.get_tool(name) is not None
                why = "invalid arguments" if known else "no such tool"
                self.assistant.record(name, "", f"refused: {why}")
            raise
        finally:
            _RECORDED.reset(token)


def build_server(rt: Runtime) -> Server:
    """The MCP server for the account of ``rt``, with its read and draft tools."""
    a = Assistant(rt)
    server = Server(a)
    _add_read_tools(server, a, rt)
    _add_draft_tools(server, a)
    return server


def _add_read_tools(server: Server, a: Assistant, rt: Runtime) -> None:
    """The tools that read the account: pipeline, meetings, what needs the user, one contact."""
    horizon = rt.settings.cadence.first_run_horizon_hours

    def read(tool: str, fn: Callable[[UnitOfWork, datetime], T], contact: str = "") -> T:
        def work(uow: UnitOfWork, now: datetime) -> Done:
            return Done(fn(uow, now))

        result: T = a.call(tool, summary(contact), work)
        return result

    @server.tool(annotations=_READ)
    def pipeline() -> dict[str, Any]:
        """Contacts, interviews per stage (planned, requested, scheduled...) and mail counts."""
        return read(
            "pipeline", lambda u, now: reads.pipeline(u.session, u.account_id, now, horizon)
        )

    @server.tool(annotations=_READ)
    def next_meetings() -> list[dict[str, Any]]:
        """The next meetings (up to 10) with the contact and whether a prep sheet is ready."""
        return read(
            "next_meetings",
            lambda u, now: reads.next_meetings(u.session, u.account_id, now, horizon),
        )

    @server.tool(annotations=_READ)
    def needs_you() -> dict[str, Any]:
        """What waits for the user (status's list): drafts, promises due, mail to settle."""
        return read(
            "needs_you", lambda u, now: reads.needs_you(u.session, u.account_id, now, horizon)
        )

    @server.tool(annotations=_READ)
    def contact(contact: ContactRef) -> dict[str, Any]:
        """One contact: details, addresses and their status, notes, and the timeline of events."""
        return read(
            "contact", lambda u, now: reads.contact_card(u.session, u.account_id, contact), contact
        )

    @server.tool(annotations=_READ)
    def thread(contact: ContactRef) -> dict[str, Any]:
        """The mail exchanged with a contact, oldest first, each body trimmed to an excerpt."""
        return read(
            "thread", lambda u, now: reads.thread(u.session, u.account_id, contact), contact
        )

    @server.tool(annotations=_READ)
    def prep_sheet(contact: ContactRef) -> str:
        """The prep sheet (Markdown) for the contact's next meeting, or a general one."""

        def sheet(uow: UnitOfWork, now: datetime) -> str:
            bank = question_bank(rt.settings.templates_dir)
            person = find_contact(uow.session, uow.account_id, contact)
            meeting_id = next_meeting_id(uow.session, person.id, now)
            ctx = (
                load_prep_context(uow.session, meeting_id, now, bank=bank)
                if meeting_id is not None
                else load_contact_prep_context(uow.session, person.id, now, bank=bank)
            )
            return render(
                "prep/sheet", {"sheet": ctx}, fmt="md", user_dir=rt.settings.templates_dir
            )

        return read("prep_sheet", sheet, contact)


def _add_draft_tools(server: Server, a: Assistant) -> None:
    """The tools that draft mail for the user's review; none of them sends or approves."""

    @server.tool(annotations=_DRAFT)
    def draft_outreach(contact: ContactRef, body: Body = None) -> dict[str, Any]:
        """Draft the first request for a conversation, for the user's review (never sent here)."""

        def work(uow: UnitOfWork, now: datetime) -> Done:
            ctx = a.plan_context(uow, now)
            row = drafts.draft_outreach(
                uow, contact, now=now, cadence=ctx.cadence, user_email=ctx.user_email,
                render=ctx.render, body=body,
            )  # fmt: skip
            return drafted(uow, row)

        result: dict[str, Any] = a.call("draft_outreach", summary(contact, body), work)
        return result

    @server.tool(annotations=_DRAFT)
    def draft_update(contact: ContactRef, body: Body = None) -> dict[str, Any]:
        """Draft an update to someone who helped (their news by default), for the user's review."""

        def work(uow: UnitOfWork, now: datetime) -> Done:
            row = drafts.draft_update(a.plan_context(uow, now), contact, body=body)
            return drafted(uow, row)

        result: dict[str, Any] = a.call("draft_update", summary(contact, body), work)
        return result

    @server.tool(annotations=_DRAFT)
    def draft_reply(
        contact: ContactRef, body: Annotated[str, Field(description="Plain-text body")]
    ) -> dict[str, Any]:
        """Draft a reply in the thread with a contact, for the user's review (never sent here)."""

        def work(uow: UnitOfWork, now: datetime) -> Done:
            row = drafts.draft_reply(a.plan_context(uow, now), contact, body=body)
            return drafted(uow, row)

        result: dict[str, Any] = a.call("draft_reply", summary(contact, body), work)
        return result


def mcp(ctx: typer.Context) -> None:
    """Serve this account to an AI assistant over stdio (MCP): it reads and drafts, never sends."""
    rt = runtime(ctx)
    rt.app  # noqa: B018 - migrate and create the account before the first request, not during
    build_server(rt).run("stdio")


__all__ = ["build_server", "mcp"]
