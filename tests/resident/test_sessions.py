"""Resident sessions are their own: cookie name and path, lifetimes, sign-out for good,
CSRF on every POST, security headers, throttled failures, no fixation — and neither kind of
session opens the other side's pages."""

from __future__ import annotations

from datetime import date, timedelta

from sotekeskus.domain.workflow.hetu import synthetic_hetu
from sotekeskus.store import audit
from sotekeskus.store import resident_sessions as store
from sotekeskus.store.users import create_user
from sotekeskus.web.resident.deps import RESIDENT_COOKIE, SIGN_IN_COOKIE
from tests.care.conftest import NOW
from tests.resident.conftest import FrontDoor, csrf_of, identify

HETU = synthetic_hetu(date(1980, 3, 1), 900)  # persons[0] of the region


def test_cookie_is_separate_httponly_and_scoped_to_the_front_door(front_door: FrontDoor) -> None:
    c = front_door.client()
    start = c.get("/asiointi/tunnistaudu/aloita", follow_redirects=False)
    assert "Path=/asiointi/tunnistaudu" in start.headers["set-cookie"]
    identify(c, HETU)
    assert c.get("/asiointi/omat").status_code == 200
    jar = {(ck.name, ck.path) for ck in c.cookies.jar}
    assert (RESIDENT_COOKIE, "/asiointi") in jar
    assert not any(name == "sotekeskus_session" for name, _ in jar)  # no staff session


def test_security_headers_on_resident_pages(front_door: FrontDoor) -> None:
    r = front_door.signed_in(0).get("/asiointi/omat")
    assert r.status_code == 200
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_sign_out_ends_the_session_for_good(front_door: FrontDoor) -> None:
    c = front_door.signed_in(0)
    token = c.cookies.get(RESIDENT_COOKIE)
    page = c.get("/asiointi/omat")
    out = c.post("/asiointi/kirjaudu-ulos", data={"csrf_token": csrf_of(page.text)},
                 follow_redirects=False)
    assert out.status_code == 303
    copy = front_door.client()
    copy.cookies.set(RESIDENT_COOKIE, token, domain="testserver.local", path="/asiointi")
    r = copy.get("/asiointi/omat", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/asiointi/tunnistaudu")


def test_every_post_needs_the_sessions_csrf_token(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0)
    slot = front_door.free_slot_ids()[0]
    c = front_door.signed_in(0)
    other = front_door.signed_in(1)
    foreign_token = csrf_of(other.get("/asiointi/omat").text)
    for data in ({"slot_id": slot}, {"slot_id": slot, "csrf_token": foreign_token}):
        r = c.post(f"/asiointi/omat/{case_id}/varaa", data=data, follow_redirects=False)
        assert r.status_code == 403, r.text
    assert c.post("/asiointi/kirjaudu-ulos", follow_redirects=False).status_code == 403
    assert slot in front_door.free_slot_ids()  # nothing was booked


def test_idle_and_absolute_lifetimes(front_door: FrontDoor) -> None:
    life = store.Lifetimes(timedelta(minutes=20), timedelta(hours=4))
    pk = front_door.region.persons[0]
    token = store.start(front_door.engine, pk, now=NOW)
    assert store.resolve(front_door.engine, token, life, NOW + timedelta(minutes=19))
    assert store.resolve(front_door.engine, token, life, NOW + timedelta(minutes=40)) is None
    assert store.resolve(front_door.engine, token, life, NOW + timedelta(minutes=41)) is None
    busy = store.start(front_door.engine, pk, now=NOW)
    t = NOW
    while t + timedelta(minutes=15) < NOW + timedelta(hours=4):
        t += timedelta(minutes=15)
        assert store.resolve(front_door.engine, busy, life, t) is not None
    assert store.resolve(front_door.engine, busy, life, NOW + timedelta(hours=4)) is None


def test_web_clock_idle_expiry_sends_to_sign_in(front_door: FrontDoor) -> None:
    c = front_door.signed_in(0)
    assert c.get("/asiointi/omat").status_code == 200
    front_door.app.state.security.clock = lambda: NOW + timedelta(minutes=21)
    r = c.get("/asiointi/omat", follow_redirects=False)
    assert r.status_code == 303 and "next=%2Fasiointi%2Fomat" in r.headers["location"]


def test_callback_without_matching_state_cookie_is_refused(front_door: FrontDoor) -> None:
    victim = front_door.client()
    start = victim.get("/asiointi/tunnistaudu/aloita", follow_redirects=False)
    state = start.headers["location"].split("state=")[1].split("&")[0]
    attacker = front_door.client()  # login CSRF: no state cookie in this browser
    r = attacker.get("/asiointi/tunnistaudu/paluu", params={"code": "x", "state": state},
                     follow_redirects=False)
    assert r.status_code == 400 and f"{RESIDENT_COOKIE}=" not in r.headers.get("set-cookie", "")
    rows = audit.events(front_door.engine, action=audit.SIGN_IN_FAILED)
    assert rows and "state" in rows[0].detail


def test_a_callback_cannot_be_replayed(front_door: FrontDoor) -> None:
    from urllib.parse import parse_qs, urlsplit

    c = front_door.client()
    start = c.get("/asiointi/tunnistaudu/aloita", follow_redirects=False)
    q = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    picked = c.post("/test-idp/authorize", data={**q, "hetu": HETU}, follow_redirects=False)
    callback = picked.headers["location"]
    assert c.get(callback, follow_redirects=False).status_code == 303
    c.cookies.set(SIGN_IN_COOKIE, q["state"], domain="testserver.local",
                  path="/asiointi/tunnistaudu")
    again = c.get(callback, follow_redirects=False)
    assert again.status_code == 400 and "already used" in again.text


def test_failures_are_throttled_per_address(front_door: FrontDoor) -> None:
    c = front_door.client()
    codes = [c.get("/asiointi/tunnistaudu/paluu", params={"state": "x", "code": "y"},
                   follow_redirects=False).status_code for _ in range(8)]
    assert codes[:5] == [400] * 5 and 429 in codes
    slow = c.get("/asiointi/tunnistaudu/aloita", follow_redirects=False)
    assert slow.status_code == 429 and int(slow.headers["retry-after"]) > 0


def test_no_session_fixation(front_door: FrontDoor) -> None:
    c = front_door.signed_in(1)
    planted = c.cookies.get(RESIDENT_COOKIE)
    identify(c, HETU)
    assert c.cookies.get(RESIDENT_COOKIE) != planted
    life = store.Lifetimes()
    assert store.resolve(front_door.engine, planted, life, NOW) is None  # ended


def test_staff_session_grants_nothing_at_the_front_door(front_door: FrontDoor) -> None:
    create_user(front_door.engine, "hoitaja", "hoitaja-password-1", "professional", ["U001"])
    staff = front_door.client()
    page = staff.get("/login")
    r = staff.post("/login", data={"username": "hoitaja", "password": "hoitaja-password-1",
                                   "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert staff.get("/workdesk", follow_redirects=False).status_code in (200, 303, 307)
    for path in ("/asiointi/omat", "/asiointi/ajat", "/asiointi/lukijat"):
        r = staff.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(
            "/asiointi/tunnistaudu"), path


def test_resident_session_grants_nothing_on_staff_routes(front_door: FrontDoor) -> None:
    c = front_door.signed_in(0)
    token = c.cookies.get(RESIDENT_COOKIE)
    c.cookies.set(RESIDENT_COOKIE, token, domain="testserver.local", path="/")  # sent anywhere
    for path in ("/workdesk", "/workdesk/queue", "/situation", "/admin/users", "/admin/audit"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code in (303, 401, 403, 404), (path, r.status_code)
        assert r.status_code != 200
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login"), path


def test_every_resident_post_route_refuses_a_missing_or_foreign_token(
        front_door: FrontDoor) -> None:
    """All POST routes under /asiointi (own view, questionnaires, contact, chat): 403
    without the session's CSRF token, whatever the ids."""
    import re

    case_id = front_door.routed_case(0)
    c = front_door.signed_in(0)
    other = csrf_of(front_door.signed_in(1).get("/asiointi/omat").text)
    paths = front_door.app.openapi()["paths"]
    posts = sorted(p for p, ops in paths.items() if p.startswith("/asiointi") and "post" in ops)
    assert len(posts) >= 5, posts
    for path in posts:
        url = re.sub(r"\{[^}]+\}", str(case_id), path)
        for data in ({}, {"csrf_token": other}):
            r = c.post(url, data=data, follow_redirects=False)
            assert r.status_code == 403, (path, data, r.status_code)
