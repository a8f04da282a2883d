"""Slots from weekly availability templates and exceptions (pure).

A **template row** gives, for one professional, a weekday (0 = Monday … 6 = Sunday), the
hours ``start``–``end`` and a slot length: on every such weekday from ``valid_from`` to
``valid_to`` (inclusive; open-ended when None) it yields back-to-back slots of
``slot_minutes`` starting at ``start``; a remainder shorter than one slot is not a slot.
An **absence** removes every slot that overlaps it; an **extra shift** adds slots in its
window like a one-off template row. Two slots of one professional never start at the same
minute (the first one generated wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sotekeskus.domain.workflow.codes import ServiceMode, SlotKind


class ScheduleError(ValueError):
    """An invalid template or exception; names the field."""


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """What a generated slot carries besides its time."""

    unit_id: str
    service_id: str | None
    mode: ServiceMode
    kind: SlotKind


@dataclass(frozen=True, slots=True)
class TemplateRow:
    weekday: int
    start: time
    end: time
    slot_minutes: int
    spec: SlotSpec
    valid_from: date
    valid_to: date | None = None
    template_id: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ScheduleError(f"weekday: 0 (Monday) … 6 (Sunday), not {self.weekday}")
        if not 5 <= self.slot_minutes <= 480:
            raise ScheduleError(f"slot_minutes: 5–480, not {self.slot_minutes}")
        if self.end <= self.start:
            raise ScheduleError("end: must be after start")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ScheduleError("valid_to: must not be before valid_from")


@dataclass(frozen=True, slots=True)
class Window:
    """An absence (``extra`` False) or an extra shift (``extra`` True, with a slot spec)."""

    start: datetime
    end: datetime
    extra: bool = False
    slot_minutes: int | None = None
    spec: SlotSpec | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ScheduleError("ends_at: must be after starts_at")
        if self.extra and (self.slot_minutes is None or self.spec is None):
            raise ScheduleError("an extra shift needs slot_minutes, unit, mode and kind")


@dataclass(frozen=True, slots=True)
class GeneratedSlot:
    start: datetime
    end: datetime
    spec: SlotSpec
    template_id: int | None = None


def _fill(start: datetime, end: datetime, minutes: int, spec: SlotSpec,
          template_id: int | None) -> Iterator[GeneratedSlot]:
    step = timedelta(minutes=minutes)
    at = start
    while at + step <= end:
        yield GeneratedSlot(at, at + step, spec, template_id)
        at += step


def parse_hhmm(text: str, field: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ScheduleError(f"{field}: a time HH:MM such as 08:00, not {text[:20]!r}") from None


def generate(templates: Iterable[TemplateRow], exceptions: Iterable[Window],
             date_from: date, date_to: date) -> list[GeneratedSlot]:
    """Slots of one professional on ``date_from`` … ``date_to`` (inclusive), by start."""
    rows = list(templates)
    windows = list(exceptions)
    out: dict[datetime, GeneratedSlot] = {}
    day = date_from
    while day <= date_to:
        for row in rows:
            if row.weekday != day.weekday() or day < row.valid_from or (
                    row.valid_to is not None and day > row.valid_to):
                continue
            for slot in _fill(datetime.combine(day, row.start), datetime.combine(day, row.end),
                              row.slot_minutes, row.spec, row.template_id):
                out.setdefault(slot.start, slot)
        day += timedelta(days=1)
    for window in windows:
        if window.extra and window.spec is not None and window.slot_minutes is not None:
            for slot in _fill(window.start, window.end, window.slot_minutes, window.spec, None):
                if date_from <= slot.start.date() <= date_to:
                    out.setdefault(slot.start, slot)
    absences = [w for w in windows if not w.extra]
    kept = [s for s in out.values()
            if not any(s.start < a.end and a.start < s.end for a in absences)]
    return sorted(kept, key=lambda s: s.start)


def overlaps_absence(start: datetime, end: datetime, absences: Iterable[Window]) -> bool:
    return any(start < a.end and a.start < end for a in absences if not a.extra)
