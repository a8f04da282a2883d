"""Calendar arithmetic used by the care-guarantee rules.

* Calendar months clamp to the month end: 2022-01-31 + 3 months = 2022-04-30.
* Age is completed years. A person reaches age N on the date ``birth_date + N years``
  (with the same clamping, so one born on 29 February turns N on 28 February in a
  common year, as in the Finnish act on computing time, 150/1930).
* Weekdays are Monday–Friday; public holidays are not modelled.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


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


def add_weekdays(start: date, weekdays: int) -> date:
    """The ``weekdays``-th weekday after ``start``.

    With 0 the result is ``start`` itself when it is a weekday, else the next Monday
    ("the same day, on weekdays"). With 3, a contact on Friday has its deadline on
    Wednesday and one on Saturday on Wednesday too.
    """
    current = start
    if weekdays == 0:
        while current.weekday() >= 5:
            current += timedelta(days=1)
        return current
    remaining = weekdays
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
