"""The one access policy: ``may(actor, action, resource) → Scope``.

Every surface (CLI, pages, exports, FHIR, API) asks this one question; nothing else
decides who sees what. The answer is a :class:`Scope`: whether the action is allowed at
all, which units it covers (``None`` = the whole region), and whether published counts must
have their small cells suppressed. A refusal carries a ``reason`` for the audit log.

Roles (staff):

* ``manager``: own units only; unit-level detail; person-level lists of own units
  (every read audited);
* ``leadership``: the whole region with unit-level detail; no person-level data;
* ``analyst``: the whole region, small cells suppressed; no person-level data;
* ``admin``: users, the indicator registry and the audit log; aggregates as an analyst;
* ``professional`` and ``scheduler``: the operational side (workdesk, schedules); no
  management aggregates; a professional (like a manager) reads the clinical worklists of
  own units (``VIEW_CLINICAL_WORKLISTS``: follow-up gaps, risk lists; every read audited);
* ``resident``: a strongly identified resident (the front door): acts only on their own
  person (``Actor.person_id`` must equal ``Resource.person_id``), never on staff actions;
  no staff role may take the resident's actions;
* ``operator``: whoever runs the CLI against a store they can open directly — they hold
  the data already, so nothing is hidden from them (the CLI still suppresses small cells
  by default, as a publication safeguard, unless ``--no-suppress``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    MANAGER = "manager"
    LEADERSHIP = "leadership"
    ANALYST = "analyst"
    ADMIN = "admin"
    PROFESSIONAL = "professional"
    SCHEDULER = "scheduler"
    OPERATOR = "operator"
    RESIDENT = "resident"


#: Roles an administrator may give to a staff account (``operator`` is the CLI's own).
STAFF_ROLES: tuple[Role, ...] = (Role.MANAGER, Role.LEADERSHIP, Role.ANALYST, Role.ADMIN,
                                 Role.PROFESSIONAL, Role.SCHEDULER)


class Action(StrEnum):
    VIEW_AGGREGATES = "view_aggregates"  # dashboards, reports, exports, MeasureReports
    VIEW_PERSONS = "view_persons"  # person-level lists (waiting list, worklists)
    ADMINISTER_USERS = "administer_users"
    ADMINISTER_INDICATORS = "administer_indicators"
    VIEW_AUDIT = "view_audit"
    WORK_CASES = "work_cases"  # the workdesk: queue, claim, assess, route, book, own day
    MANAGE_SCHEDULES = "manage_schedules"  # weekly templates and exceptions
    VIEW_OWN_DATA = "view_own_data"  # a resident's own cases, appointments, audit trail
    ACT_ON_OWN_CASE = "act_on_own_case"  # a resident books, cancels, rebooks, starts a case
    #: the clinical worklists of issue 16: the follow-up-gap worklist and the risk models'
    #: persons to consider (with the justified / not-justified marks) — person-level, audited
    VIEW_CLINICAL_WORKLISTS = "view_clinical_worklists"


#: The actions only a resident takes, and only on their own person.
RESIDENT_ACTIONS: frozenset[Action] = frozenset({Action.VIEW_OWN_DATA, Action.ACT_ON_OWN_CASE})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a name for the audit log, a role and the units the actor belongs to (a
    resident: the pseudonymous ``person_id`` of the resident)."""

    name: str
    role: Role
    units: frozenset[str] = frozenset()
    person_id: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """What is asked for: ``unit_ids`` names the units explicitly asked (``None``: not
    restricted by the asker, i.e. whatever the actor may see); ``person_id`` names the one
    resident whose data is asked for (the resident actions need it)."""

    unit_ids: frozenset[str] | None = None
    person_id: str | None = None

    @classmethod
    def units(cls, unit_ids: Iterable[str] | None) -> Resource:
        return cls(None if unit_ids is None else frozenset(unit_ids))

    @classmethod
    def person(cls, person_id: str) -> Resource:
        return cls(None, person_id)


@dataclass(frozen=True, slots=True)
class Scope:
    """The answer: allowed or not, over which units, with or without small-cell suppression."""

    allowed: bool
    unit_ids: frozenset[str] | None = None  # None: the whole region
    suppress_small_cells: bool = True
    reason: str = ""

    @property
    def whole_region(self) -> bool:
        return self.allowed and self.unit_ids is None


def _deny(reason: str) -> Scope:
    return Scope(False, frozenset(), True, reason)


def _own_units(actor: Actor, resource: Resource, *, suppress: bool) -> Scope:
    if not actor.units:
        return _deny("no units assigned")
    if resource.unit_ids is not None:
        foreign = sorted(resource.unit_ids - actor.units)
        if foreign:
            return _deny(f"unit {foreign[0]} is not among the account's units")
        return Scope(True, resource.unit_ids, suppress)
    return Scope(True, actor.units, suppress)


def _resident(actor: Actor, action: Action, resource: Resource) -> Scope:
    """A resident acts only on their own person; nobody else takes the resident actions."""
    if actor.role is not Role.RESIDENT:
        return _deny(f"only the resident takes the action {action.value}")
    if action not in RESIDENT_ACTIONS:
        return _deny(f"a resident may not {action.value}")
    if not actor.person_id:
        return _deny("the resident is not identified")
    if resource.person_id != actor.person_id:
        return _deny("a resident acts only on their own data")
    return Scope(True, frozenset(), False)


def may(actor: Actor, action: Action, resource: Resource = Resource()) -> Scope:
    """Whether ``actor`` may do ``action`` on ``resource``, and in which scope."""
    role = actor.role
    if role is Role.RESIDENT or action in RESIDENT_ACTIONS:
        return _resident(actor, action, resource)
    if role is Role.OPERATOR:
        return Scope(True, resource.unit_ids, False)
    if action is Action.VIEW_AGGREGATES:
        if role is Role.MANAGER:
            return _own_units(actor, resource, suppress=False)
        if role in (Role.LEADERSHIP, Role.ANALYST, Role.ADMIN):
            return Scope(True, resource.unit_ids, role is not Role.LEADERSHIP)
        return _deny(f"role {role.value} does not see management figures")
    if action is Action.VIEW_PERSONS:
        if role is Role.MANAGER:
            return _own_units(actor, resource, suppress=False)
        return _deny("person-level data is not available to this role")
    if action is Action.VIEW_CLINICAL_WORKLISTS:
        if role in (Role.PROFESSIONAL, Role.MANAGER):
            return _own_units(actor, resource, suppress=False)
        return _deny("the clinical worklists are for the professionals and managers of a unit")
    if action is Action.WORK_CASES:
        if role is Role.PROFESSIONAL:
            return _own_units(actor, resource, suppress=False)
        return _deny("only professionals work cases")
    if action is Action.MANAGE_SCHEDULES:
        if role is Role.SCHEDULER:
            return _own_units(actor, resource, suppress=False)
        return _deny("only schedulers keep schedules")
    if action in (Action.ADMINISTER_USERS, Action.ADMINISTER_INDICATORS, Action.VIEW_AUDIT):
        if role is Role.ADMIN:
            return Scope(True, None, False)
        return _deny("administrator only")
    return _deny(f"unknown action {action}")  # pragma: no cover - exhaustive above
