"""``VIEW_CLINICAL_WORKLISTS`` (issue 16: the follow-up-gap worklist and the risk lists): a
professional or a manager, own units only; every other staff role and a resident: refused."""

from __future__ import annotations

from sotekeskus.domain.access_policy import Action, Actor, Resource, Role, may

ACTION = Action.VIEW_CLINICAL_WORKLISTS


def test_professionals_and_managers_of_their_own_units() -> None:
    for role in (Role.PROFESSIONAL, Role.MANAGER):
        actor = Actor("x", role, frozenset({"U1", "U2"}))
        scope = may(actor, ACTION)
        assert scope.allowed and scope.unit_ids == {"U1", "U2"}
        assert may(actor, ACTION, Resource.units(["U2"])).unit_ids == {"U2"}
        refused = may(actor, ACTION, Resource.units(["U1", "U3"]))
        assert not refused.allowed and "U3" in refused.reason
        assert not may(Actor("x", role), ACTION).allowed  # no units: nothing


def test_every_other_role_is_refused() -> None:
    for role in (Role.SCHEDULER, Role.ANALYST, Role.LEADERSHIP, Role.ADMIN):
        assert not may(Actor("x", role, frozenset({"U1"})), ACTION).allowed
    resident = Actor("resident:P1", Role.RESIDENT, person_id="P1")
    assert not may(resident, ACTION, Resource.person("P1")).allowed
    # a professional still sees no management person lists
    assert not may(Actor("n", Role.PROFESSIONAL, frozenset({"U1"})), Action.VIEW_PERSONS).allowed
