"""Working days by the official calendar (chinesecalendar), the Mon–Fri fallback outside it, and signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from corpus.workdays import add_working_days, calendar_years, is_workday, working_days_between
from events.signing import sign, verify
from events.types import check_event_types


def test_holidays_and_make_up_workdays_follow_the_official_calendar():
    first, last = calendar_years()
    assert first <= 2025 <= last
    # 2025-10-01 (National Day) is a holiday on a Wednesday; 2025-09-28, a Sunday, a make-up workday.
    assert is_workday(dt.date(2025, 10, 1)) == (False, False)
    assert is_workday(dt.date(2025, 9, 28)) == (True, False)
    # From Tuesday 30 Sep 2025: 1–8 Oct are holidays, Thursday 9 Oct is the first working day after.
    assert working_days_between(dt.date(2025, 9, 30), dt.date(2025, 10, 9)).days == 1
    assert add_working_days(dt.date(2025, 9, 30), 1).date == dt.date(2025, 10, 9)
    assert add_working_days(dt.date(2025, 9, 26), 1).date == dt.date(
        2025, 9, 28
    )  # Friday → the make-up Sunday
    assert working_days_between(dt.date(2025, 6, 2), dt.date(2025, 6, 2)).days == 0
    assert add_working_days(dt.date(2025, 6, 2), 0).date == dt.date(2025, 6, 2)


def test_outside_the_calendar_the_count_is_monday_to_friday_and_says_so():
    _, last = calendar_years()
    year = last + 2
    friday = next(dt.date(year, 3, d) for d in range(1, 8) if dt.date(year, 3, d).weekday() == 4)
    count = working_days_between(friday, friday + dt.timedelta(days=7))
    assert count.days == 5 and count.fallback
    reached = add_working_days(friday, 1)
    assert reached.date == friday + dt.timedelta(days=3) and reached.fallback
    inside = working_days_between(dt.date(2025, 3, 7), dt.date(2025, 3, 14))
    assert inside.days == 5 and not inside.fallback
    with pytest.raises(ValueError):
        add_working_days(friday, -1)


def test_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"id":"evt_1","type":"ping"}'
    expected = "sha256=" + hmac.new(b"k" * 16, body, hashlib.sha256).hexdigest()
    assert sign(body, "k" * 16) == expected
    assert verify(body, "k" * 16, expected)
    assert not verify(body + b" ", "k" * 16, expected)
    assert not verify(body, "x" * 16, expected)
    assert not verify(body, "k" * 16, None)


def test_event_types_are_checked_by_name():
    assert check_event_types(["targets.ready", "targets.ready", "policy.published"]) == (
        "targets.ready",
        "policy.published",
    )
    assert check_event_types(["*", "ping"]) == ("*",)
    with pytest.raises(ValueError, match="unknown event type 'policy.deleted'"):
        check_event_types(["policy.deleted"])
    with pytest.raises(ValueError, match="at least one"):
        check_event_types([" "])
