"""OAuth2 client credentials for the FHIR API: the token endpoint grants a subset of the
client's scopes as a short-lived bearer token; expiry and revocation end it; wrong secrets,
unknown grants and scopes beyond the client's are refused (RFC 6749 errors, audited); the
static tokens keep working; SMART configuration advertises the endpoint."""

from __future__ import annotations

import base64
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sotekeskus.config import load_settings
from sotekeskus.interop.fhir.clients import ClientError, create_client, revoke_client
from sotekeskus.interop.fhir.oauth import set_secret
from sotekeskus.store.models import ApiAccessToken, ApiClientSecret, AuditEvent

from .test_fhir_api import persons, template  # noqa: F401

TOKEN = "/fhir/auth/token"


@pytest.fixture
def app(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    from sotekeskus.web.app import create_app

    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics"))
    monkeypatch.setenv("SOTEKESKUS_API_TOKEN_MINUTES", "5")
    copy = tmp_path / "store.db"
    shutil.copy(template, copy)
    application = create_app(f"sqlite:///{copy}", secret_key="test-secret",
                             secure_cookies=False)
    yield application
    application.state.engine.dispose()


def basic(name: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{name}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def client_with_secret(app, name: str = "lake", scopes=("system/*.read",),  # noqa: ANN001
                       role: str = "professional") -> tuple[str, str]:
    _, static = create_client(app.state.engine, name, role, ["U1"], list(scopes))
    return static, set_secret(app.state.engine, name)


def test_client_credentials_grant_and_use(app) -> None:  # noqa: ANN001
    http = TestClient(app)
    static, secret = client_with_secret(app)
    with app.state.engine.connect() as conn:
        stored = conn.execute(select(ApiClientSecret.secret_hash)).scalar_one()
    assert stored.startswith("$argon2") and secret not in stored
    got = http.post(TOKEN, data={"grant_type": "client_credentials"},
                    headers=basic("lake", secret))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["token_type"] == "bearer" and body["scope"] == "system/*.read"
    assert body["expires_in"] == 300  # SOTEKESKUS_API_TOKEN_MINUTES=5
    assert got.headers["cache-control"] == "no-store"
    with app.state.engine.connect() as conn:
        digest = conn.execute(select(ApiAccessToken.token_sha256)).scalar_one()
    assert body["access_token"] not in digest  # only the digest is stored
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    first = persons(app)[0]
    assert http.get(f"/fhir/Patient/{first.person_id}", headers=bearer).status_code == 200
    # the static token keeps working beside it
    assert http.get(f"/fhir/Patient/{first.person_id}",
                    headers={"Authorization": f"Bearer {static}"}).status_code == 200
    # form-post client authentication, a narrower scope
    narrow = http.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "lake",
                                    "client_secret": secret, "scope": "system/Slot.read"})
    assert narrow.status_code == 200 and narrow.json()["scope"] == "system/Slot.read"
    slot_only = {"Authorization": f"Bearer {narrow.json()['access_token']}"}
    assert http.get(f"/fhir/Patient/{first.person_id}", headers=slot_only).status_code == 403
    assert http.get("/fhir/Slot", params={"status": "free"},
                    headers=slot_only).status_code == 200
    rows = []
    with app.state.engine.connect() as conn:
        rows = list(conn.execute(select(AuditEvent).where(
            AuditEvent.target == "fhir:auth/token")))
    assert [r.action for r in rows] == ["sign_in", "sign_in"]
    assert rows[0].actor == "api:lake" and "scope=system/*.read" in rows[0].detail


def test_refusals_name_the_rfc_6749_error(app) -> None:  # noqa: ANN001
    http = TestClient(app)
    _, secret = client_with_secret(app, scopes=("system/Patient.read",))
    ok = {"grant_type": "client_credentials"}

    def ask(data: dict, headers: dict | None = None):  # noqa: ANN202
        return http.post(TOKEN, data=data,
                         headers=basic("lake", secret) if headers is None else headers)

    wrong = ask(ok, basic("lake", secret + "x"))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert "Basic" in wrong.headers["www-authenticate"]
    assert ask(ok, basic("nobody", secret)).json()["error"] == "invalid_client"
    assert ask(ok, {}).status_code == 401  # no client authentication
    grant = ask({"grant_type": "password"})
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    beyond = ask({**ok, "scope": "system/Patient.read system/Task.read"})
    assert (beyond.status_code, beyond.json()["error"]) == (400, "invalid_scope")
    assert "'system/Task.read' is not among the client's scopes" in beyond.text
    malformed = ask({**ok, "scope": "patient/Patient.read"})
    assert malformed.json()["error"] == "invalid_scope"
    as_json = http.post(TOKEN, json=ok, headers=basic("lake", secret))
    assert as_json.json()["error"] == "invalid_request"
    # a client without a secret cannot use the grant
    create_client(app.state.engine, "static-only", "professional", ["U1"],
                  ["system/Patient.read"])
    assert ask(ok, basic("static-only", "cs_guess")).status_code == 401
    with app.state.engine.connect() as conn:
        denied = conn.execute(select(AuditEvent.detail).where(
            AuditEvent.target == "fhir:auth/token", AuditEvent.action == "access_denied")
        ).scalars().all()
    assert any(d.startswith("invalid_client") for d in denied)
    assert any(d.startswith("invalid_scope") for d in denied)


def test_expiry_and_revocation_end_the_token(app) -> None:  # noqa: ANN001
    http = TestClient(app)
    _, secret = client_with_secret(app)
    first = persons(app)[0]
    tokens = [http.post(TOKEN, data={"grant_type": "client_credentials"},
                        headers=basic("lake", secret)).json()["access_token"]
              for _ in range(2)]
    url = f"/fhir/Patient/{first.person_id}"
    assert http.get(url, headers={"Authorization": f"Bearer {tokens[0]}"}).status_code == 200
    with app.state.engine.begin() as conn:  # the first token's time is up
        first_id = conn.execute(select(ApiAccessToken.id).order_by(ApiAccessToken.id)
                                ).scalars().first()
        conn.execute(update(ApiAccessToken).where(ApiAccessToken.id == first_id).values(
            expires_at=datetime.now() - timedelta(seconds=1)))
    expired = http.get(url, headers={"Authorization": f"Bearer {tokens[0]}"})
    assert expired.status_code == 401 and "expired" in expired.text
    assert http.get(url, headers={"Authorization": f"Bearer {tokens[1]}"}).status_code == 200
    revoke_client(app.state.engine, "lake")
    assert http.get(url, headers={"Authorization": f"Bearer {tokens[1]}"}).status_code == 401
    again = http.post(TOKEN, data={"grant_type": "client_credentials"},
                      headers=basic("lake", secret))
    assert again.status_code == 401
    with pytest.raises(ClientError, match="no active client named 'lake'"):
        set_secret(app.state.engine, "lake")


def test_a_new_secret_replaces_the_old_one(app) -> None:  # noqa: ANN001
    http = TestClient(app)
    _, old = client_with_secret(app)
    new = set_secret(app.state.engine, "lake")
    assert http.post(TOKEN, data={"grant_type": "client_credentials"},
                     headers=basic("lake", old)).status_code == 401
    assert http.post(TOKEN, data={"grant_type": "client_credentials"},
                     headers=basic("lake", new)).status_code == 200


def test_smart_configuration_and_setting(app) -> None:  # noqa: ANN001
    config = TestClient(app).get("/fhir/.well-known/smart-configuration").json()
    assert config["token_endpoint"] == "http://testserver/fhir/auth/token"
    assert config["grant_types_supported"] == ["client_credentials"]
    assert "system/Appointment.write" in config["scopes_supported"]
    assert "system/Slot.write" not in config["scopes_supported"]  # nothing to write there
    assert load_settings(env={}).api_token_minutes == 15
    assert load_settings(env={"SOTEKESKUS_API_TOKEN_MINUTES": "2.5"}).api_token_minutes == 2.5


def test_api_clients_secret_cli(runner, tmp_path: Path) -> None:  # noqa: ANN001
    from sotekeskus.cli import app as cli

    db = str(tmp_path / "c.db")
    units = tmp_path / "units.csv"
    units.write_text("unit_id,name,municipality\nU1,Keskusta,Kokkola\n", encoding="utf-8")
    runner.invoke(cli, ["import", "units", str(units), "--db", db])
    runner.invoke(cli, ["api-clients", "create", "lake", "--role", "leadership",
                        "--scope", "system/*.read", "--db", db])
    made = runner.invoke(cli, ["api-clients", "secret", "lake", "--db", db])
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines()[-1].startswith("cs_")
    missing = runner.invoke(cli, ["api-clients", "secret", "nobody", "--db", db])
    assert missing.exit_code == 1 and "no active client named 'nobody'" in missing.output
