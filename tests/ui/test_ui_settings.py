"""What the local Prefect server is told about its UI, and how big an artifact can be."""

from __future__ import annotations

import pytest

from coffeechat.deployments.prefect_server import server_env, ui_env
from coffeechat.flows.steps.artifacts import MAX_CHARS, bounded, publish_artifact


def test_the_callers_ui_and_api_urls_do_not_reach_the_server() -> None:
    env = server_env(
        {
            "PREFECT_SERVER_UI_API_URL": "http://127.0.0.1:4200/api",
            "PREFECT_UI_API_URL": "http://127.0.0.1:4200/api",
            "PREFECT_API_URL": "http://127.0.0.1:4200/api",
            "HOME": "/home/jo",
        }
    )
    assert env == {"HOME": "/home/jo"}


def test_every_name_of_the_ui_api_url_names_the_servers_port() -> None:
    env = ui_env("http://127.0.0.1:5123/api")
    assert env["PREFECT_SERVER_UI_API_URL"] == "http://127.0.0.1:5123/api"
    assert env["PREFECT_UI_API_URL"] == "http://127.0.0.1:5123/api"


def test_a_huge_sheet_is_cut_and_says_so() -> None:
    text = bounded("x" * (3 * MAX_CHARS))
    assert len(text) <= MAX_CHARS
    assert "cut here" in text
    assert bounded("# short") == "# short"


def test_a_key_prefect_would_refuse_is_an_error() -> None:
    with pytest.raises(ValueError, match="artifact key"):
        publish_artifact("# hi", key="Prep Sheet 7")
