"""An all-day meeting is its date on the prep sheet, in every zone (issue 13)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from coffeechat.models.prep import build_prep_context
from tests.unit.prep.sample import account, inputs, meeting

# Stored by a sync that read the all-day event in UTC: midnight UTC of 3 March.
MIDNIGHT_UTC = datetime(2026, 3, 3, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Berlin", "Pacific/Kiritimati"])
def test_all_day_meeting_shows_its_own_date_west_and_east_of_utc(zone: str) -> None:
    day = meeting(
        all_day=True,
        start_utc=MIDNIGHT_UTC,
        end_utc=MIDNIGHT_UTC + timedelta(days=1),
        start_date=date(2026, 3, 3),
    )
    sheet = build_prep_context(inputs(meeting=day, account=account(timezone=zone)))
    assert sheet.when is not None and sheet.when.start == "Tue 3 Mar 2026"
    assert sheet.day == date(2026, 3, 3)
    assert sheet.subject == "Prep: coffee with Ada Lovelace, Tue 3 Mar"
