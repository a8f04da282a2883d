"""The access policy's resident rules: a resident acts only on their own person, takes no
staff action, and no staff role (not even the CLI operator) takes the resident actions."""

from __future__ import annotations

import pytest

from sotekeskus.domain.access_policy import RESIDENT_ACTIONS, Action, Actor, Resource, Role, may

ME = Actor("resident:P1", Role.RESIDENT, frozenset(), "P1")


@pytest.mark.parametrize("action", sorted(RESIDENT_ACTIONS))
def test_own_person_only(action: Action) -> None:
    assert may(ME, action, Resource.person("P1")).allowed
    refused = may(ME, action, Resource.person("P2"))
    assert not refused.allowed and "own" in refused.reason
    assert not may(ME, action, Resource()).allowed  # no person named: refused
    assert not may(Actor("resident:?", Role.RESIDENT), action, Resource.person("P1")).allowed


@pytest.mark.parametrize("action", sorted(set(Action) - RESIDENT_ACTIONS))
def test_no_staff_action_for_a_resident(action: Action) -> None:
    assert not may(ME, action, Resource.person("P1")).allowed
    assert not may(ME, action, Resource.units(["U001"])).allowed


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.RESIDENT])
def test_no_staff_role_takes_resident_actions(role: Role) -> None:
    staff = Actor("x", role, frozenset({"U001"}), "P1")
    for action in RESIDENT_ACTIONS:
        assert not may(staff, action, Resource.person("P1")).allowed
