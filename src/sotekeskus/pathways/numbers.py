"""Rounding of published figures (the same on every engine)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float | None, digits: int) -> float | None:
    """``value`` rounded half up to ``digits`` decimals (0.6875 → 0.688 with 3 digits).

    The value is first rounded to 9 decimals, so that floating-point noise of a computed
    mean (0.68749999999 for an exact 0.6875) does not turn a tie downwards."""
    if value is None:
        return None
    exact = Decimal(repr(round(value, 9)))
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
