"""The one access policy, role by role (domain/access_policy.py)."""

from __future__ import annotations

import pytest

from sotekeskus.domain.access_policy import Action, Actor, Resource, Role, may

MANAGER = Actor("m", Role.MANAGER, frozenset({"U1", "U2"}))


def test_manager_sees_own_units_unsuppressed_and_is_refused_a_foreign_one() -> None:
    scope = may(MANAGER, Action.VIEW_AGGREGATES)
    assert scope.allowed and scope.unit_ids == {"U1", "U2"} and not scope.suppress_small_cells
    assert may(MANAGER, Action.VIEW_AGGREGATES, Resource.units(["U1"])).unit_ids == {"U1"}
    refused = may(MANAGER, Action.VIEW_AGGREGATES, Resource.units(["U1", "U3"]))
    assert not refused.allowed and "U3" in refused.reason
    assert may(MANAGER, Action.VIEW_PERSONS, Resource.units(["U2"])).allowed


def test_manager_without_units_sees_nothing() -> None:
    scope = may(Actor("m", Role.MANAGER), Action.VIEW_AGGREGATES)
    assert not scope.allowed and scope.reason == "no units assigned"


@pytest.mark.parametrize(("role", "suppress"), [(Role.LEADERSHIP, False), (Role.ANALYST, True),
                                                (Role.ADMIN, True)])
def test_region_roles(role: Role, suppress: bool) -> None:
    actor = Actor("x", role)
    scope = may(actor, Action.VIEW_AGGREGATES)
    assert scope.allowed and scope.whole_region and scope.suppress_small_cells is suppress
    assert not may(actor, Action.VIEW_PERSONS).allowed


def test_only_admin_administers() -> None:
    for role in Role:
        actor = Actor("x", role, frozenset({"U1"}))
        allowed = may(actor, Action.ADMINISTER_USERS).allowed
        assert allowed is (role in (Role.ADMIN, Role.OPERATOR))


def test_operational_roles_see_no_management_figures() -> None:
    for role in (Role.PROFESSIONAL, Role.SCHEDULER):
        assert not may(Actor("p", role, frozenset({"U1"})), Action.VIEW_AGGREGATES).allowed


def test_cli_operator_sees_everything_unsuppressed() -> None:
    scope = may(Actor("cli:root", Role.OPERATOR), Action.VIEW_PERSONS)
    assert scope.allowed and scope.whole_region and not scope.suppress_small_cells


def test_professionals_work_cases_in_their_own_units_only() -> None:
    nurse = Actor("n", Role.PROFESSIONAL, frozenset({"U1"}))
    scope = may(nurse, Action.WORK_CASES)
    assert scope.allowed and scope.unit_ids == {"U1"}
    refused = may(nurse, Action.WORK_CASES, Resource.units(["U2"]))
    assert not refused.allowed and "U2" in refused.reason
    assert not may(Actor("n", Role.PROFESSIONAL), Action.WORK_CASES).allowed
    assert not may(nurse, Action.MANAGE_SCHEDULES).allowed
    assert not may(nurse, Action.VIEW_PERSONS).allowed
    for role in (Role.MANAGER, Role.LEADERSHIP, Role.ANALYST, Role.ADMIN, Role.SCHEDULER):
        refused = may(Actor("x", role, frozenset({"U1"})), Action.WORK_CASES)
        assert not refused.allowed and refused.reason == "only professionals work cases"


def test_schedulers_keep_schedules_of_their_units() -> None:
    scheduler = Actor("s", Role.SCHEDULER, frozenset({"U1", "U2"}))
    assert may(scheduler, Action.MANAGE_SCHEDULES, Resource.units(["U2"])).allowed
    assert not may(scheduler, Action.MANAGE_SCHEDULES, Resource.units(["U3"])).allowed
    assert not may(scheduler, Action.WORK_CASES).allowed
    for role in (Role.MANAGER, Role.PROFESSIONAL, Role.ADMIN):
        assert not may(Actor("x", role, frozenset({"U1"})), Action.MANAGE_SCHEDULES).allowed


def test_operational_roles_are_staff_roles() -> None:
    from sotekeskus.domain.access_policy import STAFF_ROLES

    assert Role.PROFESSIONAL in STAFF_ROLES and Role.SCHEDULER in STAFF_ROLES
    assert Role.OPERATOR not in STAFF_ROLES
