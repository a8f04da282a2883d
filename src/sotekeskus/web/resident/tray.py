"""The service tray for residents: ``GET /asiointi/palvelut?q=…&category=…`` (public: it
shows no personal data, so it needs no identification)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.care.service_tray import TrayError, search
from sotekeskus.domain.workflow.routing import ServiceCategory
from sotekeskus.web import i18n
from sotekeskus.web.resident import labels as RL
from sotekeskus.web.resident.deps import resident_language, resident_render
from sotekeskus.web.resident.own import services

router = APIRouter()


def _area_labels() -> dict[str, list[str]]:
    """Each service area's label in every language (so "suun" finds oral health)."""
    out: dict[str, list[str]] = {}
    for code, msgid in RL.SERVICE_AREAS.items():
        texts = [msgid]
        for lang in i18n.LANGUAGES:
            token = i18n.current_language.set(lang)
            try:
                texts.append(i18n.gettext_(msgid))
            finally:
                i18n.current_language.reset(token)
        out[code] = texts
    return out


@router.get("/palvelut")
def tray(request: Request, q: str = "", category: str = "") -> Response:
    lang = resident_language(request)
    q = q.strip()[:100]
    try:
        found = search(services(request), q, category or None, lang=lang,
                       area_labels=_area_labels())
        error = None
    except TrayError as exc:
        found, error = [], str(exc)
    return resident_render(request, "resident_services.html", status_code=400 if error else 200,
                           services_found=found, q=q, category=category, error=error,
                           categories=list(ServiceCategory), RL=RL)
