"""Calendar arithmetic used by the dated rules (care guarantee and every other deadline).

* Calendar months clamp to the month end: 2022-01-31 + 3 months = 2022-04-30.
* Age is completed years. A person reaches age N on the date ``birth_date + N years``
  (with the same clamping, so one born on 29 February turns N on 28 February in a
  common year, as in the Finnish act on computing time, 150/1930).
* Weekdays (arkipäivät) are Monday–Friday that are not in the holiday calendar passed in.
  The pure domain knows no holidays itself: the caller passes a ``Container[date]`` (the
  Finnish one is :class:`sotekeskus.rules.calendar_fi.FinnishHolidays`); without one only
  weekends are skipped.
"""

from __future__ import annotations

import calendar
from collections.abc import Container
from datetime import date, timedelta

#: A holiday calendar: anything that answers ``day in holidays``.
Holidays = Container[date]

#: No public holidays (only Saturdays and Sundays are days off).
NO_HOLIDAYS: frozenset[date] = frozenset()


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clamped to the last day of the month."""
    index = start.month - 1 + months
    year = start.year + index // 12
    month = index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_years(start: date, years: int) -> date:
    return add_months(start, 12 * years)


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years on date ``on``."""
    years = on.year - birth_date.year
    if add_years(birth_date, years) > on:
        years -= 1
    return years


def has_reached_age(birth_date: date, age: int, on: date) -> bool:
    """True when the person is ``age`` or older on ``on``."""
    return add_years(birth_date, age) <= on


def is_weekday(day: date, holidays: Holidays = NO_HOLIDAYS) -> bool:
    """Monday–Friday and not a holiday of the calendar."""
    return day.weekday() < 5 and day not in holidays


def add_weekdays(start: date, weekdays: int, holidays: Holidays = NO_HOLIDAYS) -> date:
    """The ``weekdays``-th weekday after ``start`` (the start day itself is not counted).

    With 0 the result is ``start`` itself when it is a weekday, else the next weekday
    ("the same day, on weekdays"). With 3, a contact on Friday has its deadline on
    Wednesday and one on Saturday on Wednesday too. Days in ``holidays`` are skipped like
    weekends: with the Finnish calendar, Tuesday 2024-12-31 + 3 weekdays counts Thursday
    2025-01-02 (1), Friday 01-03 (2) and Tuesday 01-07 (3), skipping New Year's Day and
    Epiphany (Monday 2025-01-06); without holidays the answer is Friday 2025-01-03.
    """
    current = start
    if weekdays == 0:
        while not is_weekday(current, holidays):
            current += timedelta(days=1)
        return current
    remaining = weekdays
    while remaining > 0:
        current += timedelta(days=1)
        if is_weekday(current, holidays):
            remaining -= 1
    return current


def weekdays_between(start: date, end: date, holidays: Holidays = NO_HOLIDAYS) -> int:
    """Weekdays after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_weekday(current, holidays):
            count += 1
    return count
