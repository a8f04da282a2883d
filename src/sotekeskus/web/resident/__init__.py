"""The resident audience: the region's digital front door under ``/asiointi``.

One router, its own guard (:func:`deps.require_resident`), its own session cookie (path
``/asiointi``), CSRF token and sign-in throttle — nothing here reads the staff session.
Parts (each a router included below with one line):

* ``signin``: identification through OpenID Connect (Suomi.fi e-Identification or the
  built-in test identity provider), sign-out, language;
* ``own``: the resident's own cases, appointments (cancel, rebook), self-booking and
  "who has read my data";
* ``tray``: the service tray (the service catalogue for residents);
* questionnaires and contact / chat channels are added by their own modules.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from sotekeskus.web.resident import chat as chat_routes
from sotekeskus.web.resident import contact as contact_routes
from sotekeskus.web.resident import own, signin, tray
from sotekeskus.web.resident import questionnaires as questionnaire_routes
from sotekeskus.web.resident.deps import PREFIX

router = APIRouter(prefix=PREFIX, tags=["resident"])
router.include_router(signin.router)
router.include_router(own.router)
router.include_router(tray.router)
router.include_router(contact_routes.router)  # channels: message, e-form, call-back, renewal
router.include_router(chat_routes.router)  # channels: chat
router.include_router(questionnaire_routes.router)  # questionnaires


def mount_test_idp(app: FastAPI) -> None:
    """Mount the test identity provider at ``/test-idp`` (answers 404 in production).

    Its client secret is made per process and shared with the relying party through
    ``app.state`` (both live in this process)."""
    import secrets

    from sotekeskus.identity.test_idp import MOUNT, create_test_idp

    settings = app.state.settings
    secret = secrets.token_urlsafe(24)
    app.state.test_idp_client_secret = secret
    app.mount(MOUNT, create_test_idp(app.state.engine,
                                     client_id=settings.resident_oidc_client_id,
                                     client_secret=secret, production=settings.production))
