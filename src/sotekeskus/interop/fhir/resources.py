"""Episodes ↔ FHIR R4 (4.0.1) resources: one definition of the mapping, both directions.

* unit → ``Organization`` (id = unit id, identifier ``urn:sotekeskus:unit``) and
  ``Location`` (``managingOrganization`` → it);
* person (pseudonymous ``person_id``, ``birth_date``) → ``Patient`` (identifier
  ``urn:sotekeskus:pseudonym``; no name, no HETU: the analytics export is pseudonymised);
* episode → ``EpisodeOfCare``: identifier ``urn:sotekeskus:episode`` = ``episode_id``;
  status (done → finished, waiting → waitlist, cancelled → cancelled); ``period.start`` =
  ``contact_at``; ``type`` = service area and professional group (local code systems);
  extensions for urgency, assessment time, plan-based and the contract-v2 values;
* the care event (``visit_at``, ``contact_mode``, ``visit_nature``) → ``Encounter``
  (``episodeOfCare`` → the episode): status finished / planned / cancelled; ``period.start``
  = ``visit_at``; ``class`` v3 ActCode AMB / HH / VR; ``priority`` v3 ActPriority UR / R;
  ``type``: the Hilmo Yhteystapa code (the reverse of the contact-mode code map where it is
  one-to-one: R10, R20, R52, R56) beside our contact-mode code, and the visit nature
  (PTHAVO Käynnin luonne, ``urn:oid:1.2.246.537.6.124``).

Date-times are FHIR ``dateTime`` with the Finnish offset of the moment (the store keeps
local Helsinki time; reading converts back, so a round trip is exact). Resource ids must match
``[A-Za-z0-9\\-.]{1,64}``: an id that does not is replaced by ``h-`` + a digest, while the
identifiers keep the original value (the import reads identifiers, never ids).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
SYS_UNIT = "urn:sotekeskus:unit"
SYS_PSEUDONYM = "urn:sotekeskus:pseudonym"
SYS_EPISODE = "urn:sotekeskus:episode"
SYS_SERVICE_AREA = "urn:sotekeskus:codesystem:service-area"
SYS_PROFESSIONAL_GROUP = "urn:sotekeskus:codesystem:professional-group"
SYS_CONTACT_MODE = "urn:sotekeskus:codesystem:contact-mode"
#: Hilmo – Yhteystapa. Its OID was not verified here, so a local URI names the system.
SYS_HILMO_CONTACT_MODE = "urn:sotekeskus:codesystem:hilmo-yhteystapa"
SYS_VISIT_NATURE = "urn:oid:1.2.246.537.6.124"  # PTHAVO – Käynnin luonne
SYS_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SYS_ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
EXT = "urn:sotekeskus:fhir:extension:"
EXT_URGENCY = EXT + "urgency"
EXT_ASSESSED = EXT + "assessed-at"
EXT_PLAN_BASED = EXT + "plan-based"
EXT_CARE_PLAN = EXT + "care-plan"
EXT_PROFESSIONAL_ID = EXT + "professional-id"
EXT_DIAGNOSES = EXT + "diagnosis-codes"

EPISODE_STATUS = {"done": "finished", "waiting": "waitlist", "cancelled": "cancelled"}
ENCOUNTER_STATUS = {"done": "finished", "waiting": "planned", "cancelled": "cancelled"}
ENCOUNTER_CLASS = {"in_person": "AMB", "home_visit": "HH", "phone": "VR", "video": "VR",
                   "chat": "VR", "e_service": "VR"}
ACT_CODE_DISPLAY = {"AMB": "ambulatory", "HH": "home health", "VR": "virtual"}
PRIORITY = {"urgent": ("UR", "urgent"), "non_urgent": ("R", "routine")}
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def fhir_id(value: str) -> str:
    """``value`` when it is a valid FHIR id, else ``h-`` + the first 40 hex of its SHA-256."""
    if _ID.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode()).hexdigest()[:40]


def fhir_datetime(value: datetime) -> str:
    """A local Helsinki time as a FHIR dateTime with its offset (to the second)."""
    aware = value.replace(microsecond=0, tzinfo=HELSINKI)
    return aware.isoformat()


def local_datetime(text: str) -> datetime:
    """A FHIR dateTime back to local Helsinki time (naive, as the store keeps it)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(HELSINKI).replace(tzinfo=None)


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def organization(unit_id: str, name: str, municipality: str) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Organization", "id": fhir_id(unit_id),
        "identifier": [{"system": SYS_UNIT, "value": unit_id}],
        "active": True, "name": name or unit_id}
    if municipality:
        res["address"] = [{"city": municipality}]
    return res


def location(unit_id: str, name: str) -> dict[str, Any]:
    return {"resourceType": "Location", "id": "loc-" + fhir_id(unit_id)[:60],
            "identifier": [{"system": SYS_UNIT, "value": unit_id}],
            "status": "active", "name": name or unit_id,
            "managingOrganization": {"reference": f"Organization/{fhir_id(unit_id)}"}}


def patient(person_id: str, birth_date: date) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": fhir_id(person_id),
            "identifier": [{"system": SYS_PSEUDONYM, "value": person_id}],
            "birthDate": birth_date.isoformat()}


def episode_of_care(e: dict[str, Any]) -> dict[str, Any]:
    """An episode (a store row as a dict) as an EpisodeOfCare."""
    ext: list[dict[str, Any]] = [{"url": EXT_URGENCY, "valueCode": e["urgency"]},
                                 {"url": EXT_PLAN_BASED, "valueBoolean": bool(e["plan_based"])}]
    if e.get("assessed_at") is not None:
        ext.append({"url": EXT_ASSESSED, "valueDateTime": fhir_datetime(e["assessed_at"])})
    if e.get("care_plan") is not None:
        ext.append({"url": EXT_CARE_PLAN, "valueBoolean": bool(e["care_plan"])})
    if e.get("professional_id"):
        ext.append({"url": EXT_PROFESSIONAL_ID, "valueString": e["professional_id"]})
    if e.get("diagnosis_codes"):
        ext.append({"url": EXT_DIAGNOSES, "valueString": e["diagnosis_codes"]})
    return {
        "resourceType": "EpisodeOfCare", "id": fhir_id(e["episode_id"]),
        "extension": ext,
        "identifier": [{"system": SYS_EPISODE, "value": e["episode_id"]}],
        "status": EPISODE_STATUS[e["status"]],
        "type": [{"coding": [_coding(SYS_SERVICE_AREA, e["service_area"])]},
                 {"coding": [_coding(SYS_PROFESSIONAL_GROUP, e["professional_group"])]}],
        "patient": {"reference": f"Patient/{fhir_id(e['person_id'])}"},
        "managingOrganization": {"reference": f"Organization/{fhir_id(e['unit_id'])}"},
        "period": {"start": fhir_datetime(e["contact_at"])},
    }


def needs_encounter(e: dict[str, Any]) -> bool:
    """An Encounter carries the care event: when there is a visit time, a contact mode or a
    visit nature."""
    return any(e.get(k) is not None for k in ("visit_at", "contact_mode", "visit_nature"))


def encounter(e: dict[str, Any], hilmo: dict[str, str]) -> dict[str, Any]:
    """The care event of an episode as an Encounter; ``hilmo``: contact mode → Hilmo
    Yhteystapa code (the reverse of the contact-mode code map, where it is one-to-one)."""
    mode = e.get("contact_mode")
    act = ENCOUNTER_CLASS.get(mode or "", "AMB")
    types: list[dict[str, Any]] = []
    if mode:
        codings = []
        if mode in hilmo:
            codings.append(_coding(SYS_HILMO_CONTACT_MODE, hilmo[mode]))
        codings.append(_coding(SYS_CONTACT_MODE, mode))
        types.append({"coding": codings})
    if e.get("visit_nature"):
        types.append({"coding": [_coding(SYS_VISIT_NATURE, e["visit_nature"])]})
    code, display = PRIORITY[e["urgency"]]
    res: dict[str, Any] = {
        "resourceType": "Encounter", "id": "enc-" + fhir_id(e["episode_id"])[:60],
        "identifier": [{"system": SYS_EPISODE, "value": e["episode_id"]}],
        "status": ENCOUNTER_STATUS[e["status"]],
        "class": _coding(SYS_ACT_CODE, act, ACT_CODE_DISPLAY[act]),
        "priority": {"coding": [_coding(SYS_ACT_PRIORITY, code, display)]},
        "subject": {"reference": f"Patient/{fhir_id(e['person_id'])}"},
        "episodeOfCare": [{"reference": f"EpisodeOfCare/{fhir_id(e['episode_id'])}"}],
        "serviceProvider": {"reference": f"Organization/{fhir_id(e['unit_id'])}"},
    }
    if types:
        res["type"] = types
    if e.get("visit_at") is not None:
        res["period"] = {"start": fhir_datetime(e["visit_at"])}
    return res


# ---- reading back ------------------------------------------------------------------------
class MappingError(ValueError):
    """A resource is valid R4 but does not carry what an episode needs; names the element."""

    def __init__(self, element: str, message: str) -> None:
        self.element = element
        super().__init__(f"{element}: {message}")


def identifier(res: dict[str, Any], system: str) -> str:
    for ident in res.get("identifier") or []:
        if ident.get("system") == system and ident.get("value"):
            return str(ident["value"])
    raise MappingError("identifier", f"no identifier with system {system}")


def coding(concepts: list[dict[str, Any]], system: str) -> str | None:
    for concept in concepts or []:
        for c in concept.get("coding") or []:
            if c.get("system") == system and c.get("code"):
                return str(c["code"])
    return None


def extension(res: dict[str, Any], url: str) -> Any:
    for ext in res.get("extension") or []:
        if ext.get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
    return None


def reference_id(ref: dict[str, Any] | None, kind: str, element: str) -> str:
    text = (ref or {}).get("reference") or ""
    if not text.startswith(kind + "/"):
        raise MappingError(element, f"a reference to a {kind} is required")
    return text[len(kind) + 1:]


def episode_fields(res: dict[str, Any]) -> dict[str, Any]:
    """The episode columns an EpisodeOfCare carries (text, as in an episode file), plus the
    ids of its Patient and Organization."""
    status = {v: k for k, v in EPISODE_STATUS.items()}.get(res.get("status", ""))
    if status is None:
        raise MappingError("status", f"{res.get('status')!r} is not one of "
                           + ", ".join(EPISODE_STATUS.values()))
    start = (res.get("period") or {}).get("start")
    if not start:
        raise MappingError("period.start", "the contact time is required")
    assessed = extension(res, EXT_ASSESSED)
    care_plan = extension(res, EXT_CARE_PLAN)
    plan = extension(res, EXT_PLAN_BASED)
    return {
        "episode_id": identifier(res, SYS_EPISODE),
        "__patient": reference_id(res.get("patient"), "Patient", "patient"),
        "__organization": reference_id(res.get("managingOrganization"), "Organization",
                                       "managingOrganization"),
        "service_area": coding(res.get("type") or [], SYS_SERVICE_AREA) or "",
        "professional_group": coding(res.get("type") or [], SYS_PROFESSIONAL_GROUP) or "",
        "urgency": extension(res, EXT_URGENCY) or "",
        "contact_at": _text_datetime(start),
        "assessed_at": _text_datetime(assessed) if assessed else "",
        "status": status,
        "plan_based": "true" if plan else "false",
        "care_plan": "" if care_plan is None else ("true" if care_plan else "false"),
        "professional_id": extension(res, EXT_PROFESSIONAL_ID) or "",
        "diagnosis_codes": extension(res, EXT_DIAGNOSES) or "",
    }


def encounter_fields(res: dict[str, Any]) -> dict[str, Any]:
    refs = res.get("episodeOfCare") or []
    if len(refs) != 1:
        raise MappingError("episodeOfCare", "exactly one episode of care is required")
    start = (res.get("period") or {}).get("start")
    return {
        "__episode": reference_id(refs[0], "EpisodeOfCare", "episodeOfCare"),
        "visit_at": _text_datetime(start) if start else "",
        "contact_mode": coding(res.get("type") or [], SYS_CONTACT_MODE) or "",
        "visit_nature": coding(res.get("type") or [], SYS_VISIT_NATURE) or "",
    }


def _text_datetime(text: str) -> str:
    try:
        return local_datetime(text).isoformat()
    except ValueError:
        return text  # the episode checks name it
