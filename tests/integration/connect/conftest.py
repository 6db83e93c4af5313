"""Running ``coffeechat connect`` in-process against the test bed, secrets fed on stdin."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coffeechat.deployments.cli import app, connect_cmd, run_cmd


def ensure_registered() -> None:
    """Add connect/run to the CLI until deployments/cli/__init__.py registers them itself."""
    names = {c.name for c in app.registered_commands}
    if "connect" not in names:
        app.command("connect")(connect_cmd.connect)
    if "run" not in names:
        app.command("run")(run_cmd.run)


@dataclass
class Result:
    """What one invocation left behind."""

    code: int
    output: str
    config: Path

    @property
    def text(self) -> str:
        """The config file's text ('' when none was written)."""
        return self.config.read_text() if self.config.exists() else ""

    @property
    def mode(self) -> int:
        """The config file's permission bits."""
        return stat.S_IMODE(self.config.stat().st_mode)


Connect = Callable[..., Result]


@pytest.fixture
def connect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Connect:
    """Invoke ``coffeechat --config <tmp>/config.toml connect ARGS`` with stdin."""
    ensure_registered()
    config = tmp_path / "conf" / "config.toml"
    monkeypatch.delenv("COFFEECHAT_CONFIG", raising=False)
    monkeypatch.delenv("COFFEECHAT_SECRET_STORE", raising=False)
    monkeypatch.setenv("COFFEECHAT_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args: str, stdin: str = "") -> Result:
        result = runner.invoke(
            app, ["--config", str(config), "connect", *args], input=stdin, catch_exceptions=False
        )
        return Result(result.exit_code, result.output, config)

    return run
