"""Periods of a time series: weeks (from Monday), months, quarters and years, as plain date arithmetic.

Every series in foresight is counted per period of one granularity; a period is named by its first day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Granularity = Literal["week", "month", "quarter", "year"]
GRANULARITIES: tuple[str, ...] = ("week", "month", "quarter", "year")
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


class PeriodError(ValueError):
    """An unknown granularity; the message lists the valid ones."""


def _check(granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise PeriodError(f"unknown granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}")


def period_start(day: date, granularity: str) -> date:
    """First day of the period containing `day` (weeks start on Monday).

    Example: 2023-08-17 is in the week of 2023-08-14, the month 2023-08-01, the quarter 2023-07-01, the year
    2023-01-01.
    """
    _check(granularity)
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def add_periods(start: date, n: int, granularity: str) -> date:
    """The period start `n` periods after (or before, n < 0) the period start `start`."""
    _check(granularity)
    if granularity == "week":
        return start + timedelta(weeks=n)
    index = start.year * 12 + start.month - 1 + n * _MONTHS[granularity]
    return date(index // 12, index % 12 + 1, 1)


def periods_between(first: date, last: date, granularity: str) -> list[date]:
    """Period starts from the period of `first` to the period of `last`, inclusive (empty if last < first)."""
    periods, current, end = [], period_start(first, granularity), period_start(last, granularity)
    while current <= end:
        periods.append(current)
        current = add_periods(current, 1, granularity)
    return periods


def window_start(as_of: date, periods: int, granularity: str) -> date:
    """First day of an analysis window of `periods` periods that ends with the period of `as_of`."""
    return add_periods(period_start(as_of, granularity), -(max(1, periods) - 1), granularity)


def period_label(day: date | None, granularity: str | None) -> str:
    """How analysts name a period: 2021, 2021-Q3, 2021-07, 2021-W28 ('' for no date)."""
    if day is None:
        return ""
    if granularity == "year":
        return f"{day.year}"
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"
