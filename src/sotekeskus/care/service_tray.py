"""The service tray (palvelutarjotin): the service catalogue as residents search it.

:func:`search` returns the services whose name, description, provider or service area
label contains **every** word of the query (case-insensitive, in any of fi / sv / en, so a
Swedish speaker finds a service by its Swedish name while the page is in Finnish), optionally
of one :class:`~sotekeskus.domain.workflow.routing.ServiceCategory`, ordered by category
(care, health promotion, third sector) and then by name in the page's language. An unknown
category is an error listing the allowed ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sotekeskus.domain.workflow.codes import CodeError, parse_code
from sotekeskus.domain.workflow.routing import Service, ServiceCategory

LANGUAGES = ("fi", "sv", "en")
_ORDER = {c: i for i, c in enumerate(ServiceCategory)}


class TrayError(ValueError):
    """A bad search parameter; the message lists the allowed values."""


def parse_category(value: str | None) -> ServiceCategory | None:
    if not value:
        return None
    try:
        return parse_code(ServiceCategory, value.strip(), "category")
    except CodeError as exc:
        raise TrayError(str(exc)) from None


def _haystack(service: Service, extra: Iterable[str]) -> str:
    parts = [*service.names.values(), *service.descriptions.values(), service.provider,
             service.service_id.replace("_", " "), *extra]
    return " ".join(parts).casefold()


def search(services: Mapping[str, Service], query: str = "", category: str | None = None,
           *, lang: str = "fi", area_labels: Mapping[str, Iterable[str]] | None = None
           ) -> list[Service]:
    """Services matching ``query`` (all words) and ``category`` (see the module docstring).
    ``area_labels``: service area code → its labels (in every language) to match too."""
    wanted = parse_category(category)
    words = [w for w in query.casefold().split() if w][:10]
    out = []
    for service in services.values():
        if wanted is not None and service.category != wanted:
            continue
        hay = _haystack(service, (area_labels or {}).get(service.service_area.value, ()))
        if all(w in hay for w in words):
            out.append(service)
    return sorted(out, key=lambda s: (_ORDER[s.category], s.name(lang).casefold()))
