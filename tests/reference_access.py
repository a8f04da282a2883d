"""Plain-Python reference implementation of the indicators: the test oracle.

Written straight from shared/docs/domain.md, row by row, with no engine: the oracle that
every backend (DuckDB snapshot, Parquet, PostgreSQL, …) must agree with, in the hypothesis
tests (``tests/test_engine_agreement.py``) and as the ``oracle`` engine of the shared spec
tests (``tests/spec/``). Deadlines come from the pure domain rules (``RuleBook.deadline``),
not from the Ibis compilation of them.

:class:`Oracle` answers the same questions, with the same signatures, as
:class:`sotekeskus.analytics.engine.Analytics`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.domain.calendar import has_reached_age
from sotekeskus.domain.episode import Episode
from sotekeskus.domain.indicators import AGE_GROUPS, median, pct
from sotekeskus.domain.rules import Leg, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import (
    DEFAULT_REMOTE_MODES,
    ContactMode,
    ServiceArea,
    Status,
    Urgency,
)

Row = dict[str, Any]


def access_report(episodes: Iterable[Episode], book: RuleBook,
                  by_unit: bool = False) -> list[dict[str, Any]]:
    groups: dict[tuple[str, ...], list[Episode]] = defaultdict(list)
    for ep in episodes:
        if ep.status is not Status.DONE or ep.visit_at is None:
            continue
        key = (ep.visit_at.strftime("%Y-%m"), ep.service_area.value,
               ep.professional_group.value) + ((ep.unit_id,) if by_unit else ())
        groups[key].append(ep)
    rows = []
    for key in sorted(groups):
        eps = groups[key]
        access = [e for e in eps if e.is_access_visit]
        waits = [e.wait_days for e in access if e.wait_days is not None]
        base = [e for e in eps if e.urgency is Urgency.NON_URGENT and not e.plan_based]
        remote = [e for e in eps if e.contact_mode in DEFAULT_REMOTE_MODES]
        area = ServiceArea(key[1])
        breaches: int | None = None
        if book.has_rules_for(area):
            breaches = 0
            for e in access:
                deadline = book.deadline(e)
                assert e.visit_at is not None
                if deadline is not None and e.visit_at.date() > deadline:
                    breaches += 1
        row: dict[str, Any] = {"month": key[0], "service_area": key[1],
                               "professional_group": key[2]}
        if by_unit:
            row["unit_id"] = key[3]
        row.update(
            visits=len(access),
            within_7d_pct=pct(sum(w <= 7 for w in waits), len(access)),
            within_14d_pct=pct(sum(w <= 14 for w in waits), len(access)),
            over_90d=sum(w > 90 for w in waits),
            median_wait_days=median(waits),
            legal_breaches=breaches,
            assessment_coverage_pct=pct(len(access), len(base)),
            remote_share_pct=pct(len(remote), len(eps)),
        )
        rows.append(row)
    return rows


def waiting_list(episodes: Iterable[Episode], book: RuleBook, on: date) -> list[dict[str, Any]]:
    rows = []
    for e in episodes:
        if e.assessed_at is None or e.assessed_at.date() > on:
            continue
        if e.urgency is not Urgency.NON_URGENT or e.status is Status.CANCELLED:
            continue
        if not (e.status is Status.WAITING or (e.visit_at is not None and e.visit_at.date() > on)):
            continue
        deadline = book.deadline(e, RuleKind.LEGAL)
        rows.append({
            "episode_id": e.episode_id, "unit_id": e.unit_id,
            "professional_group": e.professional_group.value,
            "days_waited": (on - e.assessed_at.date()).days,
            "legal_deadline": deadline,
            "days_to_deadline": (deadline - on).days if deadline else None,
        })
    return sorted(rows, key=lambda r: r["episode_id"])


# ---------------------------------------------------------------------------------------
# The oracle engine: every indicator of the facade, over a list of episodes.
# ---------------------------------------------------------------------------------------
def in_age_group(e: Episode, group: str) -> bool:
    """Age on the contact date (completed years) within the group's bounds."""
    lo, hi = AGE_GROUPS[group]
    day = e.contact_at.date()
    return has_reached_age(e.birth_date, lo, day) and (
        hi is None or not has_reached_age(e.birth_date, hi, day))


def in_scope(e: Episode, flt: AccessFilter) -> bool:
    """Unit, service area, professional group and age group of the filter (not the period)."""
    return ((flt.unit_ids is None or e.unit_id in flt.unit_ids)
            and (not flt.service_areas or e.service_area.value in flt.service_areas)
            and (not flt.professional_groups
                 or e.professional_group.value in flt.professional_groups)
            and (not flt.age_group or in_age_group(e, flt.age_group)))


def in_months(month: str, flt: AccessFilter) -> bool:
    """``YYYY-MM`` within the filter's inclusive month range."""
    return ((not flt.month_from or month >= flt.month_from)
            and (not flt.month_to or month <= flt.month_to))


def period_of(day: date, by: str) -> str:
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``."""
    if by == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if by == "quarter":
        return f"{day.year:04d}-Q{(day.month + 2) // 3}"
    if by == "year":
        return f"{day.year:04d}"
    raise ValueError(f"period {by!r}")


def access_figures(eps: list[Episode], book: RuleBook,
                   areas: Iterable[ServiceArea]) -> Row:
    """The published access figures of one group of done episodes. ``areas``: the service
    areas the group covers (``legal_breaches`` / target figures are null when none of them
    has a rule of that kind)."""
    access = [e for e in eps if e.is_access_visit]
    waits = [e.wait_days for e in access if e.wait_days is not None]
    base = [e for e in eps if e.urgency is Urgency.NON_URGENT and not e.plan_based]
    remote = [e for e in eps if e.contact_mode in DEFAULT_REMOTE_MODES]
    covered = set(areas)

    def late(kind: RuleKind) -> tuple[int, int]:
        under, missed = 0, 0
        for e in access:
            deadline = book.deadline(e, kind)
            if deadline is None:
                continue
            under += 1
            assert e.visit_at is not None
            missed += e.visit_at.date() > deadline
        return under, missed

    has_legal = any(book.has_rules_for(a) for a in covered)
    has_target = any(book.has_rules_for(a, RuleKind.TARGET, Leg.ASSESSMENT_TO_VISIT)
                     for a in covered)
    _, breaches = late(RuleKind.LEGAL)
    target_visits, target_misses = late(RuleKind.TARGET)
    return {
        "visits": len(access),
        "within_7d_pct": pct(sum(w <= 7 for w in waits), len(access)),
        "within_14d_pct": pct(sum(w <= 14 for w in waits), len(access)),
        "over_90d": sum(w > 90 for w in waits),
        "median_wait_days": median(waits),
        "legal_breaches": breaches if has_legal else None,
        "assessment_coverage_pct": pct(len(access), len(base)),
        "remote_share_pct": pct(len(remote), len(eps)),
        "target_misses": target_misses if has_target else None,
        "within_target_pct": (pct(target_visits - target_misses, target_visits)
                              if has_target else None),
    }


@dataclass(frozen=True)
class OracleWaitingList:
    on: date
    rows: list[Row]
    summary: list[Row]


class Oracle:
    """The indicators of :class:`~sotekeskus.analytics.engine.Analytics`, in plain Python."""

    engine_name = "oracle"

    def __init__(self, episodes: Iterable[Episode], book: RuleBook) -> None:
        self.episodes = list(episodes)
        self.rulebook = book

    def _done(self, flt: AccessFilter) -> list[Episode]:
        return [e for e in self.episodes
                if e.status is Status.DONE and e.visit_at is not None and in_scope(e, flt)
                and in_months(period_of(e.visit_at.date(), "month"), flt)]

    def _grouped(self, eps: list[Episode], key: Callable[[Episode], tuple[str, ...]],
                 names: tuple[str, ...], areas: Callable[[tuple[str, ...]], Iterable[ServiceArea]]
                 ) -> list[Row]:
        groups: dict[tuple[str, ...], list[Episode]] = defaultdict(list)
        for e in eps:
            groups[key(e)].append(e)
        return [{**dict(zip(names, k, strict=True)),
                 **access_figures(groups[k], self.rulebook, areas(k))} for k in sorted(groups)]

    def access_report(self, flt: AccessFilter | None = None, *, by_unit: bool = False
                      ) -> list[Row]:
        """One row per month of the visit × service area × professional group (× unit)."""
        def key(e: Episode) -> tuple[str, ...]:
            assert e.visit_at is not None
            k = (period_of(e.visit_at.date(), "month"), e.service_area.value,
                 e.professional_group.value)
            return k + ((e.unit_id,) if by_unit else ())
        names = ("month", "service_area", "professional_group") + (
            ("unit_id",) if by_unit else ())
        rows = self._grouped(self._done(flt or AccessFilter()), key, names,
                             lambda k: (ServiceArea(k[1]),))
        if by_unit:  # the engines order by month, area, group, unit
            rows.sort(key=lambda r: (r["month"], r["service_area"], r["professional_group"],
                                     r["unit_id"]))
        return rows

    def access_summary(self, flt: AccessFilter | None = None, by: str = "month") -> list[Row]:
        """One row per period of the visit over everything the filter selects."""
        flt = flt or AccessFilter()
        areas = [ServiceArea(a) for a in flt.service_areas] if flt.service_areas else list(
            ServiceArea)

        def key(e: Episode) -> tuple[str, ...]:
            assert e.visit_at is not None
            return (period_of(e.visit_at.date(), by),)
        return self._grouped(self._done(flt), key, ("month",), lambda k: areas)

    def waiting_list(self, on: date, flt: AccessFilter | None = None) -> OracleWaitingList:
        """Waiting on ``on`` (domain.md): assessed on or before, non-urgent, not cancelled,
        status waiting or seen after ``on``; with the legal deadline of each."""
        flt = flt or AccessFilter()
        rows = []
        for e in self.episodes:
            if not in_scope(e, flt) or e.assessed_at is None or e.assessed_at.date() > on:
                continue
            if e.urgency is not Urgency.NON_URGENT or e.status is Status.CANCELLED:
                continue
            if not (e.status is Status.WAITING
                    or (e.visit_at is not None and e.visit_at.date() > on)):
                continue
            deadline = self.rulebook.deadline(e, RuleKind.LEGAL)
            rows.append({
                "episode_id": e.episode_id, "person_id": e.person_id, "unit_id": e.unit_id,
                "service_area": e.service_area.value,
                "professional_group": e.professional_group.value,
                "assessed_on": e.assessed_at.date(),
                "days_waited": (on - e.assessed_at.date()).days,
                "legal_deadline": deadline,
                "days_to_deadline": (deadline - on).days if deadline else None,
            })
        rows.sort(key=lambda r: (-r["days_waited"], r["episode_id"]))
        groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for r in rows:
            groups[(r["unit_id"], r["professional_group"])].append(r)
        summary = []
        for (unit, group), members in sorted(groups.items()):
            left = [r["days_to_deadline"] for r in members
                    if r["days_to_deadline"] is not None]
            summary.append({
                "unit_id": unit, "professional_group": group, "waiting": len(members),
                "past_deadline": sum(d < 0 for d in left),
                "due_today": sum(d == 0 for d in left),
                "due_within_7d": sum(0 <= d <= 7 for d in left),
                "longest_wait_days": max(r["days_waited"] for r in members),
            })
        return OracleWaitingList(on, rows, summary)

    def _contacts_on(self, day: date, flt: AccessFilter | None) -> list[Episode]:
        flt = flt or AccessFilter()
        return [e for e in self.episodes if e.contact_at.date() == day and in_scope(e, flt)]

    def contacts_by_channel(self, day: date, flt: AccessFilter | None = None) -> list[Row]:
        """The day's contacts by contact mode (null: not recorded), ordered by mode."""
        counts: dict[str | None, int] = defaultdict(int)
        for e in self._contacts_on(day, flt):
            counts[e.contact_mode.value if e.contact_mode else None] += 1
        return [{"contact_mode": m, "contacts": counts[m]}
                for m in sorted(counts, key=lambda m: (m is None, m or ""))]

    def assessments_not_same_day(self, day: date, flt: AccessFilter | None = None
                                 ) -> list[Row]:
        """Of the day's contacts, those not assessed that day, per unit × service area."""
        groups: dict[tuple[str, str], list[Episode]] = defaultdict(list)
        for e in self._contacts_on(day, flt):
            groups[(e.unit_id, e.service_area.value)].append(e)
        out = []
        for (unit, area), eps in sorted(groups.items()):
            late = sum(e.assessed_at is None or e.assessed_at.date() > e.contact_at.date()
                       for e in eps)
            out.append({"unit_id": unit, "service_area": area, "contacts": len(eps),
                        "not_assessed_same_day": late,
                        "not_assessed_same_day_pct": pct(late, len(eps))})
        return out

    def channel_share(self, flt: AccessFilter | None = None, *,
                      remote_modes: Iterable[str] = tuple(m.value
                                                          for m in DEFAULT_REMOTE_MODES),
                      min_age: int | None = None, by: str = "quarter") -> list[Row]:
        """Done episodes in a remote mode ÷ done episodes, per period of the visit; with
        ``min_age``, only people of that age or over on the visit date."""
        flt = flt or AccessFilter()
        modes = {ContactMode(m) for m in remote_modes}
        lo, hi = flt.month_bounds()
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for e in self.episodes:
            if e.status is not Status.DONE or e.visit_at is None or not in_scope(e, flt):
                continue
            day = e.visit_at.date()
            if (lo and day < lo) or (hi and day >= hi):
                continue
            if min_age is not None and not has_reached_age(e.birth_date, min_age, day):
                continue
            c = counts[period_of(day, by)]
            c[0] += 1
            c[1] += e.contact_mode in modes
        return [{"period": p, "done": d, "remote": r, "remote_share_pct": pct(r, d)}
                for p, (d, r) in sorted(counts.items())]
