"""Reporting periods: one strict parser for months, quarters and years."""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.domain.periods import PeriodError, period_bounds, period_kind, periods_between


@pytest.mark.parametrize(("period", "bounds"), [
    ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
    ("2025-Q4", (date(2025, 10, 1), date(2025, 12, 31))),
    ("2025-Q1", (date(2025, 1, 1), date(2025, 3, 31))),
    ("2024", (date(2024, 1, 1), date(2024, 12, 31))),
])
def test_bounds(period: str, bounds: tuple[date, date]) -> None:
    assert period_bounds(period) == bounds


@pytest.mark.parametrize("bad", ["2025-3", "2025-Q01", "25-03", "2025-00", "2025-13", "0000",
                                 "2025-Q5", "2025 ", "", "2025-Q", "20250"])
def test_loose_forms_are_refused(bad: str) -> None:
    with pytest.raises(PeriodError, match="YYYY-MM, YYYY-Qn or YYYY"):
        period_kind(bad)


def test_periods_between() -> None:
    assert periods_between("2024-Q3", "2025-Q1", "quarter") == ["2024-Q3", "2024-Q4", "2025-Q1"]
    assert periods_between("2022", "2025", "year") == ["2022", "2023", "2024", "2025"]
    with pytest.raises(PeriodError):
        periods_between("2024-01", "2024-03", "month")
