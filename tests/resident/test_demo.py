"""The demo's front-door hint: on the synthetic live morning there are synthetic residents
with open cases, and the one named first can sign in through the test identity provider and
sees that very case, which the workdesk also shows."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotekeskus.care.catalogue import default_catalogue
from sotekeskus.care.front_door_demo import demo_residents
from sotekeskus.domain.workflow.hetu import parse_hetu
from sotekeskus.store.models import CareCase, Unit
from tests.resident.conftest import identify

NOW = datetime(2025, 6, 16, 10, 30)


def test_demo_residents_sign_in_and_see_their_live_case(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.synth.operations import seed_operations
    from sotekeskus.web.app import create_app

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add_all(Unit(unit_id=f"U{i:03d}", name=f"Unit {i}", municipality="K")
                        for i in range(1, 20))
    seed_operations(engine, NOW)
    found = demo_residents(engine, dict(default_catalogue().services))
    assert 1 <= len(found) <= 3
    assert all(parse_hetu(r.hetu).is_test_identity for r in found)
    assert len({r.hetu for r in found}) == len(found)
    first = found[0]
    with Session(engine) as s:
        case = s.get(CareCase, first.case_id)
        assert case is not None and case.state != "closed"
    app = create_app(url, secret_key="k", secure_cookies=False)
    app.state.security.clock = lambda: NOW
    c = TestClient(app)
    identify(c, first.hetu, first.name, next_path=f"/asiointi/omat/{first.case_id}")
    page = c.get(f"/asiointi/omat/{first.case_id}")
    assert page.status_code == 200
    engine.dispose()
