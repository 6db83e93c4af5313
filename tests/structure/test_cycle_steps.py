"""The cycle's steps are one list: every step module is in it, once, and everything runs it."""

from __future__ import annotations

import importlib
import pkgutil

from coffeechat.flows import steps as steps_package
from coffeechat.flows.service_cycle import build_cycle_flow
from coffeechat.flows.steps.cycle import POLLED, STEPS
from coffeechat.flows.steps.step import Step


def _declared_steps() -> dict[str, Step]:
    """Every ``STEP`` a module of flows/steps declares, by module name."""
    found = {}
    for info in pkgutil.iter_modules(steps_package.__path__):
        module = importlib.import_module(f"{steps_package.__name__}.{info.name}")
        step = getattr(module, "STEP", None)
        if isinstance(step, Step):
            found[info.name] = step
    return found


def test_every_declared_step_is_in_the_list_once() -> None:
    declared = _declared_steps()
    assert len(declared) >= 5, declared  # calendar, prep sheets, plan, digest, send at least
    assert sorted(s.name for s in declared.values()) == sorted(s.name for s in STEPS)
    assert len({s.name for s in STEPS}) == len(STEPS)


def test_the_order_reads_the_mail_facts_before_acting_on_them() -> None:
    names = [s.name for s in STEPS]
    # Calendars before prep sheets (a new meeting gets its sheet in the same cycle), planning
    # before sending (a thank-you planned now goes now), sending last.
    assert names.index("sync-calendars") < names.index("prepare-sheets")
    assert names.index("plan-follow-ups") < names.index("send") == len(names) - 1
    assert [s.name for s in POLLED] == ["sync-calendars"]


def test_the_service_flow_has_one_task_per_step() -> None:
    import threading

    flow = build_cycle_flow(threading.Event())
    assert flow.name == "coffeechat-cycle"
    # The flow's body closes over the tasks it made from STEPS, in order.
    cells = [c.cell_contents for c in flow.fn.__closure__ or ()]
    tasks = next(c for c in cells if isinstance(c, list))
    assert [name for name, _task in tasks] == [s.name for s in STEPS]
