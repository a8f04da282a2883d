"""Rendering for every audience: the Jinja2 environment and ``render(request, template)``.

Part of the shared shell (with ``i18n``, ``tables``, ``charts``, ``labels``, ``exports``,
``security``, ``deps``): it imports no audience package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sotekeskus.web import i18n
from sotekeskus.web import labels as L
from sotekeskus.web.deps import current_account_or_none, language_for
from sotekeskus.web.security import csrf_token

WEB_DIR = Path(__file__).parent


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
            path=request.url.path, full_path=full_path(request), **context,
        )
    finally:
        i18n.current_language.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Content-Language"] = lang
    return response


def full_path(request: Request) -> str:
    q = request.url.query
    return request.url.path + (f"?{q}" if q else "")
