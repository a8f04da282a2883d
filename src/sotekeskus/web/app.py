"""The composition root of the staff web app: FastAPI, Jinja2 pages, htmx partials.

``create_app(db_url)`` is what ``sotekeskus serve`` runs. It is the one place that opens the
store (one database engine per process), runs the migrations (once, here), keeps one
analytics service per process and mounts the audience routers. Each audience is a package
whose router carries its own prefix and guard and never imports this module:

* ``web.account``: sign-in, sign-out, language (public);
* ``web.manage``: situation picture, care-guarantee dashboard, monitoring (signed-in staff
  who may see management figures);
* ``web.admin``: users, the indicator registry, the audit log (administrators).

The shared shell (``render``, ``deps``, ``errors``, ``i18n``, ``tables``, ``charts``,
``labels``, ``exports``, ``security``) imports no audience.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request as StarletteRequest

from sotekeskus.analytics.filters import FilterError
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.config import Settings, load_settings
from sotekeskus.store import audit
from sotekeskus.store.database import make_engine
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Meta
from sotekeskus.web import account as account_pages
from sotekeskus.web import admin, i18n, manage, resident, workdesk
from sotekeskus.web.api import fhir as fhir_api
from sotekeskus.web.deps import current_account_or_none
from sotekeskus.web.errors import Forbidden, NotAuthenticated
from sotekeskus.web.input_guard import BadInput, InputGuard
from sotekeskus.web.render import WEB_DIR, full_path, make_templates, render
from sotekeskus.web.security import CsrfError, SignInThrottle, WebSecurity, response_headers

SESSION_COOKIE = "sotekeskus_session"


def _secret_key(engine: Engine, given: str | None, settings: Settings) -> str:
    """``secret_key``, else ``SOTEKESKUS_SECRET_KEY``, else one kept in the store's meta."""
    if given:
        return given
    if settings.secret_key:
        return settings.secret_key
    with Session(engine) as session, session.begin():
        row = session.get(Meta, "web_secret_key")
        if row is None:
            row = Meta(key="web_secret_key", value=secrets.token_urlsafe(48))
            session.add(row)
        return row.value


def create_app(db_url: str, *, secret_key: str | None = None, secure_cookies: bool = True,
               throttle: SignInThrottle | None = None, warm_up: bool = False) -> FastAPI:
    """The app over the store at ``db_url`` (migrated to the newest schema on start).

    ``secure_cookies``: send the session cookie only over HTTPS (keep it on in production;
    browsers also accept it on http://127.0.0.1 and localhost).
    ``warm_up``: on start, build the analytics snapshot and the monitoring values in the
    background (``sotekeskus serve`` does).
    """
    settings = load_settings(db_url)  # the one settings object of this process
    engine = make_engine(db_url)
    upgrade(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            import threading

            from sotekeskus.analytics.monitoring import warm_up as warm

            threading.Thread(target=warm, args=(app.state.analytics, engine), daemon=True,
                             name="sotekeskus-warm-up").start()
        yield
        app.state.analytics.close()
        engine.dispose()

    app = FastAPI(title="sotekeskus", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.engine = engine
    app.state.db_url = db_url
    app.state.analytics = AnalyticsHolder(db_url, store=engine)  # one engine per process
    app.state.templates = make_templates()
    app.state.throttle = throttle or SignInThrottle()
    app.state.settings = settings
    app.state.security = WebSecurity.from_settings(settings)
    app.state.secure_cookies = secure_cookies

    def _bad_input(scope: Any, exc: BadInput) -> Response:
        return render(StarletteRequest(scope), "error.html", status_code=exc.status,
                      title=i18n.N_("Invalid request"),
                      message=i18n.N_("Check the address or the form."), detail=str(exc))

    # Innermost: runs inside the session and security-header middleware.
    app.add_middleware(InputGuard, on_error=_bad_input)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in response_headers(request).items():
            response.headers.setdefault(key, value)
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=_secret_key(engine, secret_key, settings),
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_max_hours * 3600),
        same_site="lax",
        https_only=secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        target = "/login?next=" + _quote_next(full_path(request))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        account = current_account_or_none(request)
        audit.record(engine, account.username if account else "-", audit.DENIED,
                     full_path(request)[:500], str(exc))
        return render(request, "error.html", status_code=403, account=account,
                      title=i18n.N_("Access denied"),
                      message=i18n.N_("You do not have access to this information."))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        in_path = any(e.get("loc", ("",))[0] == "path" for e in errors)
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}"
                           for e in errors)[:500]
        if in_path:  # e.g. /admin/indicators/abc or an id beyond 64 bits: no such page
            return render(request, "error.html", status_code=404,
                          title=i18n.N_("Page not found"),
                          message=i18n.N_("There is no page at this address."), detail=detail)
        return render(request, "error.html", status_code=400,
                      title=i18n.N_("Invalid request"),
                      message=i18n.N_("Check the address or the form."), detail=detail)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        return render(request, "error.html", status_code=403,
                      title=i18n.N_("The form has expired"),
                      message=i18n.N_("Reload the page and try again."))

    @app.exception_handler(FilterError)
    async def _bad_filter(request: Request, exc: FilterError) -> Response:
        return render(request, "error.html", status_code=400,
                      title=i18n.N_("Invalid filter"), message=i18n.N_("Check the filter."),
                      detail=str(exc))

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", status_code=404,
                      title=i18n.N_("Page not found"),
                      message=i18n.N_("There is no page at this address."))

    for router in (account_pages.router, manage.router, admin.router, workdesk.router,
                   fhir_api.router, resident.router):
        app.include_router(router)
    resident.mount_test_idp(app)  # /test-idp: refused (404) when settings.production

    return app


def _quote_next(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")
