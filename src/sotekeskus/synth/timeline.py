"""The day and week grid of the simulated period, and the time profiles laid over it.

Days are indexed 0..n_days-1 from the start date; weeks are Monday-aligned (week 0 holds the
start date). Times of day are minutes after midnight, naive local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from sotekeskus.synth.calibration import AREAS, Calibration, Knots

_EPOCH = np.datetime64("1970-01-01", "D")
_PAD = 7 * 400  # the weekday table reaches this many days before the start
_WEEKDAYS = np.tile(np.arange(7, dtype=np.int64), 20_000)  # Monday = 0, for 383 years


def to_epoch_days(value: date | str) -> int:
    return int((np.datetime64(str(value), "D") - _EPOCH).astype(np.int64))


def interpolate(knots: Knots, epoch_days: np.ndarray) -> np.ndarray:
    """Piecewise-linear profile through ``(date, value)`` knots, flat outside them."""
    xs = np.array([to_epoch_days(d) for d, _ in knots], dtype=np.float64)
    ys = np.array([v for _, v in knots], dtype=np.float64)
    return np.interp(epoch_days.astype(np.float64), xs, ys)


@dataclass(frozen=True)
class Timeline:
    start: date
    end: date
    n_days: int
    epoch0: int  # epoch day of the start date
    epoch_days: np.ndarray  # (n_days,) int64
    dow: np.ndarray  # (n_days,) Monday = 0
    month: np.ndarray  # (n_days,) 1..12
    year: np.ndarray  # (n_days,)
    dow0: int  # weekday of the start date
    n_weeks: int
    holiday: np.ndarray  # (n_days,) bool

    @classmethod
    def build(cls, start: date, end: date, calibration: Calibration) -> Timeline:
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        epoch0 = to_epoch_days(start)
        n_days = (end - start).days + 1
        epoch_days = epoch0 + np.arange(n_days, dtype=np.int64)
        dates = _EPOCH + epoch_days.astype("timedelta64[D]")
        dow = ((epoch_days + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
        month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        day_of_month = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        mmdd = month * 100 + day_of_month
        holidays = [int(s[:2]) * 100 + int(s[3:]) for s in calibration.holidays_mmdd]
        holiday = np.isin(mmdd, holidays)
        dow0 = int(dow[0])
        n_weeks = (n_days - 1 + dow0) // 7 + 1
        return cls(start, end, n_days, epoch0, epoch_days, dow, month, year, dow0, n_weeks, holiday)

    # --- grid helpers --------------------------------------------------------------------
    def week_of(self, day: np.ndarray) -> np.ndarray:
        return (day + self.dow0) // 7

    def week_monday(self, week: np.ndarray) -> np.ndarray:
        """Day index of the Monday of ``week`` (may be negative for week 0)."""
        return week * 7 - self.dow0

    def weekday_of(self, day: np.ndarray) -> np.ndarray:
        """Monday = 0 for day indices (a table lookup: integer modulo is slow at 10M rows)."""
        day = np.asarray(day)
        shift = self.dow0 + _PAD
        if day.size and int(day.min()) + shift >= 0 and int(day.max()) + shift < _WEEKDAYS.size:
            return _WEEKDAYS[day + shift]
        return (day + self.dow0) % 7

    def roll_to_weekday(self, day: np.ndarray) -> np.ndarray:
        """The same day if it is Monday-Friday, else the following Monday."""
        wd = self.weekday_of(day)
        return day + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))

    def add_weekdays(self, day: np.ndarray, count: np.ndarray) -> np.ndarray:
        """The ``count``-th weekday after ``day`` (count >= 1), as in
        ``sotekeskus.domain.calendar.add_weekdays``: Friday or Saturday + 3 = Wednesday."""
        wd = self.weekday_of(day)
        friday = day - np.maximum(wd - 4, 0)  # a weekend day counts from the Friday before
        wd = np.minimum(wd, 4)
        total = wd + count
        return friday - wd + (total // 5) * 7 + total % 5

    def week_mondays(self) -> list[str]:
        mondays = self.epoch0 + self.week_monday(np.arange(self.n_weeks))
        return [str(d) for d in (_EPOCH + mondays.astype("timedelta64[D]"))]

    def profile(self, knots: Knots) -> np.ndarray:
        return interpolate(knots, self.epoch_days)

    # --- calibrated rhythms --------------------------------------------------------------
    def contact_intensity(self, calibration: Calibration) -> np.ndarray:
        """(areas, n_days) expected share of a normal year's contacts falling on each day.

        A normal year sums to 1 per area; pandemic factors move it below or above.
        """
        weekday = np.asarray(calibration.weekday_factors)[self.dow]
        weekday = np.where(self.holiday, weekday.min(), weekday)
        base = weekday * np.asarray(calibration.month_factors)[self.month - 1]
        # Normalise on a reference calendar year so that results do not depend on the
        # simulated period.
        ref = Timeline.build(date(2019, 1, 1), date(2019, 12, 31), calibration)
        ref_weekday = np.asarray(calibration.weekday_factors)[ref.dow]
        ref_weekday = np.where(ref.holiday, ref_weekday.min(), ref_weekday)
        ref_total = float(
            (ref_weekday * np.asarray(calibration.month_factors)[ref.month - 1]).sum()
        )
        out = np.empty((len(AREAS), self.n_days))
        for i, area in enumerate(AREAS):
            knots = calibration.demand_factors.get(area, calibration.demand_factors["default"])
            out[i] = base * self.profile(knots) / ref_total
        return out

    def _capacity_days(self, calibration: Calibration) -> np.ndarray:
        months = np.asarray(calibration.capacity_month_factors, dtype=np.float64)
        open_day = (self.dow < 5) & ~self.holiday
        return open_day * months[self.month - 1]

    def weekly_capacity_factor(self, calibration: Calibration) -> np.ndarray:
        """(areas, n_weeks) capacity relative to an average week of a normal year."""
        ref = Timeline.build(date(2019, 1, 1), date(2019, 12, 31), calibration)
        ref_week = float(ref._capacity_days(calibration).sum()) / (365.0 / 7.0)
        week = self.week_of(np.arange(self.n_days))
        weekly = (
            np.bincount(week, weights=self._capacity_days(calibration), minlength=self.n_weeks)
            / ref_week
        )
        # A week cut by the start or end of the period keeps a full week's capacity: the
        # clinic runs the whole week; visits booked past the end date stay "waiting".
        days_in_week = np.bincount(week, minlength=self.n_weeks)
        partial = days_in_week < 7
        if partial.any():
            full = np.median(weekly[~partial]) if (~partial).any() else 1.0
            weekly = np.where(partial, np.maximum(weekly, full), weekly)
        out = np.empty((len(AREAS), self.n_weeks))
        for i, area in enumerate(AREAS):
            knots = calibration.capacity_factors.get(area, calibration.capacity_factors["default"])
            factor = np.bincount(week, weights=self.profile(knots), minlength=self.n_weeks)
            out[i] = weekly * factor / days_in_week
        return out

    def weekly_demand_factor(self, intensity: np.ndarray) -> np.ndarray:
        """(areas, n_weeks) expected contacts per week relative to an average normal week."""
        week = self.week_of(np.arange(self.n_days))
        out = np.empty((intensity.shape[0], self.n_weeks))
        for i in range(intensity.shape[0]):
            out[i] = np.bincount(week, weights=intensity[i], minlength=self.n_weeks)
        return out * (365.25 / 7.0)
