"""Sign-in, sessions, CSRF, throttling and lock-out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sotekeskus.store import audit
from sotekeskus.store.users import MAX_FAILED_LOGINS, authenticate, create_user
from sotekeskus.web.security import LoginThrottle
from tests.web.conftest import PASSWORDS, csrf_from, sign_in


def test_pages_require_sign_in(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    for path in ("/situation", "/access", "/monitoring", "/situation/waiting-list",
                 "/access/export/access_summary.csv", "/admin/indicators"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
    r = c.get("/situation/panel", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login")


def test_sign_in_success_sets_secure_session_cookie_and_audits(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    page = c.get("/login")
    r = c.post("/login", data={"username": "leader", "password": PASSWORDS["leadership"],
                               "csrf_token": csrf_from(page.text), "next": "/access"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/access"
    cookie = r.headers["set-cookie"]
    assert "sotekeskus_session=" in cookie
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert c.get("/access").status_code == 200
    assert any(e.action == audit.SIGN_IN for e in audit.events(app.state.engine, actor="leader"))


def test_sign_in_failure(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    page = c.get("/login")
    r = c.post("/login", data={"username": "leader", "password": "wrong",
                               "csrf_token": csrf_from(page.text)})
    assert r.status_code == 401
    assert "Väärä käyttäjätunnus tai salasana." in r.text
    assert c.get("/situation", follow_redirects=False).status_code == 303


def test_open_redirect_is_refused(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    page = c.get("/login")
    r = c.post("/login", data={"username": "leader", "password": PASSWORDS["leadership"],
                               "csrf_token": csrf_from(page.text),
                               "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/situation"


def test_csrf_is_required_on_every_post(app, client_for) -> None:
    anon = TestClient(app, base_url="https://testserver")
    r = anon.post("/login", data={"username": "leader", "password": PASSWORDS["leadership"]})
    assert r.status_code == 403
    anon.get("/login")
    r = anon.post("/login", data={"username": "leader", "password": PASSWORDS["leadership"],
                                  "csrf_token": "forged"})
    assert r.status_code == 403
    admin = client_for("admin")
    for path, data in (("/logout", {}), ("/language", {"language": "sv"}),
                       ("/admin/users", {"username": "x", "password": "y" * 12,
                                         "role": "analyst"}),
                       ("/admin/indicators/save", {"code": "x", "name_fi": "x",
                                                   "name_sv": "x", "name_en": "x"})):
        assert admin.post(path, data=data, follow_redirects=False).status_code == 403, path
    # still signed in: the forged sign-out did nothing
    assert admin.get("/situation").status_code == 200


def test_throttling_per_client(fresh_app) -> None:
    fresh_app.state.throttle = LoginThrottle(max_failures=3, window_seconds=60)
    c = TestClient(fresh_app, base_url="https://testserver")
    token = csrf_from(c.get("/login").text)
    statuses = [c.post("/login", data={"username": f"nobody{i}", "password": "x",
                                       "csrf_token": token}).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    # even the right password is refused while throttled
    r = c.post("/login", data={"username": "leader", "password": PASSWORDS["leadership"],
                               "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_account_lock_out(app) -> None:
    engine = app.state.engine
    create_user(engine, "locky", "locky-password-1", "analyst")
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert authenticate(engine, "locky", "nope").reason == "invalid"
    assert authenticate(engine, "locky", "nope").reason == "locked"
    assert authenticate(engine, "locky", "locky-password-1").reason == "locked"


def test_passwords_are_argon2_hashed(app) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sotekeskus.store.models import User

    with Session(app.state.engine) as s:
        hashes = list(s.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(p in h for h in hashes for p in PASSWORDS.values())


def test_sign_out(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    sign_in(c, "leader", PASSWORDS["leadership"])
    token = csrf_from(c.get("/situation").text)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False
                  ).status_code == 303
    assert c.get("/situation", follow_redirects=False).status_code == 303


def test_security_headers(client_for) -> None:
    r = client_for("leadership").get("/situation")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
