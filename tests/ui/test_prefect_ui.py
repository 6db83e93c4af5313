"""The Prefect UI of the server ``coffeechat run`` starts, loaded in headless Chromium.

The server listens on a random port while the environment says the UI's API is at :4200 (as
a user's shell or another Prefect setup may): the UI must still call its own server, list the
flow runs (not "Can't connect to Server API"), and a prep-sheet artifact's pages must show the
sheet, in both the V1 and the V2 UI.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from coffeechat.deployments.prefect_server import LocalPrefectServer
from tests.ui.chromium import Chromium, chromium_binary

# About 20 s, most of it the server's first start.
pytestmark = pytest.mark.skipif(
    chromium_binary() is None, reason="chromium not installed (./dev setup)"
)

SHEET = Path(__file__).parents[1] / "fixtures" / "prep" / "sheet.md"
WRONG_API = "http://127.0.0.1:4200/api"
NO_API = "Can't connect"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefectServer]:
    """A local server on a free port, started from an environment naming :4200 for the UI."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DO_NOT_TRACK", "1")
        for name in ("PREFECT_SERVER_UI_API_URL", "PREFECT_UI_API_URL"):
            mp.setenv(name, WRONG_API)
        server = LocalPrefectServer(tmp_path_factory.mktemp("prefect-ui"))
        try:
            server.start()
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def cycle_run(server: LocalPrefectServer) -> str:
    """A cycle flow run whose prep-sheet task published the fixture sheet; the run's name."""
    from prefect import flow, task
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from coffeechat.flows.steps.artifacts import publish_artifact

    @task(name="prep-sheets", persist_result=False)
    def prep_sheets() -> bool:
        return publish_artifact(SHEET.read_text(encoding="utf-8"), key="prep-sheet-7")

    @flow(name="coffeechat-cycle", persist_result=False)
    def cycle() -> str:
        from prefect.runtime import flow_run

        assert prep_sheets(), "the artifact was not published"
        return str(flow_run.name)

    with temporary_settings({PREFECT_API_URL: server.api_url}):
        return cycle()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """One headless Chromium for the module."""
    with Chromium(tmp_path_factory.mktemp("chromium")) as chromium:
        yield chromium


def test_ui_settings_name_the_servers_own_api(server: LocalPrefectServer) -> None:
    with urllib.request.urlopen(server.ui_url + "/ui-settings", timeout=10) as answer:  # noqa: S310
        settings = json.loads(answer.read())
    assert settings["api_url"] == server.api_url
    assert server.port != 4200


@pytest.mark.parametrize("base", ["", "/v2"], ids=["v1", "v2"])
def test_flow_runs_are_listed(
    server: LocalPrefectServer, cycle_run: str, browser: Chromium, base: str
) -> None:
    browser.goto(f"{server.ui_url}{base}/runs")
    text = browser.wait_for_text(cycle_run)
    assert NO_API not in text
    assert cycle_run in text, text[:2000]


@pytest.mark.parametrize("base", ["", "/v2"], ids=["v1", "v2"])
def test_the_prep_sheet_artifact_shows_its_text(
    server: LocalPrefectServer, cycle_run: str, browser: Chromium, base: str
) -> None:
    wanted = ("Coffee with Ada Lovelace", "How did you come to be doing what you do now?")
    # The key's page, where the Artifacts list leads: once blank but for "Prep sheet".
    browser.goto(f"{server.ui_url}{base}/artifacts/key/prep-sheet-7")
    text = browser.wait_for_text(*wanted)
    assert all(w in text for w in wanted), text[:2000]
    assert NO_API not in text
