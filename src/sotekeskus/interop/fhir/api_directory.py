"""Staff, services and schedules as FHIR R4 resources for the REST API (docs/fhir.md).

Pure builders (rows in, JSON dicts out); the API (``web/api/fhir.py``) decides who may see
what and validates every result against R4.

* a professional (a user with a staff profile) → ``Practitioner``: id = the user id; the
  display name; never the user name, password, sign-in or account data;
* a professional × one of her units → ``PractitionerRole``: id ``<user id>-<unit>``;
  ``code`` = the **professional group** (``urn:sotekeskus:codesystem:professional-group``,
  the title as text); ``organization`` / ``location`` the unit; ``healthcareService`` her
  services of the catalogue offered in that unit;
* a service of the catalogue → ``HealthcareService``: id = the service id with ``-`` for
  ``_`` (identifier: the service id as it is); ``name`` in
  Finnish, the Swedish and English names in the extension
  ``urn:sotekeskus:fhir:extension:name-translation`` (``lang`` + ``content``, the shape of
  FHIR's ``translation`` extension, which belongs on ``_name`` — a primitive's extension the
  R4 models used for validation cannot carry); ``type`` the service id, ``category`` the
  service area, ``specialty`` the professional group, ``location`` its units;
* a professional's calendar in one unit → ``Schedule``: id ``<user id>-<unit>`` (as her
  PractitionerRole there); ``actor`` the Practitioner, the PractitionerRole and the unit's
  Location; ``serviceType`` the services of her slots there;
* a slot → ``Slot``: ``status`` free → free, booked → busy, blocked → busy-unavailable;
  ``schedule`` → that Schedule; ``serviceType`` the slot's service; ``specialty`` the
  professional group; ``appointmentType`` ROUTINE; the slot mode (in person / remote) and
  kind in ``comment``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sotekeskus.interop.fhir.resources import (
    SYS_PROFESSIONAL_GROUP,
    SYS_SERVICE_AREA,
    fhir_datetime,
    fhir_id,
)

SYS_SERVICE = "urn:sotekeskus:codesystem:service"
EXT_NAME_TRANSLATION = "urn:sotekeskus:fhir:extension:name-translation"
SLOT_STATUS = {"free": "free", "booked": "busy", "blocked": "busy-unavailable"}
#: FHIR Slot status → the store's slot status (search).
SLOT_STATUS_BACK = {v: k for k, v in SLOT_STATUS.items()}
SYS_APPOINTMENT_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"


def location_ref(unit_id: str) -> dict[str, str]:
    return {"reference": f"Location/loc-{fhir_id(unit_id)[:60]}"}


def service_id(catalogue_id: str) -> str:
    """The HealthcareService id of a catalogue service (``_`` is not allowed in FHIR ids:
    ``remote_physician`` → ``remote-physician``)."""
    return fhir_id(catalogue_id.replace("_", "-"))


def role_id(user_id: int, unit_id: str) -> str:
    return f"{user_id}-{fhir_id(unit_id)}"[:64]


def _service_coding(service_id: str, name: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": SYS_SERVICE, "code": service_id}
    if name:
        coding["display"] = name
    return {"coding": [coding]}


def practitioner(user_id: int, display_name: str, active: bool) -> dict[str, Any]:
    return {"resourceType": "Practitioner", "id": str(user_id), "active": bool(active),
            "name": [{"text": display_name}]}


def practitioner_role(user_id: int, unit_id: str, group: str, title: str,
                      services: Iterable[str], active: bool) -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [{"system": SYS_PROFESSIONAL_GROUP, "code": group}]}
    if title:
        code["text"] = title
    res: dict[str, Any] = {
        "resourceType": "PractitionerRole", "id": role_id(user_id, unit_id),
        "active": bool(active),
        "practitioner": {"reference": f"Practitioner/{user_id}"},
        "organization": {"reference": f"Organization/{fhir_id(unit_id)}"},
        "code": [code], "location": [location_ref(unit_id)]}
    refs = [{"reference": f"HealthcareService/{service_id(s)}"} for s in sorted(services)]
    if refs:
        res["healthcareService"] = refs
    return res


def healthcare_service(service: Any) -> dict[str, Any]:
    """A catalogue service (:class:`sotekeskus.domain.workflow.routing.Service`)."""
    names: Mapping[str, str] = service.names
    res: dict[str, Any] = {
        "resourceType": "HealthcareService", "id": service_id(service.service_id),
        "identifier": [{"system": SYS_SERVICE, "value": service.service_id}],
        "active": True, "name": names.get("fi") or service.service_id,
        "category": [{"coding": [{"system": SYS_SERVICE_AREA,
                                  "code": str(service.service_area)}]}],
        "type": [_service_coding(service.service_id, names.get("fi"))],
        "specialty": [{"coding": [{"system": SYS_PROFESSIONAL_GROUP,
                                   "code": str(service.professional_group)}]}],
        "appointmentRequired": bool(service.bookable),
    }
    translations = [{"url": EXT_NAME_TRANSLATION, "extension": [
        {"url": "lang", "valueCode": lang}, {"url": "content", "valueString": names[lang]}]}
        for lang in ("fi", "sv", "en") if names.get(lang)]
    if translations:
        res["extension"] = translations
    description = service.descriptions.get("fi") if service.descriptions else None
    if description:
        res["comment"] = description
    if service.units:
        res["location"] = [location_ref(u) for u in sorted(service.units)]
    return res


def schedule(user_id: int, unit_id: str, services: Iterable[str]) -> dict[str, Any]:
    actors = [{"reference": f"Practitioner/{user_id}"},
              {"reference": f"PractitionerRole/{role_id(user_id, unit_id)}"},
              location_ref(unit_id)]
    res: dict[str, Any] = {"resourceType": "Schedule", "id": role_id(user_id, unit_id),
                           "active": True, "actor": actors}
    types = [_service_coding(s) for s in sorted(set(services))]
    if types:
        res["serviceType"] = types
    return res


def slot(row: Any) -> dict[str, Any]:
    """A slot row (:class:`sotekeskus.store.models.ScheduleSlot`)."""
    res: dict[str, Any] = {
        "resourceType": "Slot", "id": str(row.id),
        "schedule": {"reference": f"Schedule/{role_id(row.user_id, row.unit_id)}"},
        "status": SLOT_STATUS[row.status],
        "start": fhir_datetime(row.start_at), "end": fhir_datetime(row.end_at),
        "appointmentType": {"coding": [{"system": SYS_APPOINTMENT_TYPE, "code": "ROUTINE"}]},
        "specialty": [{"coding": [{"system": SYS_PROFESSIONAL_GROUP,
                                   "code": row.professional_group}]}],
        "comment": f"mode: {row.mode}; kind: {row.kind}",
    }
    if row.service_id:
        res["serviceType"] = [_service_coding(row.service_id)]
    return res
