"""The OpenID Connect relying party and the test identity provider, checked piece by piece:
PKCE S256 (RFC 7636's own example), every ID-token check refusing a token that breaks it,
the HETU claim names, and the provider refusing wrong verifiers, reused codes, foreign
redirect URIs, real identity codes and production settings."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from sotekeskus.domain.workflow.hetu import make_hetu, synthetic_hetu
from sotekeskus.identity import oidc
from tests.resident.conftest import FrontDoor, identify

ISS, AUD, NONCE = "https://idp.example", "client-1", "nonce-1"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
KEYS = KeySet.import_key_set({"keys": [KEY.as_dict(private=False)]})


def _token(**over: object) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "sub": "s1", "exp": now + 300, "iat": now,
              "nonce": NONCE, "urn:oid:1.2.246.21": "010180-9026"}
    claims.update(over)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, KEY)


def test_pkce_s256_is_rfc7636_appendix_b() -> None:
    assert oidc.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_good_token_passes_and_gives_the_hetu() -> None:
    claims = oidc.verify_id_token(_token(name="Maija Meikäläinen"), KEYS, issuer=ISS,
                                  client_id=AUD, nonce=NONCE)
    identity = oidc.identity_of(claims)
    assert identity.hetu == "010180-9026" and identity.name == "Maija Meikäläinen"


@pytest.mark.parametrize(("over", "check"), [
    ({"iss": "https://evil.example"}, "iss"),
    ({"aud": "someone-else"}, "aud"),
    ({"aud": [AUD, "other"]}, "azp"),
    ({"exp": int(time.time()) - 3600}, "exp"),
    ({"nonce": "replayed"}, "nonce"),
    ({"nonce": None}, "nonce"),
    ({"iat": None}, "iat"),
    ({"sub": None}, "sub"),
])
def test_each_broken_claim_is_refused_by_name(over: dict, check: str) -> None:
    with pytest.raises(oidc.IdentificationError, match=check):
        oidc.verify_id_token(_token(**over), KEYS, issuer=ISS, client_id=AUD, nonce=NONCE)


def test_a_token_signed_by_another_key_or_with_hmac_is_refused() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    forged = jwt.encode({"alg": "RS256", "kid": "k1"}, {"iss": ISS}, other)
    with pytest.raises(oidc.IdentificationError, match="signature"):
        oidc.verify_id_token(forged, KEYS, issuer=ISS, client_id=AUD, nonce=NONCE)
    secret = OctKey.import_key("x" * 32)
    hmac_token = jwt.encode({"alg": "HS256"}, {"iss": ISS}, secret)
    with pytest.raises(oidc.IdentificationError):
        oidc.verify_id_token(hmac_token, KEYS, issuer=ISS, client_id=AUD, nonce=NONCE)


def test_the_hetu_claim_names_of_suomi_fi() -> None:
    assert oidc.identity_of({"nationalIdentificationNumber": "010180-9026",
                             "given_name": "A", "family_name": "B"}).name == "A B"
    with pytest.raises(oidc.IdentificationError, match="urn:oid:1.2.246.21"):
        oidc.identity_of({"sub": "x", "name": "No Code"})


def _authorize_params(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    start = client.get("/asiointi/tunnistaudu/aloita", follow_redirects=False)
    return {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}


def test_discovery_and_jwks(front_door: FrontDoor) -> None:
    c = front_door.client()
    meta = c.get("/test-idp/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://testserver/test-idp"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    keys = c.get("/test-idp/jwks").json()["keys"]
    assert keys and all("d" not in k for k in keys)  # never the private part
    page = c.get(meta["authorization_endpoint"], params=_authorize_params(c))
    assert "TEST identity provider" in page.text


def test_token_endpoint_checks_pkce_and_single_use(front_door: FrontDoor) -> None:
    c = front_door.client()
    q = _authorize_params(c)
    hetu = synthetic_hetu(date(1975, 2, 3), 955)
    picked = c.post("/test-idp/authorize", data={**q, "hetu": hetu}, follow_redirects=False)
    code = parse_qs(urlsplit(picked.headers["location"]).query)["code"][0]
    secret = front_door.app.state.test_idp_client_secret
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri":
            q["redirect_uri"], "client_id": q["client_id"], "client_secret": secret,
            "code_verifier": "w" * 43}
    wrong = c.post("/test-idp/token", data=form)
    assert wrong.status_code == 400 and "PKCE" in wrong.json()["error_description"]
    again = c.post("/test-idp/token", data=form)  # the code is gone after one try
    assert again.json()["error"] == "invalid_grant"
    bad_client = c.post("/test-idp/token", data={**form, "client_secret": "nope"})
    assert bad_client.status_code == 401


def test_the_provider_refuses_real_codes_bad_codes_and_foreign_redirects(
        front_door: FrontDoor) -> None:
    c = front_door.client()
    q = _authorize_params(c)
    real = make_hetu(date(1980, 1, 1), 123)  # a valid code outside the test range
    r = c.post("/test-idp/authorize", data={**q, "hetu": real}, follow_redirects=False)
    assert r.status_code == 400 and "900–999" in r.text
    r = c.post("/test-idp/authorize", data={**q, "hetu": "010180-9027"},
               follow_redirects=False)
    assert r.status_code == 400 and "check character" in r.text
    evil = {**q, "redirect_uri": "https://evil.example/asiointi/tunnistaudu/paluu"}
    r = c.get("/test-idp/authorize", params=evil, follow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers
    no_pkce = {k: v for k, v in q.items() if not k.startswith("code_challenge")}
    assert c.get("/test-idp/authorize", params=no_pkce).status_code == 400


def test_production_refuses_the_test_provider(tmp_path, monkeypatch) -> None:
    from sotekeskus.web.app import create_app

    monkeypatch.setenv("SOTEKESKUS_PRODUCTION", "1")
    app = create_app(f"sqlite:///{tmp_path}/p.db", secret_key="k", secure_cookies=False)
    from fastapi.testclient import TestClient

    c = TestClient(app)
    assert c.get("/test-idp/.well-known/openid-configuration").status_code == 404
    assert c.get("/asiointi/tunnistaudu").status_code == 503
    start = c.get("/asiointi/tunnistaudu/aloita", follow_redirects=False)
    assert start.status_code == 503 and "test-idp" not in start.headers.get("location", "")


def test_full_flow_registers_the_person_with_birth_date(front_door: FrontDoor) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sotekeskus.store.models import Person

    hetu = synthetic_hetu(date(2001, 12, 24), 977)
    identify(front_door.client(), hetu, "Uusi Asukas")
    with Session(front_door.engine) as s:
        person = s.scalar(select(Person).where(Person.hetu == hetu))
    assert person is not None and person.birth_date == date(2001, 12, 24)
    assert person.name == "Uusi Asukas" and person.person_id.startswith("P")
