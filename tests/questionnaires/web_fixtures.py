"""A front door over the small region (tests/care): the web app with a fixed clock, residents
signed in straight into a session, staff (admin, nurse) with passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sotekeskus.store import resident_sessions
from sotekeskus.store.users import create_user
from sotekeskus.web.resident.deps import LANG_COOKIE, RESIDENT_COOKIE
from tests.care.conftest import NOW, Region, make_region

PASSWORDS = {"qadmin": "qadmin-password-1", "qnurse": "qnurse-password-1"}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


@dataclass
class QWeb:
    region: Region
    app: FastAPI

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")

    def resident(self, i: int) -> TestClient:
        c = self.client()
        token = resident_sessions.start(self.region.engine, self.region.persons[i], now=NOW)
        c.cookies.set(RESIDENT_COOKIE, token, domain="testserver.local", path="/asiointi")
        c.cookies.set(LANG_COOKIE, "en", domain="testserver.local", path="/asiointi")
        return c

    def staff(self, username: str) -> TestClient:
        c = self.client()
        page = c.get("/login")
        r = c.post("/login", data={"username": username, "password": PASSWORDS[username],
                                   "csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        return c


def make_qweb(url: str) -> QWeb:
    from sotekeskus.care.staff import set_profile
    from sotekeskus.web.app import create_app

    region = make_region(url, 3)
    create_user(region.engine, "qadmin", PASSWORDS["qadmin"], "admin", [], language="en")
    nurse = create_user(region.engine, "qnurse", PASSWORDS["qnurse"], "professional",
                        ["U001"], display_name="Nina Nurse", language="en")
    set_profile(region.engine, nurse.id, "nurse", services=["nurse_remote"])
    app = create_app(url, secret_key="questionnaire-test-secret", secure_cookies=False)
    app.state.security.clock = lambda: NOW
    app.state.workdesk_now = lambda: NOW
    return QWeb(region, app)
