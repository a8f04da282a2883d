"""The operational side as FHIR R4 resources for the REST API (``web/api/fhir.py``).

* a resident (``persons``) → ``Patient`` shaped by Finnish Base Profiles' fi-base-patient:
  id = the pseudonymous ``person_id``; identifier HETU with system ``urn:oid:1.2.246.21``;
  name, birth date, language (``communication``), municipality (``address.city``);
* a workdesk case (``cases``) → ``Task``: id = the case id; ``status`` from the case state
  (new → requested, claimed → accepted, assessed / routed → in-progress, booked → ready,
  closed → completed, or cancelled when the close reason is cancelled / no_show);
  ``intent`` order; ``for`` → the Patient; ``owner`` → the owning professional (display);
  ``authoredOn`` = contact time; ``businessStatus`` = the case state; ``focus`` → the
  EpisodeOfCare of its episode;
* ``CapabilityStatement``, ``Bundle`` (searchset), ``OperationOutcome``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sotekeskus.interop.fhir.resources import fhir_datetime, fhir_id

SYS_HETU = "urn:oid:1.2.246.21"
FI_BASE_PATIENT = "https://hl7.fi/fhir/finnish-base-profiles/StructureDefinition/fi-base-patient"
SYS_CASE_STATE = "urn:sotekeskus:codesystem:case-state"
FI_BOOKING_STATUS_EXT = ("https://hl7.fi/fhir/finnish-scheduling/StructureDefinition/"
                         "ajanvarauksen-tila")
SYS_BOOKING_STATUS = "urn:oid:1.2.246.537.6.881"  # Ajanvarauksen tila
#: Appointment status → (FHIR status, Ajanvarauksen tila code): the Finnish Scheduling
#: ConceptMap's pairs (booked ↔ 3 Varattu, fulfilled ↔ 7 Toteutunut, cancelled ↔ 4 Peruttu,
#: noshow ↔ 9 Saapumatta).
APPOINTMENT_STATUS = {"booked": ("booked", "3"), "done": ("fulfilled", "7"),
                      "cancelled": ("cancelled", "4"), "no_show": ("noshow", "9")}
TASK_STATUS = {"new": "requested", "claimed": "accepted", "assessed": "in-progress",
               "routed": "in-progress", "booked": "ready", "closed": "completed"}
CANCELLED_REASONS = ("cancelled", "no_show")


def patient(person: Any) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Patient", "id": fhir_id(person.person_id),
        "meta": {"profile": [FI_BASE_PATIENT]},
        "identifier": [{"use": "official", "system": SYS_HETU, "value": person.hetu}],
        "birthDate": person.birth_date.isoformat(),
    }
    if person.name:
        parts = person.name.split()
        name: dict[str, Any] = {"use": "official", "text": person.name}
        if len(parts) > 1:
            name["family"] = parts[-1]
            name["given"] = parts[:-1]
        res["name"] = [name]
    if person.municipality:
        res["address"] = [{"city": person.municipality}]
    if person.language:
        res["communication"] = [{"language": {"coding": [
            {"system": "urn:ietf:bcp:47", "code": person.language}]}, "preferred": True}]
    return res


def task(case: Any, person_id: str, owner: str | None) -> dict[str, Any]:
    status = TASK_STATUS.get(case.state, "requested")
    if case.state == "closed" and case.close_reason in CANCELLED_REASONS:
        status = "cancelled"
    res: dict[str, Any] = {
        "resourceType": "Task", "id": str(case.id),
        "identifier": [{"system": "urn:sotekeskus:case", "value": str(case.id)}],
        "status": status, "intent": "order",
        "businessStatus": {"coding": [{"system": SYS_CASE_STATE, "code": case.state}]},
        "description": case.subject or "",
        "focus": {"reference": f"EpisodeOfCare/{fhir_id(case.episode_id)}"},
        "for": {"reference": f"Patient/{fhir_id(person_id)}"},
        "authoredOn": fhir_datetime(case.contact_at),
        "lastModified": fhir_datetime(case.updated_at),
        "requester": {"reference": f"Organization/{fhir_id(case.unit_id)}"},
    }
    if owner:
        res["owner"] = {"display": owner}
    if not res["description"]:
        del res["description"]
    return res


def appointment(appt: Any, slot: Any, person_id: str, professional: str | None,
                labels: dict[str, str]) -> dict[str, Any]:
    """A booking as an Appointment; ``labels``: Ajanvarauksen tila code → display (the
    booking_status code map)."""
    status, code = APPOINTMENT_STATUS[appt.status]
    coding: dict[str, Any] = {"system": SYS_BOOKING_STATUS, "code": code}
    if labels.get(code):
        coding["display"] = labels[code]
    participants: list[dict[str, Any]] = [
        {"actor": {"reference": f"Patient/{fhir_id(person_id)}"}, "status": "accepted"}]
    if professional:
        participants.append({"actor": {"display": professional}, "status": "accepted"})
    participants.append({"actor": {"reference": f"Location/loc-{fhir_id(slot.unit_id)[:60]}"},
                         "status": "accepted"})
    return {
        "resourceType": "Appointment", "id": str(appt.id),
        "extension": [{"url": FI_BOOKING_STATUS_EXT, "valueCoding": coding}],
        "status": status,
        "start": fhir_datetime(slot.start_at), "end": fhir_datetime(slot.end_at),
        "created": fhir_datetime(appt.booked_at),
        "supportingInformation": [{"reference": f"Task/{appt.case_id}"}],
        "participant": participants,
    }


def bundle(entries: list[dict[str, Any]], base: str,
           links: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """A searchset Bundle of ``entries``; ``links``: (relation, url) pairs (self, next,
    previous) of a paged search."""
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset",
                           "total": len(entries)}
    if links:
        out["link"] = [{"relation": rel, "url": url} for rel, url in links]
    if entries:  # FHIR has no empty arrays
        out["entry"] = [{"fullUrl": f"{base}/{e['resourceType']}/{e['id']}", "resource": e,
                         "search": {"mode": "match"}} for e in entries]
    return out


def outcome(code: str, message: str, severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": message}]}


#: The SMART extension naming the OAuth2 endpoints in a CapabilityStatement.
SMART_OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def capability_statement(base: str, resources: list[tuple[str, list[str],
                                                          list[tuple[str, str]],
                                                          dict[str, str]]],
                         token_url: str) -> dict[str, Any]:
    """What the API implements — only that: ``resources`` (type, interactions, search
    parameters (name, type), notes on parameters) and the token endpoint."""
    def rest(kind: str, interactions: list[str], params: list[tuple[str, str]],
             notes: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": kind,
                               "interaction": [{"code": i} for i in interactions]}
        if params:
            out["searchParam"] = []
            for name, kind_of in params:
                param = {"name": name, "type": kind_of}
                if name in notes:
                    param["documentation"] = notes[name]
                out["searchParam"].append(param)
        return out

    return {
        "resourceType": "CapabilityStatement", "status": "active",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "kind": "instance", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "software": {"name": "sotekeskus"},
        "implementation": {"description": "sotekeskus FHIR R4 API", "url": base},
        "rest": [{
            "mode": "server",
            "security": {
                "extension": [{"url": SMART_OAUTH_URIS, "extension": [
                    {"url": "token", "valueUri": token_url}]}],
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}]}],
                "description": "OAuth2 client credentials (the token endpoint; short-lived "
                               "bearer tokens) or static bearer tokens of API clients "
                               "(sotekeskus api-clients), with SMART-style system scopes; "
                               "every read is audited; the access policy of the client's "
                               "role and units applies."},
            "resource": [rest(*r) for r in resources],
            "documentation": "Searches page with _count (default 100, at most 1000) and "
                             "_offset (0-based, in each type's stable order; at most "
                             "1000000): Bundle.link self, next and previous carry them "
                             "(AuditEvent's also _snapshot, the newest row of the walk).",
            "operation": [
                {"name": "export",
                 "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                {"name": "book",
                 "definition": "http://fhir.org/guides/argonaut/scheduling/"
                               "OperationDefinition/appointment-book"},
                {"name": "find",
                 "definition": "http://fhir.org/guides/argonaut/scheduling/"
                               "OperationDefinition/appointment-find",
                 "documentation": "GET|POST Appointment/$find: start, end, task (Task/<id>) "
                                  "or service-type, _count → proposed Appointments of free, "
                                  "future, non-urgent slots of the service, in the units "
                                  "where the client may book"}],
        }],
    }
