"""The relying party against a provider that behaves like Suomi.fi's OpenID Connect
interface (simulated with httpx.MockTransport): the client authenticates with
``private_key_jwt`` (RFC 7523), the ID token carries no identity code, and the userinfo
answer is a signed JWT encrypted to the client's key that carries ``urn:oid:1.2.246.21``."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from sotekeskus.identity import oidc
from tests.fresh_loop import run_fresh

ISS = "https://tunnistus.example.fi/oidc"
CLIENT = "https://hyvinvointialue.example/front-door"
IDP_KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-1"})
CLIENT_KEY = RSAKey.generate_key(2048, parameters={"kid": "client-1"})
HETU = "010190-9539"
VERIFIER = "v" * 50
NONCE = "n-123"


def _handler(userinfo_sub: str = "sub-1", enc_key: RSAKey = CLIENT_KEY):  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={
                "issuer": ISS, "authorization_endpoint": ISS + "/authorize",
                "token_endpoint": ISS + "/token", "jwks_uri": ISS + "/jwks",
                "userinfo_endpoint": ISS + "/userinfo"})
        if path.endswith("/jwks"):
            return httpx.Response(200, json={"keys": [IDP_KEY.as_dict(private=False)]})
        if path.endswith("/token"):
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert "client_secret" not in form
            assert form["client_assertion_type"] == oidc.CLIENT_ASSERTION_TYPE
            client_pub = KeySet.import_key_set({"keys": [CLIENT_KEY.as_dict(private=False)]})
            try:
                claims = jwt.decode(form["client_assertion"], client_pub).claims
            except JoseError:
                return httpx.Response(401, json={"error": "invalid_client"})
            seen["assertion"] = claims
            if not (claims["iss"] == claims["sub"] == CLIENT and claims["aud"] == ISS + "/token"
                    and claims["exp"] > time.time()):
                return httpx.Response(401, json={"error": "invalid_client"})
            if oidc.code_challenge(form["code_verifier"]) != oidc.code_challenge(VERIFIER):
                return httpx.Response(400, json={"error": "invalid_grant"})
            now = int(time.time())
            id_token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, {
                "iss": ISS, "aud": CLIENT, "sub": "sub-1", "iat": now, "exp": now + 300,
                "nonce": NONCE}, IDP_KEY)
            return httpx.Response(200, json={"id_token": id_token, "access_token": "at-1",
                                             "token_type": "Bearer"})
        if path.endswith("/userinfo"):
            assert request.headers["authorization"] == "Bearer at-1"
            signed = jwt.encode({"alg": "RS256", "kid": "idp-1"}, {
                "sub": userinfo_sub, "urn:oid:1.2.246.21": HETU,
                "urn:oid:2.5.4.42": "Maija", "urn:oid:2.5.4.4": "Meikäläinen"}, IDP_KEY)
            body = jwe.encrypt_compact({"alg": "RSA-OAEP", "enc": "A256GCM", "cty": "JWT"},
                                       signed.encode(), enc_key)
            return httpx.Response(200, content=body,
                                  headers={"content-type": "application/jwt"})
        return httpx.Response(404)

    return handle, seen


def _exchange(provider: oidc.Provider) -> dict:  # type: ignore[type-arg]
    return run_fresh(provider.exchange("code-1", "https://x/asiointi/tunnistaudu/paluu",
                                         VERIFIER, NONCE))


def test_private_key_jwt_and_encrypted_userinfo() -> None:
    handle, seen = _handler()
    provider = oidc.Provider(ISS, CLIENT, None, httpx.MockTransport(handle),
                             client_key=CLIENT_KEY)
    identity = oidc.identity_of(_exchange(provider))
    assert identity.hetu == HETU and identity.name == "Maija Meikäläinen"
    assert seen["assertion"]["jti"]  # type: ignore[index]


def test_userinfo_of_another_subject_is_refused() -> None:
    handle, _ = _handler(userinfo_sub="sub-2")
    provider = oidc.Provider(ISS, CLIENT, None, httpx.MockTransport(handle),
                             client_key=CLIENT_KEY)
    with pytest.raises(oidc.IdentificationError, match="subject"):
        _exchange(provider)


def test_userinfo_encrypted_to_another_key_is_refused() -> None:
    handle, _ = _handler(enc_key=RSAKey.generate_key(2048))
    provider = oidc.Provider(ISS, CLIENT, None, httpx.MockTransport(handle),
                             client_key=CLIENT_KEY)
    with pytest.raises(oidc.IdentificationError, match="decrypt"):
        _exchange(provider)


def test_an_assertion_signed_with_a_wrong_key_is_refused_by_the_provider() -> None:
    handle, _ = _handler()
    provider = oidc.Provider(ISS, CLIENT, None, httpx.MockTransport(handle),
                             client_key=RSAKey.generate_key(2048))
    with pytest.raises(oidc.IdentificationError, match="invalid_client"):
        _exchange(provider)


def test_client_key_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pem = tmp_path / "client.pem"
    pem.write_bytes(CLIENT_KEY.as_pem(private=True))
    jwk = tmp_path / "client.jwk"
    jwk.write_text(json.dumps(CLIENT_KEY.as_dict(private=True)))
    for path in (pem, jwk):
        assert oidc.load_client_key(str(path)).as_dict(private=False)["n"] == \
            CLIENT_KEY.as_dict(private=False)["n"]
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(oidc.IdentificationError, match="not an RSA private key"):
        oidc.load_client_key(str(bad))
