"""The web app: FastAPI, server-rendered Jinja2 pages, htmx for partial refreshes.

``create_app(db_url)`` is what ``sotekeskus serve`` runs. It brings the store to the newest
schema, keeps one analytics engine per process and serves the pages under
``sotekeskus.web.routes``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from sotekeskus.analytics.filters import FilterError
from sotekeskus.config import load_settings
from sotekeskus.store import audit
from sotekeskus.store.database import make_engine
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Meta
from sotekeskus.web import i18n
from sotekeskus.web import labels as L
from sotekeskus.web.deps import NotAuthenticated, current_account_or_none, language_for
from sotekeskus.web.security import SECURITY_HEADERS, CsrfError, LoginThrottle, csrf_token
from sotekeskus.web.services import AnalyticsHolder, Forbidden

WEB_DIR = Path(__file__).parent
SESSION_COOKIE = "sotekeskus_session"
LANG_COOKIE = "sotekeskus_lang"
SESSION_MAX_AGE = 8 * 3600


def _secret_key(engine: Engine, given: str | None) -> str:
    """``secret_key``, else ``SOTEKESKUS_SECRET_KEY``, else one kept in the store's meta."""
    if given:
        return given
    env = load_settings().secret_key
    if env:
        return env
    with Session(engine) as session, session.begin():
        row = session.get(Meta, "web_secret_key")
        if row is None:
            row = Meta(key="web_secret_key", value=secrets.token_urlsafe(48))
            session.add(row)
        return row.value


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_, i18n.ngettext_, newstyle=True
    )
    env.filters.update(
        int=i18n.fmt_int, num=i18n.fmt_num, pct=i18n.fmt_pct, date=i18n.fmt_date,
        month=i18n.fmt_month, period=i18n.fmt_period,
    )
    env.globals.update(L=L, LANGUAGES=i18n.LANGUAGES, LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
                       label=L.label)
    return env


def render(request: Request, template: str, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """Render a page in the request's language with the layout's context."""
    app = request.app
    account = context.pop("account", None) or current_account_or_none(request)
    lang = language_for(request, account)
    token = i18n.current_language.set(lang)
    try:
        html = app.state.templates.get_template(template).render(
            request=request, account=account, lang=lang, csrf=csrf_token(request),
            path=request.url.path, full_path=_full_path(request), **context,
        )
    finally:
        i18n.current_language.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Content-Language"] = lang
    return response


def _full_path(request: Request) -> str:
    q = request.url.query
    return request.url.path + (f"?{q}" if q else "")


def create_app(db_url: str, *, secret_key: str | None = None, secure_cookies: bool = True,
               throttle: LoginThrottle | None = None, warm_up: bool = False) -> FastAPI:
    """The app over the store at ``db_url`` (migrated to the newest schema on start).

    ``secure_cookies``: send the session cookie only over HTTPS (keep it on in production;
    browsers also accept it on http://127.0.0.1 and localhost).
    ``warm_up``: on start, build the analytics snapshot and the monitoring values in the
    background (``sotekeskus serve`` does).
    """
    engine = make_engine(db_url)
    upgrade(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            import threading

            from sotekeskus.web.services import warm_up as warm

            threading.Thread(target=warm, args=(app.state.analytics, engine), daemon=True,
                             name="sotekeskus-warm-up").start()
        yield
        app.state.analytics.close()
        engine.dispose()

    app = FastAPI(title="sotekeskus", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.engine = engine
    app.state.db_url = db_url
    app.state.analytics = AnalyticsHolder(db_url)
    app.state.templates = make_templates()
    app.state.throttle = throttle or LoginThrottle()
    app.state.secure_cookies = secure_cookies

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            if key == "Cache-Control" and request.url.path.startswith("/static/"):
                continue
            response.headers.setdefault(key, value)
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=_secret_key(engine, secret_key),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        target = "/login?next=" + _quote_next(_full_path(request))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        account = current_account_or_none(request)
        audit.record(engine, account.username if account else "-", audit.DENIED,
                     _full_path(request)[:500], str(exc))
        return render(request, "error.html", status_code=403, account=account,
                      title=i18n.N_("Access denied"),
                      message=i18n.N_("You do not have access to this information."))

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

    from sotekeskus.web.routes import (
        manage_access,
        manage_admin,
        manage_auth,
        manage_monitoring,
        manage_situation,
    )

    for module in (manage_auth, manage_situation, manage_access, manage_monitoring,
                   manage_admin):
        app.include_router(module.router)

    return app


def _quote_next(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")
