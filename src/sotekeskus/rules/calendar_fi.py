"""The Finnish holiday calendar that weekday limits skip (from the ``holidays`` package).

A weekday (arkipäivä) is Monday–Friday that is not one of these days. The ``holidays``
package's Finland calendar has the public holidays (New Year's Day, Epiphany, Good Friday,
Easter Sunday and Monday, May Day, Ascension Day, Whit Sunday, Midsummer Day, All Saints'
Day, Independence Day, Christmas Day, St Stephen's Day) and also Midsummer Eve and
Christmas Eve, which the act on computing statutory time limits (150/1930, 5 §) treats
like holidays: offices are closed, so no deadline can fall on them.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache


@lru_cache(maxsize=512)
def holidays_of_year(year: int) -> dict[date, str]:
    """Holidays of one year: date → English name."""
    import holidays as holidays_package  # imported on first use: a report may need none

    return dict(holidays_package.country_holidays("FI", years=year))


class FinnishHolidays:
    """``day in FinnishHolidays()``: is ``day`` a Finnish holiday (or Midsummer / Christmas
    Eve)? Years are computed on first use and cached; instances are interchangeable."""

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in holidays_of_year(day.year)

    def __repr__(self) -> str:
        return "FinnishHolidays()"


FINNISH_HOLIDAYS = FinnishHolidays()
