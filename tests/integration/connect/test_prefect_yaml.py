"""deployments/prefect.yaml: every entry point imports to a Prefect flow; triggers are valid."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.flows import Flow, load_flow_from_entrypoint

from coffeechat.models.store import events as domain_events

ROOT = Path(__file__).resolve().parents[3]
DEPLOYMENTS: list[dict[str, Any]] = yaml.safe_load(
    (ROOT / "deployments" / "prefect.yaml").read_text()
)["deployments"]


def known_event_names() -> set[str]:
    classes = [
        c
        for c in vars(domain_events).values()
        if inspect.isclass(c) and issubclass(c, domain_events.DomainEvent)
    ]
    return {f"coffeechat.{c.noun}.{c.verb}" for c in classes}


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_entry_point_resolves_to_a_flow_taking_account_and_config(
    deployment: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _, name = deployment["entrypoint"].partition(":")
    assert path.startswith("flows/") and (ROOT / path).is_file()
    monkeypatch.chdir(ROOT)
    flow = load_flow_from_entrypoint(deployment["entrypoint"], use_placeholder_flow=False)
    assert isinstance(flow, Flow) and flow.fn.__name__ == name
    assert set(deployment["parameters"]) == {"account", "config"}
    assert set(deployment["parameters"]) <= set(inspect.signature(flow.fn).parameters)
    assert all(s["interval"] > 0 for s in deployment["schedules"])


def test_the_required_flows_and_triggers_are_declared() -> None:
    by_entry = {d["entrypoint"].rsplit(":", 1)[1]: d for d in DEPLOYMENTS}
    assert set(by_entry) == {
        "sync_inbox", "sync_calendar", "prepare_interviews", "send_follow_ups", "dispatch",
    }  # fmt: skip
    expected = {
        "prepare_interviews": "coffeechat.meeting.scheduled",
        "send_follow_ups": "coffeechat.reply.received",
    }
    names = known_event_names()
    for flow_name, event in expected.items():
        triggers = [DeploymentEventTrigger(**t) for t in by_entry[flow_name]["triggers"]]
        assert any(event in t.expect for t in triggers)
    for deployment in DEPLOYMENTS:
        for trigger in deployment.get("triggers", []):
            parsed = DeploymentEventTrigger(**trigger)
            assert set(parsed.expect) <= names, "a trigger waits for an event we never emit"
            assert set(parsed.parameters or {}) <= {"account", "config"}
