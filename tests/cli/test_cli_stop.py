"""Ctrl-C (SIGINT to a real process) on ``run`` and ``demo --keep``: exit 0, no traceback.

``run`` starts its own local Prefect server here (the default), so the test also sees what the
console shows while flow runs happen: one line per effect, and Prefect's per-task lines
("Finished in state Completed()") only with ``--verbose``.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

LAUNCH = (
    "import sys; sys.argv[0] = 'coffeechat'; from coffeechat.deployments.cli import main; main()"
)
ADA = "ada@example.com"


def _env(tmp_path: Path) -> dict[str, str]:
    """No PREFECT_/COFFEECHAT_ settings of the caller's; the user's zone fixed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COFFEECHAT_"))}
    env["TZ"] = "Europe/Paris"
    env["HOME"] = str(tmp_path / "home")  # Prefect's profile and caches stay in the test's dir
    return env


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s\n{log.read_text(errors='replace')}")


def _interrupt(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _calendar(path: Path) -> None:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:coffee-ada@t\r\nDTSTAMP:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDURATION:PT30M\r\nSUMMARY:Coffee with Ada\r\n"
        f"ATTENDEE:mailto:{ADA}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_run_says_what_it_does_and_stops_cleanly_on_ctrl_c(tmp_path: Path, verbose: bool) -> None:
    config, ics = tmp_path / "config.toml", tmp_path / "work.ics"
    _calendar(ics)
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        '[account]\nname = "Sam Seeker"\nemail = "sam@example.com"\ntimezone = "Europe/Paris"\n'
        f'[[calendars]]\nname = "work"\nkind = "ics_file"\npath = "{ics}"\n'
    )
    env = _env(tmp_path)
    base = [sys.executable, "-c", LAUNCH, "--config", str(config)]
    subprocess.run([*base, "contacts", "add", "Ada Lovelace", "-e", ADA], env=env, check=True,
                   capture_output=True)  # fmt: skip
    log = tmp_path / "run.log"
    argv = [*base, "run", "--cycle-seconds", "1", *(["--verbose"] if verbose else [])]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)

    def text() -> str:
        return log.read_text(errors="replace")

    try:
        _wait_for(lambda: "coffeechat running" in text(), 180, "start-up", log)
        # The calendar's meeting is an effect: told in words, once, in local time.
        _wait_for(lambda: "meeting booked" in text(), 120, "the meeting's line", log)
        time.sleep(2)  # the cycle's flow run finishes; its lines (if any) are written
        code = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = text()
    assert code == 0, output
    assert "Traceback" not in output and "stopped" in output, output
    assert "Prefect UI: http://127.0.0.1:" in output, output
    [booked] = [line for line in output.splitlines() if "meeting booked" in line]
    assert "Ada Lovelace" in booked, output
    assert ("Finished in state" in output) is verbose, output


def test_demo_keep_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    argv = [sys.executable, "-c", LAUNCH, "demo", "--keep", "--data-dir", str(tmp_path / "w")]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=_env(tmp_path))
    try:
        _wait_for(lambda: "Prefect UI" in log.read_text(errors="replace"), 180, "the world up", log)
        # A mail client connected (as the demo invites): its session is open at the stop.
        port = int(log.read_text().split("IMAP", 1)[1].split("127.0.0.1:", 1)[1].split()[0])
        password = log.read_text().split("password", 1)[1].split()[0]
        client = imaplib.IMAP4("127.0.0.1", port)
        client.login("jo@seeker.example", password)
        client.select("INBOX")
        code = _interrupt(proc)
        with contextlib.suppress(OSError, imaplib.IMAP4.abort):
            client.logout()
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "Traceback" not in output and "Exception" not in output, output
    assert "stopping the demo world" in output, output


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a script's `cmd &` starts it


@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_demo_stops_cleanly_on_ctrl_c_while_its_world_starts(
    tmp_path: Path, inherited: str
) -> None:
    log = tmp_path / "demo.log"
    argv = [sys.executable, "-c", LAUNCH, "demo", "--keep", "--data-dir", str(tmp_path / "w")]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(tmp_path),
            preexec_fn=_ignore_sigint if inherited == "ignored" else None,
        )
    try:
        _wait_for(lambda: "data in" in log.read_text(errors="replace"), 60, "the start", log)
        code = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "Traceback" not in output and "Exception" not in output, output
    assert "stopped (Ctrl-C)" in output or "stopping the demo world" in output, output
