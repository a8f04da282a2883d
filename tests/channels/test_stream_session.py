"""A live chat stream ends with its session (real uvicorn server, httpx streaming): the
resident signs out in another client, or the professional's account is deactivated, and
the open stream sends one ``end`` event within the poll interval, then closes — no message
written after that reaches it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from sotekeskus.care import chat
from sotekeskus.store import resident_sessions
from sotekeskus.store.models import UserUnit
from sotekeskus.store.users import find_account, set_active
from tests.browser.conftest import serve_app
from tests.channels.conftest import PASSWORDS, RESIDENT_COOKIE, build_web, csrf_from

POLL = 1.0


def _events_until_closed(response: httpx.Response) -> list[tuple[float, str]]:
    """(arrival time, event) of every event until the server closes the stream."""
    events, current = [], []
    for line in response.iter_lines():
        if line == "":
            if current:
                events.append((time.monotonic(), "\n".join(current)))
            current = []
        else:
            current.append(line)
    return events


def _start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(chat, "POLL_SECONDS", POLL)
    app, ch = build_web(tmp_path / "stream.db", secure_cookies=False)
    token = resident_sessions.start(ch.engine, ch.residents[0].person_pk)
    return app, ch, token


def _open_chat(res: httpx.Client) -> int:
    r = res.post("/asiointi/chat", data={"line": "oral_health", "text": "Hammas",
                                          "csrf_token": csrf_from(res.get("/asiointi/chat")
                                                                  .text)})
    assert r.status_code == 303
    return int(r.headers["location"].rsplit("/", 1)[1])


def _professional(base: str, case_id: int) -> tuple[httpx.Client, str]:
    pro = httpx.Client(base_url=base, timeout=20)
    login = pro.get("/login")
    pro.post("/login", data={"username": "hyg", "password": PASSWORDS["hyg"],
                             "csrf_token": csrf_from(login.text)})
    token = csrf_from(pro.get(f"/workdesk/chat/{case_id}?purpose=treatment").text)
    assert pro.post(f"/workdesk/chat/{case_id}/claim",
                    data={"csrf_token": token}).status_code in (200, 303)
    return pro, token


def test_resident_stream_ends_when_she_signs_out_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, ch, token = _start(tmp_path, monkeypatch)
    with serve_app(app) as base:
        res = httpx.Client(base_url=base, cookies={RESIDENT_COOKIE: token}, timeout=20)
        case_id = _open_chat(res)
        pro, pro_token = _professional(base, case_id)
        with Session(ch.engine) as s:
            first = chat.last_message_id(s, case_id)
        other = httpx.Client(base_url=base, cookies={RESIDENT_COOKIE: token}, timeout=20)
        signed_out = {}

        def sign_out_then_reply() -> None:
            time.sleep(1.5)
            page = other.get(f"/asiointi/chat/{case_id}")
            r = other.post("/asiointi/kirjaudu-ulos", data={"csrf_token": csrf_from(page.text)})
            assert r.status_code in (200, 303)
            signed_out["at"] = time.monotonic()
            # written (and the broker woken) after the sign-out: must not reach the stream
            pro.post(f"/workdesk/chat/{case_id}/reply", headers={"HX-Request": "true"},
                     data={"body": "Salainen jatko", "csrf_token": pro_token})

        with res.stream("GET", f"/asiointi/chat/{case_id}/tapahtumat?after={first}") as st:
            assert st.status_code == 200
            worker = threading.Thread(target=sign_out_then_reply)
            worker.start()
            events = _events_until_closed(st)
        worker.join(10)
        names = [e for _, e in events]
        assert "event: end" in names[-1], names
        assert "Istunto on päättynyt" in names[-1]  # the resident's language (fi)
        assert not any("Salainen jatko" in e for e in names)
        ended_at = events[-1][0]
        assert ended_at - signed_out["at"] < POLL + 2.0  # within the poll interval (+ slack)
        res.close()
        other.close()
        pro.close()
    app.state.engine.dispose()  # type: ignore[attr-defined]
    ch.engine.dispose()


@pytest.mark.parametrize("withdraw", ["deactivated", "unit_removed"])
def test_professional_stream_ends_when_the_account_or_access_goes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, withdraw: str) -> None:
    app, ch, token = _start(tmp_path, monkeypatch)
    with serve_app(app) as base:
        res = httpx.Client(base_url=base, cookies={RESIDENT_COOKIE: token}, timeout=20)
        case_id = _open_chat(res)
        pro, _ = _professional(base, case_id)
        with Session(ch.engine) as s:
            first = chat.last_message_id(s, case_id)
        hyg = find_account(ch.engine, "hyg")
        assert hyg is not None
        done = {}

        def deactivate_then_write() -> None:
            time.sleep(1.5)
            if withdraw == "deactivated":
                set_active(ch.engine, hyg.id, False)
            else:  # the session stays valid; the access policy no longer lets her in
                with Session(ch.engine) as s, s.begin():
                    s.execute(delete(UserUnit).where(UserUnit.user_id == hyg.id))
            done["at"] = time.monotonic()
            res.post(f"/asiointi/chat/{case_id}/viesti", headers={"HX-Request": "true"},
                     data={"text": "Myöhäinen viesti",
                           "csrf_token": csrf_from(res.get(f"/asiointi/chat/{case_id}").text)})

        with pro.stream("GET", f"/workdesk/chat/{case_id}/events?after={first}"
                               "&purpose=treatment") as st:
            assert st.status_code == 200
            worker = threading.Thread(target=deactivate_then_write)
            worker.start()
            events = _events_until_closed(st)
        worker.join(10)
        names = [e for _, e in events]
        assert "event: end" in names[-1], names
        assert not any("Myöhäinen viesti" in e for e in names)
        assert events[-1][0] - done["at"] < POLL + 2.0
        res.close()
        pro.close()
    app.state.engine.dispose()  # type: ignore[attr-defined]
    ch.engine.dispose()
