"""The chat's server-sent events over a real uvicorn server: a professional's reply posted
over HTTP reaches the resident's open stream (woken by the broker), and the professional's
stream gets the resident's message; a reconnect with Last-Event-ID resumes after it."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from sotekeskus.care import chat
from sotekeskus.store import resident_sessions
from tests.browser.conftest import serve_app
from tests.channels.conftest import PASSWORDS, RESIDENT_COOKIE, build_web


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _read_until(response: httpx.Response, needle: str, seconds: float = 15) -> list[str]:
    """Events of the stream until one contains ``needle``."""
    deadline = time.monotonic() + seconds
    events, current = [], []
    for line in response.iter_lines():
        if line == "":
            if current:
                events.append("\n".join(current))
                if needle in events[-1]:
                    return events
            current = []
        else:
            current.append(line)
        assert time.monotonic() < deadline, f"no {needle!r} in {events}"
    raise AssertionError(f"stream ended without {needle!r}: {events}")


def test_messages_reach_the_other_side_live(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # streams re-read the store only every 60 s here: a message arriving sooner was
    # delivered by the broker's wake-up
    monkeypatch.setattr(chat, "POLL_SECONDS", 60.0)
    app, ch = build_web(tmp_path / "sse.db", secure_cookies=False)
    resident = ch.residents[0]
    token = resident_sessions.start(ch.engine, resident.person_pk)
    with serve_app(app) as base:
        res = httpx.Client(base_url=base, cookies={RESIDENT_COOKIE: token}, timeout=20)
        pro = httpx.Client(base_url=base, timeout=20)
        r = res.post("/asiointi/chat", data={"line": "oral_health", "text": "Hammas",
                                              "csrf_token": _csrf(res.get("/asiointi/chat")
                                                                  .text)})
        assert r.status_code == 303
        case_id = int(r.headers["location"].rsplit("/", 1)[1])
        with Session(ch.engine) as s:
            first = chat.last_message_id(s, case_id)
        login = pro.get("/login")
        assert pro.post("/login", data={"username": "hyg", "password": PASSWORDS["hyg"],
                                        "csrf_token": _csrf(login.text)}).status_code in (200,
                                                                                          303)
        panel = pro.get(f"/workdesk/chat/{case_id}?purpose=treatment")
        assert panel.status_code == 200
        pro_token = _csrf(panel.text)
        assert pro.post(f"/workdesk/chat/{case_id}/claim",
                        data={"csrf_token": pro_token}).status_code in (200, 303)

        def reply_later() -> None:
            time.sleep(0.5)
            pro.post(f"/workdesk/chat/{case_id}/reply",
                     data={"body": "Hei! Milloin kipu alkoi?", "csrf_token": pro_token},
                     headers={"HX-Request": "true"})

        with res.stream("GET", f"/asiointi/chat/{case_id}/tapahtumat?after={first}") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            started = time.monotonic()
            replier = threading.Thread(target=reply_later)
            replier.start()
            events = _read_until(stream, "Milloin kipu alkoi?")
            # woken by the broker: long before the (60 s) poll would have found it
            assert time.monotonic() - started < 10
        replier.join(10)
        message = next(e for e in events if "event: message" in e)
        reply_id = int(re.search(r"^id: (\d+)$", message, re.M).group(1))  # type: ignore[union-attr]
        assert 'class="chat-msg chat-professional"' in message
        assert any("event: wait" in e for e in events)

        def resident_writes() -> None:
            time.sleep(0.5)
            res.post(f"/asiointi/chat/{case_id}/viesti",
                     data={"text": "Eilen illalla",
                           "csrf_token": _csrf(res.get(f"/asiointi/chat/{case_id}").text)},
                     headers={"HX-Request": "true"})

        with pro.stream("GET", f"/workdesk/chat/{case_id}/events?purpose=treatment",
                        headers={"Last-Event-ID": str(reply_id)}) as stream:
            assert stream.status_code == 200
            writer = threading.Thread(target=resident_writes)
            writer.start()
            events = _read_until(stream, "Eilen illalla")
        writer.join(10)
        bodies = [e for e in events if "event: message" in e]
        # resumed after the reply: only the resident's new message
        assert len(bodies) == 1 and "Milloin kipu" not in bodies[0]
        res.close()
        pro.close()
    app.state.engine.dispose()  # type: ignore[attr-defined]
    ch.engine.dispose()
