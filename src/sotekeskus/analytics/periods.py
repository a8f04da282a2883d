"""Reporting periods of a timestamp: ``YYYY-MM`` (month), ``YYYY-Qn`` (quarter), ``YYYY``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Ibis is imported by whoever builds the expression, not by importing this
    import ibis.expr.types as ir

PERIODS = ("month", "quarter", "year")


class PeriodError(ValueError):
    pass


def period_label(ts: ir.TimestampValue, by: str) -> ir.StringValue:
    if by == "month":
        return ts.strftime("%Y-%m")
    if by == "quarter":
        return (ts.year().cast("string") + "-Q"
                + ((ts.month() + 2) // 3).cast("int64").cast("string"))
    if by == "year":
        return ts.year().cast("string")
    raise PeriodError(f"period {by!r}: use one of {', '.join(PERIODS)}")
