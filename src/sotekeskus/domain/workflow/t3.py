"""T3: the third next available non-urgent appointment, in calendar days (THL).

Definitions (``shared/docs/domain.md`` "T3", issue 12 §6):

* A slot **counts** on measurement day D when it is ``free``, of kind ``non_urgent`` and its
  start **date** is D or later (a free slot at 08:00 on D counts even when measured at noon:
  D is a day, not an instant).
* A professional's T3 on D = calendar days from D to the start **date** of their third
  counting slot (slots ordered by start): 0 when that slot is on D.
* **182** when the professional has fewer than three counting slots, and T3 is capped at 182
  (:data:`T3_CAP_DAYS`): THL records 182 "when no appointment can be offered within 182
  days". Whether "within 182 days" ends on D+181 or D+182 cannot change a value: a third slot
  on D+182 gives 182 days and so does none, so T3 = min(days, 182).
* A professional is identified per (unit, professional group, professional id): one who
  works in two units has a T3 in each. Every professional with at least one slot (of any
  kind or status) is measured, so one whose diary is full counts with 182.
* The **unit** figure is the median of its professionals' T3 per (unit, professional group):
  the middle value, or the mean of the two middle values when their number is even.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sotekeskus.domain.vocabulary import ProfessionalGroup
from sotekeskus.domain.workflow.codes import SlotKind, SlotStatus

#: T3 when no third free non-urgent slot exists within reach; also the cap.
T3_CAP_DAYS = 182
#: Which free non-urgent slot T3 measures (the third).
T3_NTH_SLOT = 3


@dataclass(frozen=True, slots=True)
class Slot:
    """One appointment slot of one professional (a slot export row, or a product slot)."""

    professional_id: str
    unit_id: str
    professional_group: ProfessionalGroup
    start: datetime
    end: datetime
    kind: SlotKind
    status: SlotStatus

    def counts_on(self, on: date) -> bool:
        """Free, non-urgent and starting on ``on`` or later."""
        return (self.status is SlotStatus.FREE and self.kind is SlotKind.NON_URGENT
                and self.start.date() >= on)


@dataclass(frozen=True, slots=True, order=True)
class ProfessionalKey:
    unit_id: str
    professional_group: ProfessionalGroup
    professional_id: str


@dataclass(frozen=True, slots=True)
class ProfessionalT3:
    professional_id: str
    unit_id: str
    professional_group: ProfessionalGroup
    t3_days: int


@dataclass(frozen=True, slots=True)
class UnitT3:
    """Median T3 of a unit's professionals of one group; ``professionals`` = how many."""

    unit_id: str
    professional_group: ProfessionalGroup
    t3_days: float
    professionals: int


@dataclass(frozen=True, slots=True)
class T3Result:
    on: date
    professionals: tuple[ProfessionalT3, ...]
    units: tuple[UnitT3, ...]


def t3_days(slot_starts: Iterable[date | datetime], on: date) -> int:
    """T3 of one professional from the start dates of their **counting** slots."""
    days = sorted((s.date() if isinstance(s, datetime) else s) for s in slot_starts)
    days = [d for d in days if d >= on]
    if len(days) < T3_NTH_SLOT:
        return T3_CAP_DAYS
    return min((days[T3_NTH_SLOT - 1] - on).days, T3_CAP_DAYS)


def median(values: Sequence[float]) -> float:
    """The middle value; the mean of the two middle values when the count is even."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def compute_t3(slots: Iterable[Slot], on: date) -> T3Result:
    """T3 per professional and the unit medians per professional group, on day ``on``.

    Professionals are listed by unit, group and id; units by unit and group.
    """
    starts: dict[ProfessionalKey, list[date]] = defaultdict(list)
    for slot in slots:
        key = ProfessionalKey(slot.unit_id, slot.professional_group, slot.professional_id)
        bucket = starts[key]  # every professional with a slot is measured
        if slot.counts_on(on):
            bucket.append(slot.start.date())
    professionals = tuple(
        ProfessionalT3(k.professional_id, k.unit_id, k.professional_group,
                       t3_days(starts[k], on))
        for k in sorted(starts))
    by_unit: dict[tuple[str, ProfessionalGroup], list[int]] = defaultdict(list)
    for p in professionals:
        by_unit[(p.unit_id, p.professional_group)].append(p.t3_days)
    units = tuple(UnitT3(unit, group, median(values), len(values))
                  for (unit, group), values in sorted(by_unit.items()))
    return T3Result(on, professionals, units)
