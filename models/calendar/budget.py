"""Bounded recurrence expansion: what a series may cost, and the guard that enforces it.

dateutil's rrule walks every period from DTSTART, yields nothing until a period matches and
only then compares with UNTIL, and recurring_ical_events collects `rule.between(...)` eagerly.
So `FREQ=SECONDLY;COUNT=1000000000`, a DAILY rule that never matches (BYMONTH=2;BYMONTHDAY=30,
which walks to the year 9999) or a DTSTART in the year 1 cost unbounded time and memory.

Two layers keep a series bounded:
- `rule_defect` refuses, before expansion, rules that are not meetings: repeating more often
  than daily (SECONDLY, MINUTELY, HOURLY; an hourly "meeting" is a reminder, not a coffee chat,
  and an hourly series over a sync window is thousands of occurrences) or more than 24 times a
  day through BYHOUR/BYMINUTE/BYSECOND.
- every rrule the expander builds is given a `Budget` counted in *steps* (a period dateutil
  examines, or an instant it yields) and a horizon year past which it stops. Over budget, the
  series raises `OverBudget` and is skipped with the reason; nothing is silently truncated.

The period count needs a hook inside dateutil's iteration: `_iterinfo` is looked up in the
dateutil.rrule module each time a rule is iterated, so it is replaced once by a subclass that
charges the rule's budget. Rules without a budget (anyone else's) behave exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from dateutil import rrule as _rrule  # type: ignore[import-untyped]

# Steps one series may take. A daily series that began 100 years before the window is
# ~37k steps; expanding one step costs a few microseconds, so a series is bounded to ~0.3 s.
SERIES_STEPS = 100_000
# Steps all series of one calendar may take together (~1-2 s of CPU), then the rest are skipped.
CALENDAR_STEPS = 600_000
# Occurrences one series may have inside the window: far more than any real meeting series
# (a daily meeting over inspect's one-year window is 366).
SERIES_OCCURRENCES = 1_000
# Sub-daily frequencies are not meetings (see the module docstring).
NOT_MEETINGS = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
MAX_TIMES_A_DAY = 24


class OverBudget(Exception):
    """A series (or a calendar) needed more expansion steps than it may take."""


class Budget:
    """A countdown of expansion steps; `spend` raises OverBudget when it runs out."""

    def __init__(self, steps: int) -> None:
        """Start with `steps` steps left."""
        self.limit = steps
        self.left = steps

    @property
    def spent(self) -> int:
        """Return how many steps were taken so far."""
        return self.limit - self.left

    def spend(self, steps: int = 1) -> None:
        """Take steps; raise OverBudget when none are left."""
        self.left -= steps
        if self.left < 0:
            raise OverBudget(f"expansion needs more than {self.limit} steps")


class _PastHorizon(Exception):
    """The rule reached the year after which nothing can fall inside the window."""


class _BudgetInfo(_rrule._iterinfo):  # type: ignore[misc]
    """dateutil's per-iteration helper, charging one step per period for budgeted rules."""

    def _charge(self) -> None:
        budget = getattr(self.rrule, "coffeechat_budget", None)
        if budget is not None:
            budget.spend()

    def rebuild(self, year: int, month: int) -> None:
        """Stop a budgeted rule at its horizon (called at least once a month of iteration)."""
        horizon = getattr(self.rrule, "coffeechat_horizon", None)
        if horizon is not None and year > horizon:
            raise _PastHorizon
        super().rebuild(year, month)

    def ydayset(self, year: int, month: int, day: int) -> Any:
        """Charge one period, then behave as dateutil."""
        self._charge()
        return super().ydayset(year, month, day)

    def mdayset(self, year: int, month: int, day: int) -> Any:
        """Charge one period, then behave as dateutil."""
        self._charge()
        return super().mdayset(year, month, day)

    def wdayset(self, year: int, month: int, day: int) -> Any:
        """Charge one period, then behave as dateutil."""
        self._charge()
        return super().wdayset(year, month, day)

    def ddayset(self, year: int, month: int, day: int) -> Any:
        """Charge one period, then behave as dateutil."""
        self._charge()
        return super().ddayset(year, month, day)


_rrule._iterinfo = _BudgetInfo


class BudgetRule(_rrule.rrule):  # type: ignore[misc]
    """An rrule that charges each yielded instant and ends quietly at its horizon."""

    coffeechat_budget: Budget
    coffeechat_horizon: int | None = None

    def _iter(self) -> Iterator[datetime]:
        budget = self.coffeechat_budget
        try:
            for value in super()._iter():
                budget.spend()
                yield value
        except _PastHorizon:
            return


def budgeted(rule: Any, budget: Budget) -> BudgetRule:
    """Turn a freshly built rrule into a BudgetRule charging `budget`; refuse rulesets."""
    if type(rule) is not _rrule.rrule:
        raise OverBudget(f"unsupported recurrence rule type {type(rule).__name__}")
    rule.__class__ = BudgetRule
    rule.coffeechat_budget = budget
    # No cache: dateutil made its cached generator from the plain class's _iter, and a cache
    # would hold every instant ever walked. Each walk is charged to the budget instead.
    rule._cache = None
    return rule  # type: ignore[no-any-return]


def _count(rule: Mapping[str, Any], name: str) -> int:
    """Return how many values a BYxxx part lists (1 when absent: the start's own value)."""
    values = rule.get(name)
    if values is None:
        return 1
    return len(values) if isinstance(values, list | tuple) else 1


def rule_defect(rule: Mapping[str, Any]) -> str | None:
    """Return why an RRULE (icalendar vRecur) is not a meeting series, or None when it may be."""
    freq = rule.get("FREQ")
    freq = str(freq[0] if isinstance(freq, list | tuple) and freq else freq or "").upper()
    if freq in NOT_MEETINGS:
        return f"repeats {freq}: more often than daily is not a meeting, not expanded"
    times = _count(rule, "BYHOUR") * _count(rule, "BYMINUTE") * _count(rule, "BYSECOND")
    if times > MAX_TIMES_A_DAY:
        return f"repeats {times} times a day (BYHOUR/BYMINUTE/BYSECOND): not a meeting"
    return None
