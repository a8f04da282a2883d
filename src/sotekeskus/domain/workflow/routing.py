"""The service catalogue and the routing matcher (pure; the data are YAML files).

A **service** (palvelukatalogin palvelu) has names and a description in fi / sv / en, a
service area, the professional group that provides it, the units that offer it, its modes
(in person, remote), optional age limits (``age_from`` inclusive, ``age_below`` exclusive,
age in completed years on the assessment date) and optionally a national service-catalogue
(PTV) id. ``bookable`` services take bookings; the others are in the service tray only.

A **routing rule** maps facts of an assessed case to a service. Its ``when`` lists, per
fact, the values that match (a fact not named matches anything): ``urgency``,
``service_area``, ``professional_group``, ``channel``, ``reason_codes`` (ICPC-2 code
*prefixes*: ``R`` matches ``R05``), ``questionnaire_outcome``, ``age_from``/``age_below``.
Rules are tried in ``priority`` order (lower first, then file order); the **first** that
matches and whose service admits the person's age fires, and the professional is shown
which rule it was (id and version). No match is an answer too: the professional routes by
hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sotekeskus.domain.calendar import has_reached_age
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.domain.workflow.codes import (
    AssessedUrgency,
    Channel,
    CodeError,
    ServiceMode,
    parse_code,
)

LANGUAGES = ("fi", "sv", "en")


class CatalogueError(ValueError):
    """A service or routing rule row is invalid; names the row id and the field."""


class ServiceCategory(StrEnum):
    """What kind of service the service tray shows: the region's care and social services,
    health promotion, or a third-sector (non-profit) organisation's service."""

    CARE = "care"
    HEALTH_PROMOTION = "health_promotion"
    THIRD_SECTOR = "third_sector"


@dataclass(frozen=True, slots=True)
class Service:
    service_id: str
    names: Mapping[str, str]
    service_area: ServiceArea
    professional_group: ProfessionalGroup
    units: frozenset[str]
    modes: frozenset[ServiceMode]
    descriptions: Mapping[str, str] = field(default_factory=dict)
    age_from: int | None = None
    age_below: int | None = None
    ptv_id: str | None = None
    bookable: bool = True
    self_booking: bool = False
    category: ServiceCategory = ServiceCategory.CARE
    provider: str = ""
    contact: str = ""

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["fi"]

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang) or self.descriptions.get("fi", "")

    def admits(self, birth_date: date, on: date) -> bool:
        """Whether a person born on ``birth_date`` is within the age limits on ``on``."""
        if self.age_from is not None and not has_reached_age(birth_date, self.age_from, on):
            return False
        return self.age_below is None or not has_reached_age(birth_date, self.age_below, on)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What routing looks at: the assessment and the contact."""

    urgency: AssessedUrgency
    service_area: ServiceArea
    professional_group: ProfessionalGroup
    channel: Channel
    birth_date: date
    on: date
    reason_code: str | None = None
    questionnaire_outcome: str | None = None


@dataclass(frozen=True, slots=True)
class RoutingRule:
    rule_id: str
    version: str
    service_id: str
    priority: int = 100
    urgency: frozenset[AssessedUrgency] | None = None
    service_area: frozenset[ServiceArea] | None = None
    professional_group: frozenset[ProfessionalGroup] | None = None
    channel: frozenset[Channel] | None = None
    reason_codes: tuple[str, ...] | None = None
    questionnaire_outcome: frozenset[str] | None = None
    age_from: int | None = None
    age_below: int | None = None
    description: str = ""

    def matches(self, facts: CaseFacts) -> bool:
        if self.urgency is not None and facts.urgency not in self.urgency:
            return False
        if self.service_area is not None and facts.service_area not in self.service_area:
            return False
        if (self.professional_group is not None
                and facts.professional_group not in self.professional_group):
            return False
        if self.channel is not None and facts.channel not in self.channel:
            return False
        if self.reason_codes is not None and not (
                facts.reason_code and facts.reason_code.upper().startswith(self.reason_codes)):
            return False
        if self.questionnaire_outcome is not None and (
                facts.questionnaire_outcome not in self.questionnaire_outcome):
            return False
        if self.age_from is not None and not has_reached_age(facts.birth_date, self.age_from,
                                                             facts.on):
            return False
        return self.age_below is None or not has_reached_age(facts.birth_date, self.age_below,
                                                             facts.on)


@dataclass(frozen=True, slots=True)
class Routed:
    """The rule that fired and the service it routes to."""

    rule: RoutingRule
    service: Service


def route(facts: CaseFacts, rules: Sequence[RoutingRule],
          services: Mapping[str, Service]) -> Routed | None:
    """The first rule (by priority, then order) that matches and whose service admits the
    person's age; None when none does."""
    ordered = sorted(enumerate(rules), key=lambda pair: (pair[1].priority, pair[0]))
    for _, rule in ordered:
        service = services.get(rule.service_id)
        if service is None or not rule.matches(facts):
            continue
        if service.admits(facts.birth_date, facts.on):
            return Routed(rule, service)
    return None


# ---- parsing rows of the YAML files ----------------------------------------------------


class _Row:
    def __init__(self, kind: str, row: Mapping[str, Any], id_field: str) -> None:
        if not isinstance(row, Mapping):
            raise CatalogueError(f"{kind}: every row is a mapping, got {row!r}")
        self.kind, self.row = kind, row
        self.ident = str(row.get(id_field) or "").strip()
        if not self.ident:
            raise CatalogueError(f"{kind} without {id_field}: {dict(row)!r}")

    def fail(self, name: str, message: str) -> CatalogueError:
        return CatalogueError(f"{self.kind} {self.ident!r}, field {name!r}: {message}")

    def codes(self, name: str, enum: type[Any], raw: Any) -> frozenset[Any]:
        values = raw if isinstance(raw, list) else [raw]
        try:
            return frozenset(parse_code(enum, str(v), name) for v in values)
        except CodeError as exc:
            raise self.fail(name, str(exc)) from None

    def flag(self, name: str, default: bool) -> bool:
        value = self.row.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"true or false, not {value!r}")
        return value

    def code(self, name: str, enum: type[Any]) -> Any:
        try:
            return parse_code(enum, str(self.row.get(name, "")), name)
        except CodeError as exc:
            raise self.fail(name, str(exc)) from None

    def age(self, name: str, raw: Mapping[str, Any]) -> int | None:
        value = raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(name, f"not a whole number of years: {value!r}")
        return value

    def texts(self, name: str, required: bool) -> dict[str, str]:
        raw = self.row.get(name)
        if raw is None and not required:
            return {}
        if not isinstance(raw, Mapping) or (required and not all(raw.get(k) for k in LANGUAGES)):
            raise self.fail(name, "needs a text for each language: " + ", ".join(LANGUAGES))
        return {k: str(raw[k]) for k in LANGUAGES if raw.get(k)}


_SERVICE_FIELDS = {"id", "names", "service_area", "professional_group", "units", "modes",
                   "descriptions", "age_from", "age_below", "ptv_id", "bookable",
                   "self_booking", "category", "provider", "contact"}
_RULE_FIELDS = {"id", "service", "priority", "when", "description"}
_WHEN_FIELDS = {"urgency", "service_area", "professional_group", "channel", "reason_codes",
                "questionnaire_outcome", "age_from", "age_below"}


def service_from_mapping(row: Mapping[str, Any]) -> Service:
    r = _Row("service", row, "id")
    unknown = sorted(set(row) - _SERVICE_FIELDS)
    if unknown:
        raise r.fail(unknown[0], "unknown field; allowed: " + ", ".join(sorted(_SERVICE_FIELDS)))
    units = row.get("units") or []
    if not isinstance(units, list) or not all(isinstance(u, str) and u for u in units):
        raise r.fail("units", "a list of unit ids")
    modes = r.codes("modes", ServiceMode, row.get("modes") or [])
    if not modes:
        raise r.fail("modes", "at least one of " + ", ".join(ServiceMode))
    return Service(
        service_id=r.ident, names=r.texts("names", True),
        service_area=r.code("service_area", ServiceArea),
        professional_group=r.code("professional_group", ProfessionalGroup),
        units=frozenset(units), modes=modes, descriptions=r.texts("descriptions", False),
        age_from=r.age("age_from", row), age_below=r.age("age_below", row),
        ptv_id=str(row["ptv_id"]) if row.get("ptv_id") else None,
        bookable=r.flag("bookable", True), self_booking=r.flag("self_booking", False),
        category=r.code("category", ServiceCategory) if "category" in row
        else ServiceCategory.CARE,
        provider=str(row.get("provider") or "").strip(),
        contact=str(row.get("contact") or "").strip())


def rule_from_mapping(row: Mapping[str, Any], version: str,
                      services: Mapping[str, Service]) -> RoutingRule:
    r = _Row("routing rule", row, "id")
    unknown = sorted(set(row) - _RULE_FIELDS)
    if unknown:
        raise r.fail(unknown[0], "unknown field; allowed: " + ", ".join(sorted(_RULE_FIELDS)))
    service_id = str(row.get("service") or "")
    if service_id not in services:
        raise r.fail("service", f"unknown service {service_id!r}; the catalogue has "
                     + ", ".join(sorted(services)))
    when = row.get("when") or {}
    if not isinstance(when, Mapping):
        raise r.fail("when", "a mapping of facts to values")
    extra = sorted(set(when) - _WHEN_FIELDS)
    if extra:
        raise r.fail(f"when.{extra[0]}", "unknown fact; allowed: "
                     + ", ".join(sorted(_WHEN_FIELDS)))
    priority = row.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise r.fail("priority", f"a whole number: {priority!r}")

    def opt(name: str, enum: type[Any]) -> frozenset[Any] | None:
        return r.codes(f"when.{name}", enum, when[name]) if name in when else None

    reasons = when.get("reason_codes")
    outcomes = when.get("questionnaire_outcome")
    return RoutingRule(
        rule_id=r.ident, version=version, service_id=service_id, priority=priority,
        urgency=opt("urgency", AssessedUrgency), service_area=opt("service_area", ServiceArea),
        professional_group=opt("professional_group", ProfessionalGroup),
        channel=opt("channel", Channel),
        reason_codes=tuple(str(c).upper() for c in reasons) if reasons else None,
        questionnaire_outcome=(frozenset(str(o) for o in outcomes) if outcomes else None),
        age_from=r.age("age_from", when), age_below=r.age("age_below", when),
        description=str(row.get("description") or ""))


def index_services(services: Iterable[Service]) -> dict[str, Service]:
    out: dict[str, Service] = {}
    for s in services:
        if s.service_id in out:
            raise CatalogueError(f"service id {s.service_id!r} appears twice")
        out[s.service_id] = s
    return out
