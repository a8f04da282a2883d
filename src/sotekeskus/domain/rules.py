"""Care-guarantee rules and regional targets as dated data.

A rule is a limit between two events of an episode (a *leg*), in force from a date,
scoped by service area, urgency, age on the judging date and optionally professional
group. For the assessment → first care event leg an episode is judged by the rule in
force on its assessment date, for the person's age on that date; for the contact →
assessment leg by the rule in force on the contact date.

Among the rules whose scope matches, the one with the latest ``effective_from`` is in
force (a later rule replaces an earlier one for the same scope). A rule may also carry an
``effective_to`` (exclusive) for a limit that was withdrawn without a successor.

``kind`` separates the law (``legal``) from a region's stricter ``target``; they are
reported apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sotekeskus.domain.calendar import add_months, add_weekdays, has_reached_age
from sotekeskus.domain.episode import Episode
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea, Urgency


class RuleError(ValueError):
    """A rule file or rule row is invalid; the message names the rule and the field."""


class Leg(StrEnum):
    """The two events a limit lies between."""

    CONTACT_TO_ASSESSMENT = "contact_to_assessment"
    ASSESSMENT_TO_VISIT = "assessment_to_visit"


class RuleKind(StrEnum):
    LEGAL = "legal"
    TARGET = "target"


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit of exactly one of: calendar days, calendar months or weekdays.

    ``days: 14`` includes day 14; ``months: 3`` is calendar months clamped to month end;
    ``weekdays: 0`` is the same weekday (a weekend date moves to Monday).
    """

    days: int | None = None
    months: int | None = None
    weekdays: int | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.days, self.months, self.weekdays) if v is not None]
        if len(given) != 1:
            raise RuleError("a limit needs exactly one of days, months, weekdays")
        if given[0] < 0:
            raise RuleError(f"a limit cannot be negative: {given[0]}")

    def deadline(self, start: date) -> date:
        """The last date on which the later event is still on time."""
        if self.days is not None:
            return start + timedelta(days=self.days)
        if self.months is not None:
            return add_months(start, self.months)
        assert self.weekdays is not None
        return add_weekdays(start, self.weekdays)

    def describe(self) -> str:
        if self.days is not None:
            return f"{self.days} d"
        if self.months is not None:
            return f"{self.months} mo"
        return "same weekday" if self.weekdays == 0 else f"{self.weekdays} weekdays"


@dataclass(frozen=True, slots=True)
class Rule:
    """One dated rule row."""

    id: str
    kind: RuleKind
    leg: Leg
    effective_from: date
    service_areas: frozenset[ServiceArea]
    limit: Limit
    source: str
    urgency: Urgency = Urgency.NON_URGENT
    age_from: int | None = None
    age_below: int | None = None
    professional_groups: frozenset[ProfessionalGroup] | None = None
    effective_to: date | None = None
    name: str = ""
    goal_pct: float | None = None
    goal_by: date | None = None

    def in_force_on(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def applies_to(
        self,
        service_area: ServiceArea,
        urgency: Urgency,
        birth_date: date,
        on: date,
        professional_group: ProfessionalGroup | None = None,
    ) -> bool:
        """Scope match (not the date): service area, urgency, age on ``on``, group."""
        if service_area not in self.service_areas or urgency is not self.urgency:
            return False
        if self.age_from is not None and not has_reached_age(birth_date, self.age_from, on):
            return False
        if self.age_below is not None and has_reached_age(birth_date, self.age_below, on):
            return False
        if self.professional_groups is not None:
            return professional_group in self.professional_groups
        return True

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any], *, default_kind: str = "legal") -> Rule:
        """Build a rule from a parsed YAML/JSON mapping, naming the field on error."""
        rule_id = str(row.get("id") or "").strip()
        if not rule_id:
            raise RuleError(f"rule without an id: {dict(row)!r}")

        def fail(field_name: str, message: str) -> RuleError:
            return RuleError(f"rule {rule_id!r}, field {field_name!r}: {message}")

        known = {
            "id", "kind", "leg", "effective_from", "effective_to", "service_areas", "urgency",
            "age_from", "age_below", "professional_groups", "limit", "source", "name",
            "goal_pct", "goal_by",
        }
        unknown = set(row) - known
        if unknown:
            raise fail(sorted(unknown)[0], "unknown field")
        try:
            kind = RuleKind(row.get("kind", default_kind))
        except ValueError as exc:
            raise fail("kind", f"must be one of {[k.value for k in RuleKind]}") from exc
        try:
            leg = Leg(row.get("leg", Leg.ASSESSMENT_TO_VISIT.value))
        except ValueError as exc:
            raise fail("leg", f"must be one of {[v.value for v in Leg]}") from exc

        def as_date(field_name: str, required: bool) -> date | None:
            value = row.get(field_name)
            if value is None:
                if required:
                    raise fail(field_name, "is required")
                return None
            if isinstance(value, datetime):
                raise fail(field_name, f"a date YYYY-MM-DD without a time: {value!r}")
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError as exc:
                raise fail(field_name, f"not a date YYYY-MM-DD: {value!r}") from exc

        areas_raw = row.get("service_areas")
        if not areas_raw:
            raise fail("service_areas", "is required")
        try:
            areas = frozenset(ServiceArea(a) for a in areas_raw)
        except ValueError as exc:
            raise fail("service_areas", f"unknown service area in {areas_raw!r}") from exc
        groups_raw = row.get("professional_groups")
        try:
            groups = (
                frozenset(ProfessionalGroup(g) for g in groups_raw) if groups_raw else None
            )
        except ValueError as exc:
            raise fail("professional_groups", f"unknown group in {groups_raw!r}") from exc
        try:
            urgency = Urgency(row.get("urgency", Urgency.NON_URGENT.value))
        except ValueError as exc:
            raise fail("urgency", f"unknown urgency {row.get('urgency')!r}") from exc
        limit_raw = row.get("limit")
        if not isinstance(limit_raw, Mapping):
            raise fail("limit", "must be a mapping such as {days: 14} or {months: 3}")
        extra = set(limit_raw) - {"days", "months", "weekdays"}
        if extra:
            raise fail("limit", f"unknown key {sorted(extra)[0]!r}")
        for key, amount in limit_raw.items():
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise fail("limit", f"{key} must be a whole number: {amount!r}")
        try:
            limit = Limit(**dict(limit_raw))
        except RuleError as exc:
            raise fail("limit", str(exc)) from exc
        source = str(row.get("source") or "").strip()
        if not source:
            raise fail("source", "every rule must name its source")

        def as_int(field_name: str) -> int | None:
            value = row.get(field_name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail(field_name, f"not a whole number: {value!r}")
            return value

        goal = row.get("goal_pct")
        effective_from = as_date("effective_from", True)
        assert effective_from is not None
        effective_to = as_date("effective_to", False)
        if effective_to is not None and effective_to <= effective_from:
            raise fail("effective_to", "must be after effective_from")
        age_from, age_below = as_int("age_from"), as_int("age_below")
        if age_from is not None and age_below is not None and age_from >= age_below:
            raise fail("age_below", "must be greater than age_from")
        return cls(
            id=rule_id,
            kind=kind,
            leg=leg,
            effective_from=effective_from,
            effective_to=effective_to,
            service_areas=areas,
            urgency=urgency,
            age_from=age_from,
            age_below=age_below,
            professional_groups=groups,
            limit=limit,
            source=source,
            name=str(row.get("name") or ""),
            goal_pct=float(goal) if goal is not None else None,
            goal_by=as_date("goal_by", False),
        )


@dataclass(frozen=True)
class RuleBook:
    """All rules and targets known to a region."""

    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], default_kind: str = "legal") -> RuleBook:
        return cls(tuple(Rule.from_mapping(r, default_kind=default_kind) for r in rows))

    def merged(self, other: RuleBook) -> RuleBook:
        return RuleBook(self.rules + other.rules)

    def of(self, kind: RuleKind, leg: Leg = Leg.ASSESSMENT_TO_VISIT) -> tuple[Rule, ...]:
        """Rules of one kind and leg, latest ``effective_from`` first (the order of precedence)."""
        chosen = [r for r in self.rules if r.kind is kind and r.leg is leg]
        return tuple(sorted(chosen, key=lambda r: r.effective_from, reverse=True))

    def rule_for(
        self,
        *,
        kind: RuleKind,
        leg: Leg,
        service_area: ServiceArea,
        urgency: Urgency,
        birth_date: date,
        on: date,
        professional_group: ProfessionalGroup | None = None,
    ) -> Rule | None:
        """The rule in force on ``on`` for this scope, or None when none applies."""
        for rule in self.of(kind, leg):
            if rule.in_force_on(on) and rule.applies_to(
                service_area, urgency, birth_date, on, professional_group
            ):
                return rule
        return None

    def deadline(
        self, episode: Episode, kind: RuleKind = RuleKind.LEGAL,
        leg: Leg = Leg.ASSESSMENT_TO_VISIT,
    ) -> date | None:
        """Deadline date of the leg for this episode, or None (no rule, or no start event)."""
        start = episode.assessed_at if leg is Leg.ASSESSMENT_TO_VISIT else episode.contact_at
        if start is None:
            return None
        rule = self.rule_for(
            kind=kind,
            leg=leg,
            service_area=episode.service_area,
            urgency=episode.urgency,
            birth_date=episode.birth_date,
            on=start.date(),
            professional_group=episode.professional_group,
        )
        return rule.limit.deadline(start.date()) if rule else None

    def has_rules_for(self, service_area: ServiceArea, kind: RuleKind = RuleKind.LEGAL,
                      leg: Leg = Leg.ASSESSMENT_TO_VISIT) -> bool:
        """Whether the service area has any rule of this kind at all (``social`` has none)."""
        return any(service_area in r.service_areas for r in self.of(kind, leg))
