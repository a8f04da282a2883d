"""The resident's questionnaire pages: a red flag stops at once (112, nothing else asked);
enableWhen without JavaScript (re-render) and with htmx; errors linked to their fields;
a case opens and booking is offered; nobody reads another resident's answers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import CareCase, QuestionnaireResponseRow
from tests.questionnaires.web_fixtures import QWeb, csrf_of, make_qweb

NO_FLAGS = {"rf_breathless_rest": "false", "rf_chest_pain": "false", "rf_confusion": "false",
            "rf_blue_lips": "false"}
SHOWN1 = {"_shown": list(NO_FLAGS)}


@pytest.fixture
def qweb(tmp_path) -> Iterator[QWeb]:  # type: ignore[no-untyped-def]
    w = make_qweb(resolve_url(str(tmp_path / "qweb.db")))
    yield w
    w.app.state.engine.dispose()
    w.region.engine.dispose()


def _start(client) -> tuple[str, str]:
    page = client.get("/asiointi/kyselyt/respiratory-adult")
    assert page.status_code == 200
    action = re.search(r'action="([^"]+)" class="q-form"', page.text).group(1)
    return action, csrf_of(page.text)


def _counts(qweb: QWeb) -> tuple[int, int]:
    with Session(qweb.region.engine) as s:
        return (s.scalar(select(func.count()).select_from(QuestionnaireResponseRow)),
                s.scalar(select(func.count()).select_from(CareCase)))


def test_list_shows_the_examples(qweb) -> None:
    page = qweb.resident(0).get("/asiointi/kyselyt?lang=en")
    assert page.status_code == 200
    for title in ("Respiratory infection symptom check (adults)", "Oral health symptom check",
                  "Prescription renewal", "Fall prevention – e-form for older people",
                  "Older person's service application"):
        assert title in html.unescape(page.text)
    assert "Example – not clinically validated; a region replaces it." in page.text


def test_signed_out_goes_to_identification(qweb) -> None:
    r = qweb.client().get("/asiointi/kyselyt", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/asiointi/tunnistaudu")


def test_red_flag_stops_the_flow_with_112(qweb) -> None:
    c = qweb.resident(0)
    action, csrf = _start(c)
    assert action.endswith("/sivu/1")
    r = c.post(action, data={"csrf_token": csrf, **NO_FLAGS, "rf_chest_pain": "true",
                             **SHOWN1}, follow_redirects=False)
    assert r.status_code == 303 and "/asiointi/kyselyt/vastaus/" in r.headers["location"]
    result = c.get(r.headers["location"] + "?lang=en")
    assert "Call 112 now" in result.text and 'href="tel:112"' in result.text
    assert "<form method=\"post\" action=\"/asiointi/kyselyt" not in result.text
    assert "Book an appointment" not in result.text
    assert _counts(qweb) == (1, 0)  # stored, counted, no queued case


def test_page_flow_enable_when_and_booking(qweb) -> None:
    c = qweb.resident(0)
    action, csrf = _start(c)
    page2 = c.post(action, data={"csrf_token": csrf, **NO_FLAGS, **SHOWN1})
    assert page2.status_code == 200 and 'name="fever"' in page2.text
    assert 'name="fever_days"' not in page2.text  # enabled only by fever = yes
    action2 = re.search(r'action="([^"]+)" class="q-form"', page2.text).group(1)
    assert action2.endswith("/sivu/2")
    hidden = dict(NO_FLAGS)
    shown2 = ["fever", "symptom", "breathless_exertion", "risk_group", "duration"]
    answers = {"fever": "true", "symptom": ["cough", "ear_pain"], "breathless_exertion": "false",
               "risk_group": "false", "duration": "3to10"}
    again = c.post(action2, data={"csrf_token": csrf, **hidden, **answers, "_shown": shown2})
    assert again.status_code == 200  # no JS: the page comes back with the new question
    assert 'name="fever_days"' in again.text and "New questions appeared" in again.text
    assert "Answer this question" not in again.text
    shown2 += ["fever_days", "temperature"]
    bad = c.post(action2, data={"csrf_token": csrf, **hidden, **answers, "fever_days": "two",
                                "_shown": shown2})
    assert bad.status_code == 400
    assert 'aria-describedby="err-fever_days"' in bad.text and 'id="err-fever_days"' in bad.text
    assert 'href="#q-fever_days"' in bad.text
    page3 = c.post(action2, data={"csrf_token": csrf, **hidden, **answers, "fever_days": "2",
                                  "_shown": shown2})
    assert page3.status_code == 200 and 'name="description"' in page3.text
    assert 'name="symptom" value="ear_pain"' in page3.text  # carried as hidden answers
    action3 = re.search(r'action="([^"]+)" class="q-form"', page3.text).group(1)
    carried = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page3.text)
    data: dict[str, list[str]] = {}
    for k, v in carried:
        data.setdefault(k, []).append(v)
    data["description"] = ["Korvaan sattuu"]
    data["_shown"] = ["description"]
    done = c.post(action3, data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    result = c.get(done.headers["location"] + "?lang=en")
    assert "An appointment is recommended" in result.text
    assert "Digital nurse" in result.text and "Book an appointment" in result.text
    m = re.search(r'href="/asiointi/omat/(\d+)#book"', result.text)
    assert m
    with Session(qweb.region.engine) as s:
        case = s.get(CareCase, int(m.group(1)))
        row = s.scalar(select(QuestionnaireResponseRow))
    assert (case.state, case.service_id, case.channel) == ("routed", "nurse_remote",
                                                          "questionnaire")
    assert (row.rule_id, row.language, row.case_id) == ("ear-or-sinus", "en", case.id)


def test_bad_choice_is_named(qweb) -> None:
    c = qweb.resident(0)
    action, csrf = _start(c)
    action2 = action.replace("/sivu/1", "/sivu/2")
    r = c.post(action2, data={"csrf_token": csrf, **NO_FLAGS, "fever": "false",
                              "symptom": "cough", "breathless_exertion": "false",
                              "risk_group": "false", "duration": "week",
                              "_shown": ["fever", "symptom", "breathless_exertion",
                                         "risk_group", "duration"]})
    assert r.status_code == 400
    assert 'id="err-duration"' in r.text and 'aria-invalid="true"' in r.text
    assert _counts(qweb) == (0, 0)


def test_htmx_refresh_shows_conditional_items_and_the_112_alert(qweb) -> None:
    c = qweb.resident(0)
    action, csrf = _start(c)
    action2 = action.replace("/sivu/1", "/sivu/2")
    r = c.post(action2 + "/paivita", data={**NO_FLAGS, "fever": "true"},
               headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert 'id="qi-fever_days" hx-swap-oob="true"' in r.text and 'name="fever_days"' in r.text
    assert 'name="fever"' not in r.text  # the control in use is never replaced
    r = c.post(action + "/paivita", data={"rf_blue_lips": "true"},
               headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert 'role="alert"' in r.text and "tel:112" in r.text
    assert _counts(qweb) == (0, 0)  # nothing stored until the page is sent


def test_csrf_is_required(qweb) -> None:
    c = qweb.resident(0)
    action, _ = _start(c)
    r = c.post(action, data={**NO_FLAGS}, follow_redirects=False)
    assert r.status_code in (400, 403)
    assert _counts(qweb) == (0, 0)


def test_another_resident_cannot_read_my_answers(qweb) -> None:
    c = qweb.resident(0)
    action, csrf = _start(c)
    r = c.post(action, data={"csrf_token": csrf, **NO_FLAGS, "rf_confusion": "true",
                             **SHOWN1}, follow_redirects=False)
    where = r.headers["location"]
    other = qweb.resident(1)
    assert other.get(where).status_code == 404
    assert other.get("/asiointi/kyselyt/vastaus/999999").status_code == 404
    assert c.get(where).status_code == 200


def test_unknown_questionnaire_and_page(qweb) -> None:
    c = qweb.resident(0)
    assert c.get("/asiointi/kyselyt/nope").status_code == 404
    action, csrf = _start(c)
    assert c.post(action.replace("/sivu/1", "/sivu/9"),
                  data={"csrf_token": csrf}).status_code == 404


def test_hostile_ids_are_not_server_errors(qweb) -> None:
    c = qweb.resident(0)
    action, csrf = _start(c)
    assert c.get("/asiointi/kyselyt/vastaus/99999999999999999999").status_code in (404, 422)
    assert c.post("/asiointi/kyselyt/v/99999999999999999999/sivu/1",
                  data={"csrf_token": csrf}).status_code in (404, 422)
    assert c.post(action.replace("/sivu/1", "/sivu/0"),
                  data={"csrf_token": csrf}).status_code in (404, 422)


@pytest.mark.parametrize(("lang", "question", "button", "required"), [
    ("fi", "Onko sinulla kovaa tai puristavaa rintakipua?", "Jatka", "pakollinen"),
    ("sv", "Har du svår eller tryckande bröstsmärta?", "Fortsätt", "obligatorisk"),
    ("en", "Do you have severe or crushing chest pain?", "Continue", "required"),
])
def test_the_form_speaks_each_language(qweb, lang, question, button, required) -> None:
    page = qweb.resident(0).get(f"/asiointi/kyselyt/respiratory-adult?lang={lang}")
    text = html.unescape(page.text)
    assert f'<html lang="{lang}">' in text
    assert question in text and f">{button}</button>" in text and f"({required})" in text
