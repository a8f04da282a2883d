"""Sign-in, server-side sessions, CSRF, throttling, forwarded headers, security headers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from sotekeskus.store import audit
from sotekeskus.store import sessions as store_sessions
from sotekeskus.store import users as store_users
from sotekeskus.store.users import authenticate, create_user, find_account
from sotekeskus.web.security import (
    HSTS,
    PERMISSIONS_POLICY,
    SignInThrottle,
    WebSecurity,
    parse_networks,
)
from tests.web.conftest import PASSWORDS, csrf_from, sign_in

COOKIE = "sotekeskus_session"


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
    assert r.headers["permissions-policy"] == PERMISSIONS_POLICY
    assert "camera=()" in PERMISSIONS_POLICY and "geolocation=()" in PERMISSIONS_POLICY
    assert "server" not in r.headers


# ------------------------------------------------------------------ helpers

def copy_of(client: TestClient, app, **kw) -> TestClient:  # type: ignore[no-untyped-def]
    """Another browser holding a copy of ``client``'s session cookie."""
    value = client.cookies.get(COOKIE)
    assert value
    other = TestClient(app, base_url="https://testserver", **kw)
    other.cookies.set(COOKIE, value)
    return other


def signed_in(app, username: str, password: str, **kw) -> TestClient:  # type: ignore[no-untyped-def]
    return sign_in(TestClient(app, base_url="https://testserver", **kw), username, password)


def is_signed_in(client: TestClient) -> bool:
    r = client.get("/situation", follow_redirects=False)
    assert r.status_code in (200, 303), r.status_code
    return r.status_code == 200


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# ------------------------------------------------------------------ sessions (2.2)

def test_a_copied_cookie_stops_working_after_sign_out(app) -> None:
    c = signed_in(app, "leader", PASSWORDS["leadership"])
    thief = copy_of(c, app)
    assert is_signed_in(thief)  # the copy works while the session is open
    token = csrf_from(c.get("/situation").text)
    assert c.post("/logout", data={"csrf_token": token},
                  follow_redirects=False).status_code == 303
    assert not is_signed_in(thief)
    assert not is_signed_in(c)


def test_the_cookie_holds_only_a_token_of_a_server_side_session(app) -> None:
    c = signed_in(app, "analyst", PASSWORDS["analyst"])
    value = c.cookies.get(COOKIE)
    import base64
    import json

    payload = json.loads(base64.b64decode(value.split(".")[0] + "=="))
    assert set(payload) <= {"sid", "lang", "csrf"} and "uid" not in payload
    # the store keeps the token's hash, not the token
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sotekeskus.store.models import UserSession

    with Session(app.state.engine) as s:
        ids = set(s.scalars(select(UserSession.id)))
    assert payload["sid"] not in ids


def test_deactivation_ends_every_session_of_the_user_at_once(fresh_app) -> None:
    engine = fresh_app.state.engine
    if find_account(engine, "deact") is None:
        create_user(engine, "deact", "deact-password-1", "analyst")
    victim = find_account(engine, "deact")
    assert victim is not None
    one = signed_in(fresh_app, "deact", "deact-password-1")
    two = signed_in(fresh_app, "deact", "deact-password-1", client=("10.9.9.9", 1))
    stolen = copy_of(one, fresh_app)
    assert is_signed_in(one) and is_signed_in(two) and is_signed_in(stolen)
    assert len(store_sessions.open_sessions(engine, victim.id)) == 2
    admin = signed_in(fresh_app, "admin", PASSWORDS["admin"])
    token = csrf_from(admin.get("/admin/users").text)
    r = admin.post(f"/admin/users/{victim.id}/deactivate", data={"csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303
    assert not any(is_signed_in(c) for c in (one, two, stolen))
    assert store_sessions.open_sessions(engine, victim.id) == []
    # cannot sign in again; the answer is the same as for a wrong password
    page = TestClient(fresh_app, base_url="https://testserver")
    r = page.post("/login", data={"username": "deact", "password": "deact-password-1",
                                  "csrf_token": csrf_from(page.get("/login").text)})
    assert r.status_code == 401 and "Väärä käyttäjätunnus tai salasana." in r.text
    events = audit.events(engine, actor="admin", action=audit.ADMIN_CHANGE)
    assert any(e.target == "user:deact" and "deactivated" in e.detail for e in events)
    store_users.set_active(engine, victim.id, True)


def test_an_admin_cannot_deactivate_themself(fresh_app) -> None:
    admin = signed_in(fresh_app, "admin", PASSWORDS["admin"])
    me = find_account(fresh_app.state.engine, "admin")
    assert me is not None
    token = csrf_from(admin.get("/admin/users").text)
    r = admin.post(f"/admin/users/{me.id}/deactivate", data={"csrf_token": token})
    assert r.status_code == 400
    for bad in ("999999999999999999999999", "x", "-1"):
        r = admin.post(f"/admin/users/{bad}/deactivate", data={"csrf_token": token})
        assert r.status_code == 404, bad
    assert is_signed_in(admin)


def test_idle_and_absolute_lifetimes(fresh_app) -> None:
    clock = Clock(datetime(2025, 6, 16, 8, 0))
    fresh_app.state.security = WebSecurity(
        lifetimes=store_sessions.Lifetimes(idle=timedelta(minutes=30),
                                           absolute=timedelta(hours=8)), clock=clock)
    # idle: 29 minutes between requests is fine, 31 is not
    c = signed_in(fresh_app, "leader", PASSWORDS["leadership"])
    thief = copy_of(c, fresh_app)
    clock.now += timedelta(minutes=29)
    assert is_signed_in(c)
    clock.now += timedelta(minutes=31)
    assert not is_signed_in(thief) and not is_signed_in(c)
    # absolute: active every 20 minutes, the session still ends 8 hours after sign-in
    clock.now = datetime(2025, 6, 17, 8, 0)
    c = signed_in(fresh_app, "leader", PASSWORDS["leadership"])
    thief = copy_of(c, fresh_app)
    for _ in range(23):  # 8:20 … 15:40
        clock.now += timedelta(minutes=20)
        assert is_signed_in(c), clock.now
    clock.now = datetime(2025, 6, 17, 15, 59)
    assert is_signed_in(thief)
    clock.now = datetime(2025, 6, 17, 16, 0)
    assert not is_signed_in(thief) and not is_signed_in(c)


def test_lifetimes_come_from_the_settings() -> None:
    from sotekeskus.config import SettingsError, load_settings

    s = load_settings("x.db", env={"SOTEKESKUS_SESSION_IDLE_MINUTES": "15",
                                   "SOTEKESKUS_SESSION_MAX_HOURS": "10",
                                   "SOTEKESKUS_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/24"})
    sec = WebSecurity.from_settings(s)
    assert sec.lifetimes == store_sessions.Lifetimes(timedelta(minutes=15), timedelta(hours=10))
    assert sec.trusts("192.168.0.77") and sec.trusts("10.0.0.1") and not sec.trusts("10.0.0.2")
    d = WebSecurity.from_settings(load_settings("x.db", env={}))
    assert d.lifetimes == store_sessions.Lifetimes() and d.trusted_proxies == ()
    for bad in ("0", "-5", "nan", "soon"):
        with pytest.raises(SettingsError, match="SOTEKESKUS_SESSION_IDLE_MINUTES"):
            load_settings("x.db", env={"SOTEKESKUS_SESSION_IDLE_MINUTES": bad})
    with pytest.raises(ValueError, match="not-an-ip"):
        parse_networks(["not-an-ip"])


def test_a_password_reset_ends_the_sessions(fresh_app) -> None:
    engine = fresh_app.state.engine
    if find_account(engine, "resetme") is None:
        create_user(engine, "resetme", "resetme-password-1", "analyst")
    c = signed_in(fresh_app, "resetme", "resetme-password-1")
    assert store_users.reset_password(engine, "resetme", "resetme-password-2") == 1
    assert not is_signed_in(c)
    signed_in(fresh_app, "resetme", "resetme-password-2")


# ------------------------------------------------------------------ sign-in (2.5)

def test_unknown_wrong_and_deactivated_get_the_same_answer_and_work(fresh_app,
                                                                     monkeypatch) -> None:
    engine = fresh_app.state.engine
    if find_account(engine, "gone") is None:
        create_user(engine, "gone", "gone-password-12", "analyst")
    gone = find_account(engine, "gone")
    assert gone is not None
    store_users.set_active(engine, gone.id, False)
    calls: list[str] = []
    real = store_users._hasher

    class Counting:
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

    monkeypatch.setattr(store_users, "_hasher", Counting())
    c = TestClient(fresh_app, base_url="https://testserver")
    token = csrf_from(c.get("/login").text)
    answers = []
    for username, password in (("nobody-at-all", "whatever-password"),
                               ("leader", "wrong-password-1"),
                               ("gone", "gone-password-12"),
                               ("gone", "wrong-password-1"),
                               ("x" * 150, "too-long-name")):
        calls.clear()
        r = c.post("/login", data={"username": username, "password": password,
                                   "csrf_token": token})
        answers.append((r.status_code, r.text.replace(username, "NAME")))
        assert len(calls) == 1, (username, calls)  # one argon2 verification, every time
    assert len(set(answers)) == 1 and answers[0][0] == 401
    assert "Väärä käyttäjätunnus tai salasana." in answers[0][1]
    store_users.set_active(engine, gone.id, True)


def test_failures_never_lock_the_account_in_the_store(app) -> None:
    engine = app.state.engine
    if find_account(engine, "locky") is None:
        create_user(engine, "locky", "locky-password-1", "analyst")
    for _ in range(25):
        assert authenticate(engine, "locky", "nope").reason == "invalid"
    assert authenticate(engine, "locky", "locky-password-1").reason == "ok"


def test_progressive_delay_per_account_and_address() -> None:
    t = [1000.0]
    th = SignInThrottle(free_failures=3, base_delay=1.0, max_delay=60.0,
                        address_failures=1000, clock=lambda: t[0])
    waits = []
    for _ in range(10):
        assert th.retry_after("Admin", "1.2.3.4") == 0
        th.failed("admin ", "1.2.3.4")
        waits.append(th.retry_after("admin", "1.2.3.4"))
        t[0] += waits[-1]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]
    # the same account from another address, and another account, are not slowed down
    assert th.retry_after("admin", "5.6.7.8") == 0
    assert th.retry_after("someone", "1.2.3.4") == 0
    # success resets the pair
    th.succeeded("admin", "1.2.3.4")
    assert th.retry_after("admin", "1.2.3.4") == 0


def test_per_address_limit_across_account_names() -> None:
    t = [0.0]
    th = SignInThrottle(address_failures=5, address_window=60, clock=lambda: t[0])
    for i in range(5):
        assert th.retry_after(f"user{i}", "9.9.9.9") == 0
        th.failed(f"user{i}", "9.9.9.9")
    assert th.retry_after("user99", "9.9.9.9") == 60
    assert th.retry_after("user99", "9.9.9.8") == 0
    t[0] = 61
    assert th.retry_after("user99", "9.9.9.9") == 0


def test_a_stranger_cannot_lock_the_admin_out(fresh_app) -> None:
    fresh_app.state.throttle = SignInThrottle(free_failures=3, base_delay=60)
    stranger = TestClient(fresh_app, base_url="https://testserver", client=("203.0.113.9", 1))
    token = csrf_from(stranger.get("/login").text)
    statuses = [stranger.post("/login", data={"username": "admin", "password": f"guess{i}",
                                              "csrf_token": token}).status_code
                for i in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]
    r = stranger.post("/login", data={"username": "admin", "password": PASSWORDS["admin"],
                                      "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # an unknown name is slowed down exactly alike (no hint that "admin" exists)
    for i in range(4):
        stranger.post("/login", data={"username": "no-such-admin", "password": f"g{i}",
                                      "csrf_token": token})
    r2 = stranger.post("/login", data={"username": "no-such-admin", "password": "g",
                                       "csrf_token": token})
    assert r2.status_code == 429 and r2.text == r.text
    # the administrator, from their own address, signs in at once
    signed_in(fresh_app, "admin", PASSWORDS["admin"], client=("198.51.100.7", 1))


def _conn(peer: str, headers: dict[str, str] | None = None,
          scheme: str = "http") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                    "headers": raw, "client": (peer, 1234), "scheme": scheme,
                    "server": ("testserver", 443 if scheme == "https" else 80)})


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    sec = WebSecurity(trusted_proxies=parse_networks(["10.0.0.1", "10.1.0.0/16"]))
    xff = {"X-Forwarded-For": "1.1.1.1, 203.0.113.5, 10.1.2.3"}
    assert sec.client_address(_conn("198.51.100.1", xff)) == "198.51.100.1"  # not a proxy
    assert sec.client_address(_conn("10.0.0.1", xff)) == "203.0.113.5"  # skips 10.1.2.3
    assert sec.client_address(_conn("10.0.0.1")) == "10.0.0.1"
    assert sec.client_address(_conn("10.0.0.1", {"X-Forwarded-For": "junk"})) == "10.0.0.1"
    assert sec.client_address(_conn("10.0.0.1", {"X-Forwarded-For": "[2001:db8::1]:443"})
                              ) == "2001:db8::1"
    assert WebSecurity().client_address(_conn("10.0.0.1", xff)) == "10.0.0.1"


def test_forged_forwarded_for_does_not_escape_the_throttle(fresh_app) -> None:
    fresh_app.state.throttle = SignInThrottle(free_failures=0, base_delay=60)
    c = TestClient(fresh_app, base_url="https://testserver", client=("203.0.113.9", 1))
    token = csrf_from(c.get("/login").text)
    r = c.post("/login", data={"username": "admin", "password": "x", "csrf_token": token},
               headers={"X-Forwarded-For": "1.1.1.1"})
    assert r.status_code == 401
    r = c.post("/login", data={"username": "admin", "password": "x", "csrf_token": token},
               headers={"X-Forwarded-For": "2.2.2.2"})
    assert r.status_code == 429
    fails = audit.events(fresh_app.state.engine, actor="admin", action=audit.SIGN_IN_FAILED)
    assert "address=203.0.113.9" in fails[0].detail


# ------------------------------------------------------------------ headers (2.10)

def test_hsts_only_over_https(fresh_app) -> None:
    https = TestClient(fresh_app, base_url="https://testserver")
    assert https.get("/login").headers["strict-transport-security"] == HSTS
    http = TestClient(fresh_app, base_url="http://testserver", client=("10.0.0.1", 1))
    r = http.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in r.headers  # the proxy is not trusted
    assert r.headers["permissions-policy"] == PERMISSIONS_POLICY
    fresh_app.state.security = WebSecurity(trusted_proxies=parse_networks(["10.0.0.1"]))
    r = http.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"] == HSTS
    assert "strict-transport-security" not in http.get(
        "/login", headers={"X-Forwarded-Proto": "http"}).headers


def test_serve_sends_no_server_banner(monkeypatch, tmp_path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from sotekeskus.cli import app as cli

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 0, result.output
    assert seen["server_header"] is False and seen["proxy_headers"] is False


def test_admin_cannot_give_a_manager_a_unit_that_does_not_exist(client_for) -> None:
    admin = client_for("admin")
    token = csrf_from(admin.get("/admin/users").text)
    r = admin.post("/admin/users", data={"username": "newmgr", "password": "x" * 14,
                                         "role": "manager", "units": ["U1", "NOPE-7"],
                                         "csrf_token": token})
    assert r.status_code == 400 and "NOPE-7" in r.text
    assert "U1, U2, U3" in r.text  # the allowed units are listed
    assert not any(u.username == "newmgr" for u in store_users.list_accounts(
        admin.app.state.engine))  # type: ignore[attr-defined]


def test_sessions_on_any_store(any_db: str) -> None:
    """The session store on SQLite and PostgreSQL: lifetimes, sign-out, deactivation."""
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    engine = make_engine(resolve_url(any_db))
    upgrade(engine)
    try:
        user = create_user(engine, "sessioned", "sessioned-password", "analyst")
        t0 = datetime(2025, 1, 1, 8, 0)
        life = store_sessions.Lifetimes(timedelta(minutes=30), timedelta(hours=8))
        a = store_sessions.start_session(engine, user.id, "10.0.0.1", t0)
        b = store_sessions.start_session(engine, user.id, "10.0.0.2", t0)
        assert store_sessions.resolve(engine, a, life, t0 + timedelta(minutes=10)) == user
        assert store_sessions.resolve(engine, "forged", life, t0) is None
        assert store_sessions.resolve(engine, "x" * 5000, life, t0) is None
        assert store_sessions.end_session(engine, a, now=t0 + timedelta(minutes=11))
        assert store_sessions.resolve(engine, a, life, t0 + timedelta(minutes=12)) is None
        assert not store_sessions.end_session(engine, a)  # already ended
        assert store_users.deactivate_user(engine, "sessioned", t0 + timedelta(minutes=13)) == 1
        assert store_sessions.resolve(engine, b, life, t0 + timedelta(minutes=14)) is None
        assert store_sessions.open_sessions(engine) == []
        # rows older than the retention go when a new session starts
        store_sessions.start_session(engine, user.id, now=t0 + store_sessions.RETENTION
                                     + timedelta(days=1))
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from sotekeskus.store.models import UserSession

        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(UserSession)) == 1
    finally:
        engine.dispose()
