"""Calendar arithmetic behind the care-guarantee rules (``sotekeskus.domain.calendar``).

Expectations are worked out by hand from ``shared/docs/domain.md`` ("3 months" are calendar
months clamped to the month end; age is completed years on the assessment date) and from a
printed calendar; the property tests compare against independent stdlib computations.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sotekeskus.domain.calendar import add_months, add_weekdays, add_years, age_on, has_reached_age

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _birthday(birth: date, year: int) -> date:
    """The birthday in ``year`` computed without the code under test (29 Feb → 28 Feb)."""
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birth.replace(year=year)


# --------------------------------------------------------------------------- add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # domain.md: assessment on 2022-01-31 -> 3-month deadline 2022-04-30
        (date(2022, 1, 31), 3, date(2022, 4, 30)),
        # 4 months from 31 Oct lands in February of a common year
        (date(2024, 10, 31), 4, date(2025, 2, 28)),
        # leap year: 30 Nov + 3 months = 29 Feb 2024
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 3, 31), 3, date(2025, 6, 30)),
        # no clamping needed: same day of month
        (date(2025, 3, 10), 3, date(2025, 6, 10)),
        (date(2025, 3, 10), 6, date(2025, 9, 10)),
        (date(2023, 9, 1), 4, date(2024, 1, 1)),
        # year roll-over
        (date(2023, 12, 15), 1, date(2024, 1, 15)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        # zero and negative
        (date(2025, 1, 31), 0, date(2025, 1, 31)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 1, 31), -14, date(2023, 11, 30)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_years_is_twelve_months_with_clamping() -> None:
    assert add_years(date(2002, 3, 10), 23) == date(2025, 3, 10)
    assert add_years(date(2004, 2, 29), 23) == date(2027, 2, 28)
    assert add_years(date(2004, 2, 29), 24) == date(2028, 2, 29)


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    months=st.integers(min_value=-240, max_value=240),
)
def test_add_months_property_same_day_or_month_end(start: date, months: int) -> None:
    result = add_months(start, months)
    # exactly ``months`` calendar months later
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    last = _last_day(result.year, result.month)
    if start.day <= last:
        assert result.day == start.day
    else:
        # the day does not exist in the target month: clamp to its last day
        assert result.day == last


# --------------------------------------------------------------------------- age_on


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2002, 3, 10), 0),
        (date(2003, 3, 9), 0),
        (date(2003, 3, 10), 1),
        (date(2024, 12, 31), 22),
        (date(2025, 3, 9), 22),
        (date(2025, 3, 10), 23),  # domain.md: born 2002-03-10 is 23 on 2025-03-10
        (date(2025, 3, 11), 23),
        (date(2026, 3, 9), 23),
        (date(2026, 3, 10), 24),
    ],
)
def test_age_on_is_completed_years_birthday_counts(on: date, expected: int) -> None:
    assert age_on(date(2002, 3, 10), on) == expected


def test_has_reached_age_on_the_birthday_not_the_day_before() -> None:
    born = date(2002, 3, 10)
    assert not has_reached_age(born, 23, date(2025, 3, 9))
    assert has_reached_age(born, 23, date(2025, 3, 10))
    assert has_reached_age(born, 22, date(2025, 3, 9))


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2001, 2, 27), 0),
        (date(2001, 2, 28), 1),
        (date(2001, 3, 1), 1),
        (date(2003, 2, 28), 3),
        (date(2004, 2, 28), 3),
        (date(2004, 2, 29), 4),
        (date(2004, 3, 1), 4),
        (date(2023, 2, 27), 22),
        (date(2023, 2, 28), 23),
    ],
)
def test_age_on_for_person_born_29_february(on: date, expected: int) -> None:
    """Born 29 February 2000: in a common year the birthday falls on 28 February.

    The code computes the birthday as ``birth_date + N years`` with the calendar-month
    clamping of ``add_months``, so a 29 February birth date maps to 28 February in a
    common year and to 29 February in a leap year. That is what the Finnish act on
    computing time (laki säädettyjen määräaikain laskemisesta 150/1930, 4 §) prescribes:
    a period counted in years ends on the day with the same number in the final month,
    and when that month has no such day, on the last day of the month. Age is such a
    period, so the person reaches age N on 28 February in a common year (not on
    1 March), and 28 February 2001 is already the first birthday.
    """
    born = date(2000, 2, 29)
    assert age_on(born, on) == expected
    assert has_reached_age(born, expected, on)
    assert not has_reached_age(born, expected + 1, on)


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    years=st.integers(min_value=1, max_value=110),
)
def test_age_on_property_increases_by_one_on_each_birthday(birth: date, years: int) -> None:
    birthday = _birthday(birth, birth.year + years)
    assert age_on(birth, birthday) == years
    assert age_on(birth, birthday - timedelta(days=1)) == years - 1
    assert has_reached_age(birth, years, birthday)
    assert not has_reached_age(birth, years, birthday - timedelta(days=1))


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    offset=st.integers(min_value=0, max_value=110 * 366),
)
def test_age_on_property_steps_only_on_birthdays(birth: date, offset: int) -> None:
    day = birth + timedelta(days=offset)
    step = age_on(birth, day + timedelta(days=1)) - age_on(birth, day)
    next_day = day + timedelta(days=1)
    is_birthday = next_day == _birthday(birth, next_day.year)
    assert step == (1 if is_birthday else 0)


# --------------------------------------------------------------------------- add_weekdays


@pytest.mark.parametrize(
    ("start", "weekdays", "expected"),
    [
        (date(2025, 3, 10), 3, date(2025, 3, 13)),  # Mon -> Thu
        (date(2025, 3, 13), 3, date(2025, 3, 18)),  # Thu -> Tue (over the weekend)
        (date(2025, 3, 14), 3, date(2025, 3, 19)),  # Fri -> Wed
        (date(2025, 3, 15), 3, date(2025, 3, 19)),  # Sat -> Wed (Mon, Tue, Wed)
        (date(2025, 3, 16), 3, date(2025, 3, 19)),  # Sun -> Wed
        (date(2025, 3, 14), 1, date(2025, 3, 17)),  # Fri -> Mon
        (date(2025, 3, 14), 5, date(2025, 3, 21)),  # Fri -> next Fri
        (date(2025, 3, 14), 10, date(2025, 3, 28)),  # two working weeks
        (date(2024, 12, 31), 3, date(2025, 1, 3)),  # Tue -> Fri across the year end
        # 0: the same day if a weekday, else the next Monday
        (date(2025, 3, 12), 0, date(2025, 3, 12)),  # Wed
        (date(2025, 3, 14), 0, date(2025, 3, 14)),  # Fri
        (date(2025, 3, 15), 0, date(2025, 3, 17)),  # Sat -> Mon
        (date(2025, 3, 16), 0, date(2025, 3, 17)),  # Sun -> Mon
    ],
)
def test_add_weekdays_skips_weekends(start: date, weekdays: int, expected: date) -> None:
    assert expected.weekday() < SAT  # the hand-picked answer is itself a weekday
    assert add_weekdays(start, weekdays) == expected


def test_hand_picked_weekdays_are_right() -> None:
    """Guard the calendar used above: 2025-03-10 is a Monday, 2025-03-15 a Saturday."""
    assert date(2025, 3, 10).weekday() == MON
    assert date(2025, 3, 14).weekday() == FRI
    assert date(2025, 3, 15).weekday() == SAT
    assert date(2025, 3, 16).weekday() == SUN
    assert date(2024, 12, 31).weekday() == TUE


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    weekdays=st.integers(min_value=0, max_value=40),
)
def test_add_weekdays_property(start: date, weekdays: int) -> None:
    result = add_weekdays(start, weekdays)
    assert result.weekday() < SAT
    if weekdays == 0:
        expected = start
        while expected.weekday() >= SAT:
            expected += timedelta(days=1)
        assert result == expected
        return
    assert result > start
    span = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(1 for d in span if d.weekday() < SAT) == weekdays
