"""Working days by China's official calendar: public holidays and make-up workdays (调休), from ``chinesecalendar``.

The package covers the years its release knows (its data ends with the last
calendar the State Council published); for a day outside that range the count
falls back to Monday–Friday, and every result says whether it did
(``fallback``), so a reminder or a timeline never claims more than is known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days, and whether any day in it was judged Mon–Fri for want of the official calendar."""

    days: int
    fallback: bool


@dataclass(frozen=True)
class WorkdayDate:
    """A date reached by counting working days, and whether any day counted was judged Mon–Fri."""

    date: dt.date
    fallback: bool


@lru_cache(maxsize=1)
def calendar_years() -> tuple[int, int] | None:
    """First and last year of the official calendar the installed ``chinesecalendar`` knows (None: not installed)."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a dependency; the Mon–Fri rule still answers
        return None
    years = [d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays)]
    return (min(years), max(years)) if years else None


def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, judged by the Mon–Fri fallback) for one date."""
    years = calendar_years()
    if years is not None and years[0] <= day.year <= years[1]:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day)), False
    return day.weekday() < 5, True


def working_days_between(start: dt.date, end: dt.date) -> WorkdayCount:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``).

    So an edge due tomorrow, a working day, is 1 working day away; one due today is 0.
    """
    days, fallback = 0, False
    day = start + dt.timedelta(days=1)
    while day <= end:
        working, guessed = is_workday(day)
        days += working
        fallback = fallback or guessed
        day += dt.timedelta(days=1)
    return WorkdayCount(days, fallback)


def add_working_days(start: dt.date, n: int) -> WorkdayDate:
    """Return the ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0)."""
    if n < 0:
        raise ValueError(f"n must be at least 0, got {n}")
    day, left, fallback = start, n, False
    while left:
        day += dt.timedelta(days=1)
        working, guessed = is_workday(day)
        fallback = fallback or guessed
        left -= working
    return WorkdayDate(day, fallback)
