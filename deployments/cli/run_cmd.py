"""``coffeechat run``: watch the inbox, run the cycle, keep a local Prefect beside it.

Stopping: the first SIGTERM or Ctrl-C asks the service to stop (the watcher's classification
child is killed at once, the cycle stops between steps); after STOP_GRACE seconds, or at a
second signal, whatever still runs is abandoned: its database transaction rolls back with the
process, and a send cut off mid-way is recovered at the next start. Either way the exit status
is 0 with one line saying so: a stop that was asked for is a clean stop (a service manager
treats anything else as a failure). An error that ended the service exits 1.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from coffeechat.deployments.cli.present import out
from coffeechat.deployments.cli.run_lines import EffectReporter
from coffeechat.deployments.cli.runtime import err_console, runtime, utcnow
from coffeechat.deployments.prefect_server import (
    LocalPrefectServer,
    PrefectServerError,
    point_prefect_at,
    telemetry_off,
)

if TYPE_CHECKING:
    from coffeechat.flows.steps.app import App

# From the first stop signal to exit: the service may take STOP_GRACE, the Prefect server what
# is left of STOP_SECONDS (at least SERVER_STOP_MIN, then it is killed).
STOP_SECONDS = 5.0
STOP_GRACE = 3.5
SERVER_STOP_MIN = 0.5


class _Stop:
    """The stop request, when it came, and whether a second signal asked to hurry."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.asked_at: float | None = None
        self.hurry = False

    def deadline(self, after: float) -> float | None:
        """The monotonic time ``after`` seconds past the request (now when hurried), if any."""
        if self.asked_at is None:
            return None
        return self.asked_at if self.hurry else self.asked_at + after


def run(
    ctx: typer.Context,
    cycle_seconds: Annotated[
        float,
        typer.Option(min=1, help="Run the cycle this often (and at once after new mail)."),
    ] = 30.0,
    no_prefect_server: Annotated[
        bool,
        typer.Option(
            "--no-prefect-server",
            help="Do not start a local Prefect server (history and UI off, unless "
            "PREFECT_API_URL names one).",
        ),
    ] = False,
    prefect_port: Annotated[
        int, typer.Option(help="Port of the local Prefect server (0: a free one).")
    ] = 0,
    poll_seconds: Annotated[
        float | None,
        typer.Option(help="Full inbox check this often besides IDLE (default: from config)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what the next cycle would send (as `plan`); exit."),
    ] = False,
) -> None:
    """Run coffeechat as a service until Ctrl-C or SIGTERM."""
    if dry_run:
        from coffeechat.deployments.cli.followup_cmd import print_preview

        print_preview(runtime(ctx))
        return
    _logging(verbose)
    rt = runtime(ctx)
    settings = rt.settings  # validate the config before starting anything
    config = str(rt.config) if rt.config is not None else None
    account = rt.account_slug or None
    request = _Stop()
    stop = request.event
    _install_signal_handlers(request)
    telemetry_off()
    api_url = os.environ.get("PREFECT_API_URL") or None
    server: LocalPrefectServer | None = None
    if api_url is None and not no_prefect_server:
        server = LocalPrefectServer(settings.data_dir / "prefect", port=prefect_port)
        err_console.print("starting a local Prefect server (telemetry off)...")
        try:
            server.start(stop=stop)
        except PrefectServerError as err:
            if stop.is_set():
                raise typer.Exit(0) from None
            # History is a convenience; mail handling goes on without it.
            err_console.print(f"[yellow]warning:[/yellow] {err}; running without Prefect")
            server = None
        else:
            api_url = server.api_url
    ui = server.ui_url if server is not None else None
    code, abandoned = 1, False
    try:
        code, abandoned = _serve(
            request, api_url, account, config, cycle_seconds, poll_seconds, ui=ui
        )
    finally:
        if server is not None:
            end = request.deadline(STOP_SECONDS)
            left = STOP_SECONDS if end is None else end - time.monotonic()
            server.stop(timeout=max(left, SERVER_STOP_MIN))
    if abandoned:
        _exit_now(code)
    raise typer.Exit(code)


def _logging(verbose: bool) -> None:
    """Warnings on the console; with --verbose also INFO, Prefect's per-task lines included."""
    if not verbose:
        # Prefect's per-flow and per-task lines ("Finished in state Completed()") stay in its
        # UI; the console gets one line per effect instead (run_lines.py).
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        if verbose
        else "%(asctime)s %(levelname)s: %(message)s",
        datefmt=None if verbose else "%H:%M",
        stream=sys.stderr,
    )
    if not verbose:
        # Prefect's loggers are at INFO and propagate here: its per-task lines only with -v.
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Prefect API call


def _exit_now(code: int) -> None:
    """Leave without waiting for the abandoned service thread (its transaction rolls back)."""
    from coffeechat.flows.steps import classify_worker

    classify_worker.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve(
    request: _Stop,
    api_url: str | None,
    account: str | None,
    config: str | None,
    cycle_seconds: float,
    poll_seconds: float | None,
    *,
    ui: str | None = None,
) -> tuple[int, bool]:
    """Run the service in a worker thread; the main thread waits for it or the stop deadline.

    Returns the exit status and whether the service thread was abandoned still running.
    """
    stop = request.event
    point_prefect_at(api_url)
    from coffeechat.deployments.prefect_link import PrefectLink
    from coffeechat.deployments.service import Service
    from coffeechat.flows.steps.app import load_app

    if stop.is_set():
        return 0, False
    app = load_app(config, account)
    link = PrefectLink(api_url, account, config) if api_url is not None else None
    service = Service(
        app, stop=stop, prefect=link, cycle_seconds=cycle_seconds, poll_seconds=poll_seconds
    )
    failure: list[BaseException] = []

    def body() -> None:
        try:
            service.run()
        except BaseException as err:  # reported by the main thread below
            failure.append(err)
            stop.set()

    # A flow run in the main thread would swap in Prefect's SIGTERM handler, which aborts the
    # step mid-transaction; in a worker thread it cannot, and our handler just sets stop.
    reporter = _reporter(app)
    worker = threading.Thread(target=body, name="coffeechat-service")
    worker.start()
    reporter.start()
    target = f"{app.settings.imap.username}@{app.settings.imap.host}" if app.settings.imap else "-"
    # The UI's address last and alone: tests and scripts read the word after "Prefect UI: ".
    where = f"Prefect UI: {ui}" if ui else "no Prefect UI"
    err_console.print(
        f"coffeechat running for {target}; Ctrl-C to stop; {where}", highlight=False, soft_wrap=True
    )
    try:
        return _wait(request, worker, failure)
    finally:
        reporter.stop()


def _reporter(app: App) -> EffectReporter:
    """One line per effect on standard output, times in the account's zone."""
    zone = ZoneInfo(app.settings.account.timezone)

    def emit(line: str) -> None:
        out().print(line, markup=False, highlight=False, soft_wrap=True)

    return EffectReporter(app.factory, app.account_id, zone, emit, utcnow)


def _wait(
    request: _Stop, worker: threading.Thread, failure: list[BaseException]
) -> tuple[int, bool]:
    """Wait for the service thread, or abandon it past the stop grace."""
    while worker.is_alive():
        worker.join(0.1)
        deadline = request.deadline(STOP_GRACE)
        if deadline is not None and time.monotonic() >= deadline and worker.is_alive():
            err_console.print(
                "stopped: the step in progress did not finish in time and was abandoned "
                "(its transaction rolls back; it runs again at the next start)"
            )
            return 0, True
    if failure:
        err = failure[0]
        err_console.print(f"[red]error:[/red] service stopped: {type(err).__name__}: {err}")
        return 1, False
    err_console.print("stopped cleanly")
    return 0, False


def _install_signal_handlers(request: _Stop) -> None:
    """First Ctrl-C/SIGTERM: stop within STOP_GRACE; a second one: stop at once."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        if request.asked_at is not None:
            request.hurry = True
            return
        request.asked_at = time.monotonic()
        request.event.set()
        err_console.print(f"{signal.Signals(signum).name}: stopping...")

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
