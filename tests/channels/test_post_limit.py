"""The per-resident posting limit: the (N+1)-th post within a minute (chat message, reply,
new contact) is a translated 429 and writes nothing; another resident is not affected."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.config import load_settings
from sotekeskus.store.models import CareCase, CaseMessage
from sotekeskus.web.resident.post_limit import PostLimit
from tests.channels.conftest import Web, csrf_from


def _counts(web: Web) -> tuple[int, int]:
    with Session(web.ch.engine) as s:
        return (s.scalar(select(func.count()).select_from(CareCase)) or 0,
                s.scalar(select(func.count()).select_from(CaseMessage)) or 0)


def _limit(web: Web, n: int) -> None:
    app = web.app
    app.state.settings = replace(app.state.settings,  # type: ignore[attr-defined]
                                 resident_posts_per_minute=float(n))


def test_the_n_plus_first_post_is_refused_and_nothing_is_written(web: Web) -> None:
    _limit(web, 3)
    me = web.resident(0)
    token = csrf_from(me.get("/asiointi/chat").text)
    r = me.post("/asiointi/chat", data={"line": "oral_health", "text": "Hammas",
                                        "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303  # post 1: a new chat
    chat_id = int(r.headers["location"].rsplit("/", 1)[1])
    r = me.post("/asiointi/yhteydenotto/viesti", follow_redirects=False,
                data={"line": "health_station", "subject": "Rokotus", "text": "Tehoste?",
                      "csrf_token": token})
    assert r.status_code == 303  # post 2: a new message case
    message_case = int(r.headers["location"].split("/")[-1].split("?")[0])
    r = me.post(f"/asiointi/chat/{chat_id}/viesti", data={"text": "Lisää",
                                                           "csrf_token": token},
                headers={"HX-Request": "true"})
    assert r.status_code == 204  # post 3: a chat message
    before = _counts(web)
    for path, data in ((f"/asiointi/chat/{chat_id}/viesti", {"text": "Neljäs"}),
                       (f"/asiointi/yhteydenotto/asiat/{message_case}/vastaa",
                        {"text": "Vastaus"}),
                       ("/asiointi/yhteydenotto/viesti",
                        {"line": "health_station", "subject": "X", "text": "Y"}),
                       ("/asiointi/chat", {"line": "oral_health", "text": "Uusi"})):
        r = me.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 429, (path, r.status_code)
        assert 0 < int(r.headers["retry-after"]) <= 60
        assert "Lähetät viestejä liian nopeasti" in r.text  # the resident's language (fi)
    r = me.post("/asiointi/chat?lang=sv", data={"line": "oral_health", "text": "Uusi",
                                                "csrf_token": token})
    assert r.status_code == 429 and "Du skickar meddelanden för snabbt" in r.text
    r = me.post(f"/asiointi/chat/{chat_id}/viesti?lang=en", data={"text": "htmx",
                                                           "csrf_token": token},
                headers={"HX-Request": "true"})
    assert r.status_code == 429 and r.text.startswith("You are sending messages too quickly")
    assert _counts(web) == before  # nothing written
    other = web.resident(1)
    r = other.post("/asiointi/yhteydenotto/viesti", follow_redirects=False,
                   data={"line": "health_station", "subject": "Oma", "text": "Kysymys",
                         "csrf_token": csrf_from(other.get("/asiointi/chat").text)})
    assert r.status_code == 303  # another resident posts as usual
    assert _counts(web)[0] == before[0] + 1


def test_the_window_slides() -> None:
    t = [0.0]
    limit = PostLimit(2, clock=lambda: t[0])
    assert limit.retry_after(1) == 0
    t[0] = 10.0
    assert limit.retry_after(1) == 0
    t[0] = 30.0
    assert limit.retry_after(1) == 30 and limit.retry_after(2) == 0  # per person
    t[0] = 60.0  # the post at 0 s has left the window: one more is allowed
    assert limit.retry_after(1) == 0
    assert limit.retry_after(1) == 10  # until the post at 10 s leaves


def test_the_setting() -> None:
    assert load_settings(env={}).resident_posts_per_minute == 10.0
    env = {"SOTEKESKUS_RESIDENT_POSTS_PER_MINUTE": "4"}
    assert load_settings(env=env).resident_posts_per_minute == 4.0
