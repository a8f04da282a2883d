"""The resident's contact and chat pages and the professional's chat panel: forms open cases,
bad input is a page naming the field, nobody reaches another resident's case or stream,
every professional read is audited with its purpose and the resident."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care import chat
from sotekeskus.store.models import AuditEvent, CareCase, CaseContact
from tests.channels.conftest import Web, csrf_from


def _post(client, path: str, data: dict[str, str], page: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _cases(web: Web) -> list[CareCase]:
    with Session(web.ch.engine) as s:
        return list(s.scalars(select(CareCase).order_by(CareCase.id)))


def test_message_form_opens_a_case_and_the_resident_follows_it(web: Web) -> None:
    me = web.resident(0)
    r = _post(me, "/asiointi/yhteydenotto/viesti",
              {"line": "health_station", "subject": "Rokotus", "text": "Tarvitsenko tehosteen?"})
    assert r.status_code == 303
    case = _cases(web)[0]
    assert r.headers["location"] == f"/asiointi/yhteydenotto/asiat/{case.id}?sent=1"
    assert (case.channel, case.unit_id, case.state) == ("message", "U001", "new")
    page = me.get(r.headers["location"])
    assert page.status_code == 200 and "Tarvitsenko tehosteen?" in page.text
    r = _post(me, f"/asiointi/yhteydenotto/asiat/{case.id}/vastaa", {"text": "Lisäys"},
              page=f"/asiointi/yhteydenotto/asiat/{case.id}")
    assert r.status_code == 303 and "Lisäys" in me.get(r.headers["location"]).text


def test_bad_input_is_a_page_naming_the_field(web: Web) -> None:
    me = web.resident(0)
    r = _post(me, "/asiointi/yhteydenotto/viesti",
              {"line": "health_station", "subject": " ", "text": "x"})
    assert r.status_code == 400 and "subject: required" in r.text
    assert 'role="alert"' in r.text
    r = _post(me, "/asiointi/yhteydenotto/resepti", {"medicine": "", "pharmacy": "A"})
    assert r.status_code == 400 and "medicine: required" in r.text
    assert "<title>Uusi resepti" in r.text
    assert _cases(web) == []


def test_call_back_form_offers_windows_and_books_one(web: Web) -> None:
    me = web.resident(1)
    page = me.get("/asiointi/yhteydenotto/soittopyynto?line=health_station")
    assert 'value="2025-06-16T09:00"' in page.text and 'value="2025-06-16T08:00"' not in page.text
    r = me.post("/asiointi/yhteydenotto/soittopyynto", follow_redirects=False, data={
        "line": "health_station", "window": "2025-06-16T10:00", "phone": "040 123 4567",
        "subject": "Laboratoriotulokset", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    case = _cases(web)[0]
    assert (case.channel, case.callback_from.hour, case.callback_to.hour) == ("phone", 10, 11)
    r = me.post("/asiointi/yhteydenotto/soittopyynto", follow_redirects=False, data={
        "line": "health_station", "window": "2025-06-16T07:00", "phone": "040 123 4567",
        "subject": "x", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 400 and "callback_window: &#39;2025-06-16T07:00&#39;" in r.text


def test_e_form_and_renewal_forms(web: Web) -> None:
    me = web.resident(2)
    r = _post(me, "/asiointi/yhteydenotto/lomake/travel_vaccination",
              {"f_destination": "Thaimaa", "f_departure": "2025-08-01", "message": ""})
    assert r.status_code == 303
    r = _post(me, "/asiointi/yhteydenotto/resepti",
              {"medicine": "Atorvastatiini 20 mg", "pharmacy": "Keskusapteekki"})
    assert r.status_code == 303
    with Session(web.ch.engine) as s:
        kinds = [(c.kind, c.form_id) for c in s.scalars(select(CaseContact)
                                                        .order_by(CaseContact.case_id))]
    assert kinds == [("e_form", "travel_vaccination"), ("renewal", "prescription_renewal")]
    assert me.get("/asiointi/yhteydenotto/lomake/nope").status_code == 404


def _chat(web: Web, client, text: str = "Hammasta särkee", line: str = "oral_health") -> int:  # type: ignore[no-untyped-def]
    r = _post(client, "/asiointi/chat", {"line": line, "text": text})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_chat_page_shows_expected_wait_and_a_live_region(web: Web) -> None:
    me = web.resident(0)
    start = me.get("/asiointi/chat")
    assert "Expected wait about 7 min" in me.get("/asiointi/chat?lang=en").text
    assert "Arvioitu odotusaika noin 7 min" in start.text
    case_id = _chat(web, me)
    page = me.get(f"/asiointi/chat/{case_id}")
    assert page.status_code == 200
    assert 'aria-live="polite"' in page.text and 'sse-connect="/asiointi/chat/' in page.text
    assert "/static/vendor/htmx-ext-sse.js" in page.text
    assert "Hammasta särkee" in page.text


@pytest.mark.parametrize("path", ["/asiointi/chat/{id}", "/asiointi/chat/{id}/viestit",
                                  "/asiointi/chat/{id}/tapahtumat",
                                  "/asiointi/yhteydenotto/asiat/{id}"])
def test_another_residents_chat_is_404_and_leaks_nothing(web: Web, path: str) -> None:
    owner, other = web.resident(0), web.resident(1)
    case_id = _chat(web, owner, text="Salainen hammasvaiva")
    mine = _chat(web, other, text="Oma")
    r = other.get(path.format(id=case_id))
    missing = other.get(path.format(id=999999))
    assert r.status_code == 404 and missing.status_code == 404
    assert "Salainen" not in r.text
    # the same page as for an id that does not exist (only the address differs)
    assert r.text.replace(f"/{case_id}", "/N") == missing.text.replace("/999999", "/N")
    assert other.get(path.format(id="abc")).status_code == 404
    r = other.post(f"/asiointi/chat/{case_id}/viesti", follow_redirects=False, data={
        "text": "hei", "csrf_token": csrf_from(other.get(f"/asiointi/chat/{mine}").text)})
    assert r.status_code == 404
    with Session(web.ch.engine) as s:
        _, msgs = chat.resident_messages(s, web.ch.residents[0], case_id)
    assert [m.body for m in msgs] == ["Salainen hammasvaiva"]


def test_sign_in_needed_and_audiences_separate(web: Web) -> None:
    from fastapi.testclient import TestClient

    anon = TestClient(web.app, base_url="https://testserver")  # type: ignore[arg-type]
    r = anon.get("/asiointi/chat", follow_redirects=False)
    assert r.status_code == 303 and "/asiointi/tunnistaudu" in r.headers["location"]
    me = web.resident(0)
    case_id = _chat(web, me)
    r = me.get(f"/workdesk/chat/{case_id}", follow_redirects=False)
    assert r.status_code in (303, 401, 403) and "Hammasta" not in r.text
    hyg = web.staff("hyg")
    r = hyg.get(f"/asiointi/chat/{case_id}", follow_redirects=False)
    assert r.status_code == 303 and "Hammasta" not in r.text


def test_professional_panel_claim_reply_close_and_audit(web: Web) -> None:
    me = web.resident(0)
    case_id = _chat(web, me)
    nurse = web.staff("nurse_web")  # U001 only: the oral line's case is U010's
    assert nurse.get(f"/workdesk/chat/{case_id}?purpose=treatment").status_code == 403
    assert nurse.get(f"/workdesk/chat/{case_id}/events").status_code == 403
    hyg = web.staff("hyg")
    page = hyg.get(f"/workdesk/chat/{case_id}?purpose=treatment")
    assert page.status_code == 200 and "Hammasta särkee" in page.text
    assert f"<title>Chat panel #{case_id}" in page.text
    with Session(web.ch.engine) as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.actor == "hyg",
                                                AuditEvent.action == "read_person_level")
                       .order_by(AuditEvent.id.desc()))
    assert row is not None
    assert (row.target, row.purpose, row.subject_person_id) == (
        f"case:{case_id}", "treatment", web.ch.residents[0].person_id)
    assert row.detail.endswith("chat panel: 1 after 0")
    case_page = hyg.get(f"/workdesk/cases/{case_id}?purpose=treatment")
    assert f'href="/workdesk/chat/{case_id}?purpose=treatment">Chat panel' in case_page.text
    readers = me.get("/asiointi/lukijat?lang=en")  # the resident's "who has read my data"
    assert readers.status_code == 200 and "Hanna Hygienisti" in readers.text
    token = csrf_from(page.text)
    assert hyg.post(f"/workdesk/chat/{case_id}/claim", data={"csrf_token": token},
                    follow_redirects=False).status_code == 303
    r = hyg.post(f"/workdesk/chat/{case_id}/reply", data={"body": "Hei, kerro lisää",
                                                          "csrf_token": token},
                 follow_redirects=False)
    assert r.status_code == 303
    assert "Hei, kerro lisää" in me.get(f"/asiointi/chat/{case_id}").text
    r = hyg.post(f"/workdesk/chat/{case_id}/close", follow_redirects=False, data={
        "outcome": "resolved", "resolution": "self_care", "urgency": "non_urgent",
        "need": "herkkä hammas", "note": "Ohjeet annettu", "csrf_token": token})
    assert r.status_code == 303
    with Session(web.ch.engine) as s:
        case, row2 = s.get(CareCase, case_id), s.get(CaseContact, case_id)
        assert case is not None and row2 is not None
        assert (case.state, case.close_reason, case.first_reply_at is not None) == \
            ("closed", "resolved", True)
        assert (row2.resolution, row2.resolved_first_contact) == ("self_care", True)
    closed = me.get(f"/asiointi/chat/{case_id}?lang=en")
    assert "This chat has ended" in closed.text and 'class="r-form chat-send"' not in closed.text
    late = me.post(f"/asiointi/chat/{case_id}/viesti", headers={"HX-Request": "true"},
                   data={"text": "Kiitos!", "csrf_token": csrf_from(closed.text)})
    assert late.status_code == 400 and late.text == f"case {case_id}: the case is closed; " \
        "start a new one"


def test_panel_shows_what_the_resident_filled_in(web: Web) -> None:
    me = web.resident(0)
    assert _post(me, "/asiointi/yhteydenotto/lomake/certificate_request",
                 {"f_purpose": "driving_licence", "f_details": "C-luokka",
                  "message": ""}).status_code == 303
    assert _post(me, "/asiointi/yhteydenotto/resepti",
                 {"medicine": "Atorvastatiini 20 mg", "pharmacy": "Keskusapteekki"}
                 ).status_code == 303
    form_case, renewal = (c.id for c in _cases(web))
    nurse = web.staff("nurse_web")  # English
    page = nurse.get(f"/workdesk/chat/{form_case}?purpose=assessment")
    assert "<dt>What is the certificate for</dt><dd>Driving licence</dd>" in page.text
    assert "<title>Contact panel #" in page.text
    page = nurse.get(f"/workdesk/chat/{renewal}?purpose=assessment")
    assert "<dt>Medicine (name and strength)</dt><dd>Atorvastatiini 20 mg</dd>" in page.text
    assert "<dt>Pharmacy</dt><dd>Keskusapteekki</dd>" in page.text
