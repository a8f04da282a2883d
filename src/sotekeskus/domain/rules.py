"""Dated limits between two events of a case, as data rows (the rule book).

A rule is a limit between two named events of a case type (a *leg*, e.g. a specialist
referral's ``referral → assessment_started``), in force from a date, scoped by age on the
starting event, urgency and professional group, with the ``source`` it was checked against.
A case is judged by the rule in force on the date of its **starting event**, for the
person's age (completed years) on that date.

The care guarantee is the same table: its rows are the legs ``contact → assessed`` and
``assessed → visit`` of the case types ``primary_access`` (service areas medical, mental,
substance) and ``oral_access`` (oral), measured from the episode file. Their rule rows may
keep the episode shape of the original rule files (``leg`` + ``service_areas``), which is
mapped onto case types and events; :class:`Leg` names the two episode legs.

Among the rules whose scope matches, the one with the latest ``effective_from`` is in
force (a later rule replaces an earlier one for the same scope). A rule may also carry an
``effective_to`` (exclusive) for a limit that was withdrawn without a successor.

``kind`` separates the law (``legal``) from a region's own ``target``; they are reported
apart.

Limits (:class:`Limit`): calendar ``days`` (day N included), ``weeks`` (7 calendar days
each), calendar ``months`` (clamped to the month end) or ``weekdays`` (Monday–Friday
without the holidays of the calendar the caller passes; the start day is not counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sotekeskus.domain.calendar import (
    NO_HOLIDAYS,
    Holidays,
    add_months,
    add_weekdays,
    has_reached_age,
)
from sotekeskus.domain.episode import Episode
from sotekeskus.domain.vocabulary import (
    EPISODE_CASE_TYPES,
    CaseEvent,
    CaseType,
    ProfessionalGroup,
    ServiceArea,
    Urgency,
)


class RuleError(ValueError):
    """A rule file or rule row is invalid; the message names the rule and the field."""


class Leg(StrEnum):
    """The two legs of an episode (care guarantee) a limit lies between."""

    CONTACT_TO_ASSESSMENT = "contact_to_assessment"
    ASSESSMENT_TO_VISIT = "assessment_to_visit"


#: The events of each episode leg.
LEG_EVENTS: dict[Leg, tuple[CaseEvent, CaseEvent]] = {
    Leg.CONTACT_TO_ASSESSMENT: (CaseEvent.CONTACT, CaseEvent.ASSESSED),
    Leg.ASSESSMENT_TO_VISIT: (CaseEvent.ASSESSED, CaseEvent.VISIT),
}
_LEG_OF_EVENTS = {events: leg for leg, events in LEG_EVENTS.items()}


class RuleKind(StrEnum):
    LEGAL = "legal"
    TARGET = "target"


@dataclass(frozen=True, slots=True, order=True)
class LegKey:
    """One leg of one case type: ``case_type``: ``from_event`` → ``to_event``."""

    case_type: CaseType
    from_event: CaseEvent
    to_event: CaseEvent

    def __str__(self) -> str:
        return f"{self.case_type}: {self.from_event} → {self.to_event}"


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit of exactly one of: calendar days, weeks, calendar months or weekdays.

    ``days: 14`` includes day 14; ``weeks: 3`` is 21 calendar days; ``months: 3`` is
    calendar months clamped to month end; ``weekdays: 7`` is the 7th weekday after the
    start (``weekdays: 0`` the same day when it is a weekday, else the next weekday).
    """

    days: int | None = None
    months: int | None = None
    weekdays: int | None = None
    weeks: int | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.days, self.months, self.weekdays, self.weeks)
                 if v is not None]
        if len(given) != 1:
            raise RuleError("a limit needs exactly one of days, weeks, months, weekdays")
        if given[0] < 0:
            raise RuleError(f"a limit cannot be negative: {given[0]}")

    @property
    def counts_weekdays(self) -> bool:
        """Whether the limit depends on the holiday calendar."""
        return self.weekdays is not None

    def deadline(self, start: date, holidays: Holidays = NO_HOLIDAYS) -> date:
        """The last date on which the later event is still on time (inclusive)."""
        if self.days is not None:
            return start + timedelta(days=self.days)
        if self.weeks is not None:
            return start + timedelta(days=7 * self.weeks)
        if self.months is not None:
            return add_months(start, self.months)
        assert self.weekdays is not None
        return add_weekdays(start, self.weekdays, holidays)

    def describe(self) -> str:
        if self.days is not None:
            return f"{self.days} d"
        if self.weeks is not None:
            return f"{self.weeks} wk"
        if self.months is not None:
            return f"{self.months} mo"
        return "same weekday" if self.weekdays == 0 else f"{self.weekdays} weekdays"


@dataclass(frozen=True, slots=True)
class Rule:
    """One dated rule row.

    ``case_types`` is usually one case type; a care-guarantee row in the episode shape that
    names both primary and oral service areas covers both (and one for ``social`` episodes
    only, which have no care guarantee, covers none: it is an episode rule only).
    ``service_areas`` narrows an episode case type (``primary_access``, ``oral_access``) and
    is empty for the others.
    ``urgency`` None means any urgency (and cases without one); the care-guarantee rows
    default to ``non_urgent``.
    """

    id: str
    kind: RuleKind
    case_types: frozenset[CaseType]
    from_event: CaseEvent
    to_event: CaseEvent
    effective_from: date
    limit: Limit
    source: str
    service_areas: frozenset[ServiceArea] = frozenset()
    urgency: Urgency | None = None
    age_from: int | None = None
    age_below: int | None = None
    professional_groups: frozenset[ProfessionalGroup] | None = None
    effective_to: date | None = None
    name: str = ""
    goal_pct: float | None = None
    goal_by: date | None = None

    @property
    def leg(self) -> Leg | None:
        """The episode leg of a care-guarantee rule; None for case-events rules."""
        if not self.case_types <= set(EPISODE_CASE_TYPES):
            return None
        return _LEG_OF_EVENTS.get((self.from_event, self.to_event))

    @property
    def legs(self) -> tuple[LegKey, ...]:
        """The (case type, from, to) legs this row limits, in case-type order."""
        return tuple(LegKey(c, self.from_event, self.to_event)
                     for c in CaseType if c in self.case_types)

    def in_force_on(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def _age_and_group(self, birth_date: date, on: date,
                       professional_group: ProfessionalGroup | None) -> bool:
        if self.age_from is not None and not has_reached_age(birth_date, self.age_from, on):
            return False
        if self.age_below is not None and has_reached_age(birth_date, self.age_below, on):
            return False
        if self.professional_groups is not None:
            return professional_group in self.professional_groups
        return True

    def applies_to(
        self,
        service_area: ServiceArea,
        urgency: Urgency,
        birth_date: date,
        on: date,
        professional_group: ProfessionalGroup | None = None,
    ) -> bool:
        """Scope match of an episode (not the date): service area, urgency, age on ``on``,
        group."""
        if service_area not in self.service_areas or urgency is not self.urgency:
            return False
        return self._age_and_group(birth_date, on, professional_group)

    def applies_to_case(
        self,
        case_type: CaseType,
        birth_date: date,
        on: date,
        urgency: Urgency | None = None,
        professional_group: ProfessionalGroup | None = None,
    ) -> bool:
        """Scope match of a case (not the date): case type, urgency, age on ``on``, group.

        A rule scoped to an urgency does not apply to a case whose urgency is unknown."""
        if case_type not in self.case_types:
            return False
        if self.urgency is not None and urgency is not self.urgency:
            return False
        return self._age_and_group(birth_date, on, professional_group)

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any], *, default_kind: str = "legal") -> Rule:
        """Build a rule from a parsed YAML/JSON mapping, naming the field on error."""
        return _RowParser(row, default_kind).parse()


_EPISODE_SHAPE = {"leg", "service_areas"}
_CASE_SHAPE = {"case_type", "from_event", "to_event"}
_COMMON = {
    "id", "kind", "effective_from", "effective_to", "urgency", "age_from", "age_below",
    "professional_groups", "limit", "source", "name", "goal_pct", "goal_by",
}


class _RowParser:
    """Validation of one rule row; every error names the rule id and the field."""

    def __init__(self, row: Mapping[str, Any], default_kind: str) -> None:
        self.row = row
        self.default_kind = default_kind
        self.rule_id = str(row.get("id") or "").strip()
        if not self.rule_id:
            raise RuleError(f"rule without an id: {dict(row)!r}")

    def fail(self, field_name: str, message: str) -> RuleError:
        return RuleError(f"rule {self.rule_id!r}, field {field_name!r}: {message}")

    def parse(self) -> Rule:
        row = self.row
        case_shape = bool(_CASE_SHAPE & set(row))
        known = _COMMON | (_CASE_SHAPE | {"service_areas"} if case_shape else _EPISODE_SHAPE)
        unknown = set(row) - known
        if unknown:
            name = sorted(unknown)[0]
            if case_shape and name == "leg":
                raise self.fail("leg", "a row with case_type names from_event and to_event, "
                                       "not leg")
            raise self.fail(name, "unknown field")
        try:
            kind = RuleKind(row.get("kind", self.default_kind))
        except ValueError as exc:
            raise self.fail("kind", f"must be one of {[k.value for k in RuleKind]}") from exc
        if case_shape:
            case_types, from_event, to_event, areas = self._case_scope()
        else:
            case_types, from_event, to_event, areas = self._episode_scope()
        episode_rule = case_types <= set(EPISODE_CASE_TYPES)
        groups_raw = row.get("professional_groups")
        try:
            groups = (
                frozenset(ProfessionalGroup(g) for g in groups_raw) if groups_raw else None
            )
        except (TypeError, ValueError) as exc:
            raise self.fail("professional_groups", f"unknown group in {groups_raw!r}; allowed: "
                            + ", ".join(ProfessionalGroup)) from exc
        urgency: Urgency | None = Urgency.NON_URGENT if episode_rule else None
        if row.get("urgency") is not None:
            try:
                urgency = Urgency(row["urgency"])
            except ValueError as exc:
                raise self.fail("urgency", f"unknown urgency {row.get('urgency')!r}; allowed: "
                                + ", ".join(Urgency)) from exc
        limit = self._limit(weeks_allowed=case_shape)
        source = str(row.get("source") or "").strip()
        if not source:
            raise self.fail("source", "every rule must name its source")
        goal = row.get("goal_pct")
        effective_from = self._date("effective_from", True)
        assert effective_from is not None
        effective_to = self._date("effective_to", False)
        if effective_to is not None and effective_to <= effective_from:
            raise self.fail("effective_to", "must be after effective_from")
        age_from, age_below = self._int("age_from"), self._int("age_below")
        if age_from is not None and age_below is not None and age_from >= age_below:
            raise self.fail("age_below", "must be greater than age_from")
        return Rule(
            id=self.rule_id,
            kind=kind,
            case_types=case_types,
            from_event=from_event,
            to_event=to_event,
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
            goal_by=self._date("goal_by", False),
        )

    def _areas(self, raw: Any) -> frozenset[ServiceArea]:
        if not raw:
            raise self.fail("service_areas", "is required")
        try:
            return frozenset(ServiceArea(a) for a in raw)
        except (TypeError, ValueError) as exc:
            raise self.fail("service_areas", f"unknown service area in {raw!r}; allowed: "
                            + ", ".join(ServiceArea)) from exc

    def _episode_scope(
        self,
    ) -> tuple[frozenset[CaseType], CaseEvent, CaseEvent, frozenset[ServiceArea]]:
        """The original care-guarantee shape: ``leg`` + ``service_areas``."""
        try:
            leg = Leg(self.row.get("leg", Leg.ASSESSMENT_TO_VISIT.value))
        except ValueError as exc:
            raise self.fail("leg", f"must be one of {[v.value for v in Leg]}") from exc
        areas = self._areas(self.row.get("service_areas"))
        # ``social`` has no care-guarantee case type: a row for it is an episode rule only.
        case_types = frozenset(c for c, covered in EPISODE_CASE_TYPES.items() if areas & covered)
        from_event, to_event = LEG_EVENTS[leg]
        return case_types, from_event, to_event, areas

    def _case_scope(
        self,
    ) -> tuple[frozenset[CaseType], CaseEvent, CaseEvent, frozenset[ServiceArea]]:
        """The general shape: ``case_type``, ``from_event``, ``to_event``."""
        row = self.row
        for name in sorted(_CASE_SHAPE):
            if row.get(name) in (None, ""):
                raise self.fail(name, "is required (a row with case_type also names "
                                      "from_event and to_event)")
        try:
            case_type = CaseType(row["case_type"])
        except ValueError as exc:
            raise self.fail("case_type", f"unknown case type {row['case_type']!r}; allowed: "
                            + ", ".join(CaseType)) from exc
        events = []
        for name in ("from_event", "to_event"):
            try:
                events.append(CaseEvent(row[name]))
            except ValueError as exc:
                raise self.fail(name, f"unknown event {row[name]!r}; allowed: "
                                + ", ".join(CaseEvent)) from exc
        from_event, to_event = events
        if from_event is to_event:
            raise self.fail("to_event", "must differ from from_event")
        areas: frozenset[ServiceArea] = frozenset()
        if case_type in EPISODE_CASE_TYPES:
            if (from_event, to_event) not in _LEG_OF_EVENTS:
                raise self.fail("to_event", f"{case_type} is measured from the episode file, "
                                "whose legs are contact → assessed and assessed → visit")
            covered = EPISODE_CASE_TYPES[case_type]
            areas = covered
            if row.get("service_areas") is not None:
                areas = self._areas(row["service_areas"])
                if not areas <= covered:
                    raise self.fail("service_areas", f"{case_type} covers only "
                                    + ", ".join(sorted(covered)))
        elif row.get("service_areas") is not None:
            raise self.fail("service_areas", "only primary_access and oral_access rows are "
                                             "scoped by service area")
        return frozenset({case_type}), from_event, to_event, areas

    def _limit(self, *, weeks_allowed: bool) -> Limit:
        limit_raw = self.row.get("limit")
        if not isinstance(limit_raw, Mapping):
            raise self.fail("limit", "must be a mapping such as {days: 14} or {months: 3}")
        units = {"days", "months", "weekdays"} | ({"weeks"} if weeks_allowed else set())
        extra = set(limit_raw) - units
        if extra:
            hint = ("" if weeks_allowed or sorted(extra)[0] != "weeks" else
                    " (a row in the episode shape counts days, months or weekdays; weeks are "
                    "for rows that name case_type, from_event and to_event)")
            raise self.fail("limit", f"unknown key {sorted(extra)[0]!r}{hint}")
        for key, amount in limit_raw.items():
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise self.fail("limit", f"{key} must be a whole number: {amount!r}")
        try:
            return Limit(**dict(limit_raw))
        except RuleError as exc:
            raise self.fail("limit", str(exc)) from exc

    def _date(self, field_name: str, required: bool) -> date | None:
        value = self.row.get(field_name)
        if value is None:
            if required:
                raise self.fail(field_name, "is required")
            return None
        if isinstance(value, datetime):
            raise self.fail(field_name, f"a date YYYY-MM-DD without a time: {value!r}")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise self.fail(field_name, f"not a date YYYY-MM-DD: {value!r}") from exc

    def _int(self, field_name: str) -> int | None:
        value = self.row.get(field_name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field_name, f"not a whole number: {value!r}")
        return value


@dataclass(frozen=True)
class RuleBook:
    """All rules and targets known to a region, and the holiday calendar weekdays skip.

    ``holidays`` is any ``Container[date]`` (the built-in loader passes the Finnish public
    holidays); it does not take part in equality.
    """

    rules: tuple[Rule, ...] = field(default_factory=tuple)
    holidays: Holidays = field(default=NO_HOLIDAYS, compare=False)

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
        return RuleBook(self.rules + other.rules, self.holidays)

    def with_holidays(self, holidays: Holidays) -> RuleBook:
        """The same rules counting weekdays without ``holidays``."""
        return RuleBook(self.rules, holidays)

    # ------------------------------------------------------------------ episodes (care guarantee)

    def episode_rules(self) -> tuple[Rule, ...]:
        """The care-guarantee rules (the legs of the episode file)."""
        return tuple(r for r in self.rules if r.leg is not None)

    def of(self, kind: RuleKind, leg: Leg = Leg.ASSESSMENT_TO_VISIT) -> tuple[Rule, ...]:
        """Episode rules of one kind and leg, latest ``effective_from`` first (the order of
        precedence)."""
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
        return rule.limit.deadline(start.date(), self.holidays) if rule else None

    def has_rules_for(self, service_area: ServiceArea, kind: RuleKind = RuleKind.LEGAL,
                      leg: Leg = Leg.ASSESSMENT_TO_VISIT) -> bool:
        """Whether the service area has any rule of this kind at all (``social`` has none)."""
        return any(service_area in r.service_areas for r in self.of(kind, leg))

    # ------------------------------------------------------------------ case legs

    def legs(self, kind: RuleKind | None = None,
             case_types: Iterable[CaseType] | None = None) -> tuple[LegKey, ...]:
        """Every leg that has at least one rule (of ``kind``, when given), sorted."""
        wanted = set(case_types) if case_types is not None else None
        keys = {key for r in self.rules if kind is None or r.kind is kind for key in r.legs
                if wanted is None or key.case_type in wanted}
        return tuple(sorted(keys))

    def rules_for_leg(self, leg: LegKey, kind: RuleKind) -> tuple[Rule, ...]:
        """Rules of ``kind`` limiting ``leg``, latest ``effective_from`` first."""
        chosen = [r for r in self.rules if r.kind is kind and leg in r.legs]
        return tuple(sorted(chosen, key=lambda r: (r.effective_from, r.id), reverse=True))

    def case_rule_for(
        self,
        leg: LegKey,
        *,
        kind: RuleKind,
        birth_date: date,
        on: date,
        urgency: Urgency | None = None,
        professional_group: ProfessionalGroup | None = None,
    ) -> Rule | None:
        """The rule in force on ``on`` (the start event's date) for a case of this scope."""
        for rule in self.rules_for_leg(leg, kind):
            if rule.in_force_on(on) and rule.applies_to_case(
                leg.case_type, birth_date, on, urgency, professional_group
            ):
                return rule
        return None

    def case_deadline(
        self,
        leg: LegKey,
        start: date,
        *,
        kind: RuleKind,
        birth_date: date,
        urgency: Urgency | None = None,
        professional_group: ProfessionalGroup | None = None,
    ) -> date | None:
        """Last on-time date of the leg's end event for a case whose start event is on
        ``start``; None when no rule of ``kind`` is in scope."""
        rule = self.case_rule_for(leg, kind=kind, birth_date=birth_date, on=start,
                                  urgency=urgency, professional_group=professional_group)
        return rule.limit.deadline(start, self.holidays) if rule else None
