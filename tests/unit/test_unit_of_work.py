"""A unit of work commits data and audit together, or neither; refusals are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.access_policy import Action, Actor, Role
from sotekeskus.store import audit
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Meta

MANAGER = Actor("nurse-manager", Role.MANAGER, frozenset({"U1"}))


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    e = make_engine(resolve_url(str(tmp_path / "store.db")))
    upgrade(e)
    yield e
    e.dispose()


def test_data_and_audit_commit_together(engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine, MANAGER, "care of the resident") as uow:
        uow.authorise(Action.VIEW_PERSONS, ["U1"])
        uow.session.add(Meta(key="k1", value="v"))
        uow.audit_read("case:1", "opened")
    rows = audit.events(engine, actor="nurse-manager")
    assert [(r.action, r.target) for r in rows] == [(audit.READ_PERSONS, "case:1")]
    assert "purpose=care of the resident" in rows[0].detail
    with UnitOfWork(engine, MANAGER, "check") as uow:
        assert uow.session.scalar(select(Meta.value).where(Meta.key == "k1")) == "v"


def test_a_failure_rolls_back_data_and_audit(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match="boom"):
        with UnitOfWork(engine, MANAGER, "care") as uow:
            uow.session.add(Meta(key="k2", value="v"))
            uow.audit_read("case:2")
            raise RuntimeError("boom")
    assert audit.events(engine, actor="nurse-manager") == []
    with UnitOfWork(engine, MANAGER, "check") as uow:
        assert uow.session.get(Meta, "k2") is None


def test_refusal_is_audited_even_though_the_work_rolls_back(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed, match="U2 is not among"):
        with UnitOfWork(engine, MANAGER, "care") as uow:
            uow.authorise(Action.VIEW_PERSONS, ["U2"])
    rows = audit.events(engine, actor="nurse-manager")
    assert [r.action for r in rows] == [audit.DENIED]
    assert "purpose=care" in rows[0].detail


def test_a_purpose_is_required(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="purpose"):
        UnitOfWork(engine, MANAGER, "  ")
