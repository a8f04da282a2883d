"""Case messages and the audit log as FHIR R4 resources for the REST API (docs/fhir.md).

* a message on a case (``case_messages``) → ``Communication``: id = the message id;
  ``status`` completed; ``about`` → the case's Task; ``subject`` → the Patient; ``sent`` =
  the message time; ``sender`` → the Patient when the resident wrote it, else the
  professional (display); ``payload.contentString`` = the text; ``category`` the author
  kind (``urn:sotekeskus:codesystem:message-author``);
* an audit-log row → ``AuditEvent`` after the IHE **Basic Audit Log Patterns** (BALP):
  ``type`` from DICOM (DCM 110110 Patient Record for reads and changes of a resident's data,
  110106 Export, 110114 User Authentication with subtype 110122 Login / 110123 Logout,
  110113 Security Alert for a refusal, 110100 Application Activity otherwise); ``action``
  R (read), U (change) or E (execute); ``outcome`` 0 success, 4 a refusal or a failed
  sign-in; one requesting ``agent`` (the actor's name); ``source`` this application
  (security-source-type 4, application server); ``purposeOfEvent`` the purpose as text;
  ``entity`` the resident (``Patient/<pseudonym>``, entity type 1 Person, role 1 Patient)
  when there is one, and the target that was read or changed (its name, the detail as
  description).
"""

from __future__ import annotations

from typing import Any

from sotekeskus.interop.fhir.resources import fhir_datetime, fhir_id

SYS_DCM = "http://dicom.nema.org/resources/ontology/DCM"
SYS_AUTHOR_KIND = "urn:sotekeskus:codesystem:message-author"
SYS_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
SYS_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
SYS_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"

#: audit-log action → (DCM type code, display, subtype (code, display) or None, FHIR action,
#: outcome).
AUDIT_TYPES: dict[str, tuple[str, str, tuple[str, str] | None, str, str]] = {
    "read_person_level": ("110110", "Patient Record", None, "R", "0"),
    "export_person_level": ("110106", "Export", None, "R", "0"),
    "sign_in": ("110114", "User Authentication", ("110122", "Login"), "E", "0"),
    "sign_in_failed": ("110114", "User Authentication", ("110122", "Login"), "E", "4"),
    "sign_out": ("110114", "User Authentication", ("110123", "Logout"), "E", "0"),
    "access_denied": ("110113", "Security Alert", None, "E", "4"),
    "admin_change": ("110100", "Application Activity", None, "U", "0"),
    "user_change": ("110100", "Application Activity", None, "U", "0"),
}
_OTHER = ("110100", "Application Activity", None, "E", "0")


def communication(message: Any, case_id: int, person_id: str) -> dict[str, Any]:
    """A case message (:class:`sotekeskus.store.models.CaseMessage`)."""
    patient = {"reference": f"Patient/{fhir_id(person_id)}"}
    sender = patient if message.author_kind == "resident" else {"display": message.author}
    return {
        "resourceType": "Communication", "id": str(message.id), "status": "completed",
        "category": [{"coding": [{"system": SYS_AUTHOR_KIND, "code": message.author_kind}]}],
        "subject": patient, "about": [{"reference": f"Task/{case_id}"}],
        "sent": fhir_datetime(message.at), "sender": sender,
        "payload": [{"contentString": message.body or "(empty)"}],
    }


def audit_event(row: Any) -> dict[str, Any]:
    """An audit-log row (:class:`sotekeskus.store.models.AuditEvent`) after IHE BALP."""
    code, display, subtype, action, outcome = AUDIT_TYPES.get(row.action, _OTHER)
    if row.action == "admin_change" and row.subject_person_id:
        code, display = "110110", "Patient Record"
    res: dict[str, Any] = {
        "resourceType": "AuditEvent", "id": str(row.id),
        "type": {"system": SYS_DCM, "code": code, "display": display},
        "action": action, "recorded": fhir_datetime(row.at), "outcome": outcome,
        "agent": [{"who": {"display": row.actor or "?"}, "requestor": True}],
        "source": {"observer": {"display": "sotekeskus"},
                   "type": [{"system": SYS_SOURCE_TYPE, "code": "4",
                             "display": "Application Server"}]},
    }
    if subtype:
        res["subtype"] = [{"system": SYS_DCM, "code": subtype[0], "display": subtype[1]}]
    if outcome != "0" and row.detail:
        res["outcomeDesc"] = row.detail[:1000]
    if row.purpose:
        res["purposeOfEvent"] = [{"text": row.purpose}]
    entities: list[dict[str, Any]] = []
    if row.subject_person_id:
        entities.append({
            "what": {"reference": f"Patient/{fhir_id(row.subject_person_id)}"},
            "type": {"system": SYS_ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": SYS_OBJECT_ROLE, "code": "1", "display": "Patient"}})
    if row.target:
        entity: dict[str, Any] = {"name": row.target, "type": {
            "system": SYS_ENTITY_TYPE, "code": "2", "display": "System Object"}}
        if row.detail:
            entity["description"] = row.detail[:1000]
        entities.append(entity)
    if entities:
        res["entity"] = entities
    return res
