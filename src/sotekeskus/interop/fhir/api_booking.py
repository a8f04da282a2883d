"""What a client asks when it books or cancels an Appointment through the FHIR API
(docs/fhir.md, "Booking"): pure parsing of the request resources, no store.

A booking request is an R4 ``Appointment`` (``POST /fhir/Appointment``), or a
``Parameters`` with it as the ``appt-resource`` (or ``appointment``) parameter
(``POST /fhir/Appointment/$book``, the Argonaut Scheduling operation's shape), with:

* ``status`` proposed, pending or booked (it is booked when it succeeds);
* exactly one ``slot`` → ``Slot/<id>``, a free slot;
* exactly one ``supportingInformation`` → ``Task/<id>``, the case it is booked for (the
  Appointments this API returns point to their Task the same way);
* optionally a ``participant`` → ``Patient/<id>``, which must be the case's resident.

A cancellation is ``PUT /fhir/Appointment/<id>`` with the Appointment whose ``status`` is
``cancelled`` (``cancelationReason.text`` as the reason), or ``PATCH`` with a JSON Patch
replacing ``/status`` with ``cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOOKABLE_STATUSES = ("proposed", "pending", "booked")


class BookingRequestError(ValueError):
    """The request is not a booking or cancellation this API understands; ``status`` is the
    HTTP status (400 structure, 422 business rule) and ``code`` the OperationOutcome code."""

    def __init__(self, message: str, status: int = 422, code: str = "business-rule") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class BookingRequest:
    slot_id: int
    case_id: int
    patient_id: str | None


def _number(reference: str, kind: str, element: str) -> int:
    prefix, _, rid = reference.partition("/")
    if prefix != kind or not rid.isdigit() or len(rid) > 11:
        raise BookingRequestError(f"{element}: a reference {kind}/<id> is expected, got "
                                  f"{reference[:100]!r}", 422, "value")
    return int(rid)


def appointment_of(resource: Any) -> dict[str, Any]:
    """The Appointment of a create (the resource itself) or of a ``$book`` Parameters."""
    if not isinstance(resource, dict):
        raise BookingRequestError("an Appointment or Parameters resource is expected", 400,
                                  "structure")
    if resource.get("resourceType") == "Parameters":
        for parameter in resource.get("parameter") or []:
            if parameter.get("name") in ("appt-resource", "appointment") and \
                    isinstance(parameter.get("resource"), dict):
                resource = parameter["resource"]
                break
        else:
            raise BookingRequestError("Parameters: a parameter appt-resource with an "
                                      "Appointment is required", 400, "required")
    if resource.get("resourceType") != "Appointment":
        raise BookingRequestError("an Appointment is expected", 400, "structure")
    return resource


def booking_request(appointment: dict[str, Any]) -> BookingRequest:
    status = appointment.get("status")
    if status not in BOOKABLE_STATUSES:
        raise BookingRequestError(f"status: {str(status)[:40]!r}; a booking is created with "
                                  "one of " + ", ".join(BOOKABLE_STATUSES), 422, "value")
    slots = [s.get("reference", "") for s in appointment.get("slot") or []]
    if len(slots) != 1:
        raise BookingRequestError("slot: exactly one reference Slot/<id> is required "
                                  f"(got {len(slots)})", 422, "required")
    tasks = [r.get("reference", "") for r in appointment.get("supportingInformation") or []
             if str(r.get("reference", "")).startswith("Task/")]
    if len(tasks) != 1:
        raise BookingRequestError("supportingInformation: exactly one reference Task/<id> "
                                  "(the case to book for) is required "
                                  f"(got {len(tasks)})", 422, "required")
    patients = [p["actor"]["reference"] for p in appointment.get("participant") or []
                if str((p.get("actor") or {}).get("reference", "")).startswith("Patient/")]
    if len(patients) > 1:
        raise BookingRequestError("participant: at most one Patient", 422, "value")
    return BookingRequest(_number(slots[0], "Slot", "slot"),
                          _number(tasks[0], "Task", "supportingInformation"),
                          patients[0][len("Patient/"):] if patients else None)


def cancellation_reason(body: Any, *, patch: bool) -> str:
    """The reason of a cancellation request (PUT of the Appointment or a JSON Patch);
    anything else than a change of status to cancelled is refused."""
    if patch:
        ops = body if isinstance(body, list) else None
        if not ops or any(not isinstance(o, dict) for o in ops):
            raise BookingRequestError("a JSON Patch (a list of operations) is expected", 400,
                                      "structure")
        status_ops = [o for o in ops if o.get("path") == "/status"]
        others = [o for o in ops if o.get("path") != "/status"]
        if len(status_ops) != 1 or status_ops[0].get("op") not in ("replace", "add") or \
                status_ops[0].get("value") != "cancelled" or others:
            raise BookingRequestError("only the operation replace /status with 'cancelled' "
                                      "is supported", 422, "not-supported")
        return "cancelled through the FHIR API"
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise BookingRequestError("an Appointment is expected", 400, "structure")
    if body.get("status") != "cancelled":
        raise BookingRequestError(f"status: {str(body.get('status'))[:40]!r}; only a change "
                                  "to cancelled is supported", 422, "not-supported")
    reason = str((body.get("cancelationReason") or {}).get("text") or "").strip()
    return reason[:300] or "cancelled through the FHIR API"


def proposed_appointment(slot: dict[str, Any], unit_id: str, professional: str | None,
                         case_id: int | None, person_id: str | None) -> dict[str, Any]:
    """A proposal of ``$find`` (Argonaut Scheduling's shape): an Appointment with status
    ``proposed`` for the free ``slot`` (the Slot resource), its times, service, professional
    group and place; with a case, ``supportingInformation`` → the Task and the Patient as a
    participant, so the proposal can be posted back to ``$book`` as it is. No id: a proposal
    is not stored."""
    from sotekeskus.interop.fhir.resources import fhir_id

    participants: list[dict[str, Any]] = []
    if person_id is not None:
        participants.append({"actor": {"reference": f"Patient/{fhir_id(person_id)}"},
                             "status": "needs-action"})
    if professional:
        participants.append({"actor": {"display": professional}, "status": "needs-action"})
    participants.append({"actor": {"reference": f"Location/loc-{fhir_id(unit_id)[:60]}"},
                         "status": "needs-action"})
    out: dict[str, Any] = {"resourceType": "Appointment", "status": "proposed"}
    for key in ("serviceType", "specialty", "appointmentType"):
        if key in slot:
            out[key] = slot[key]
    out.update({"start": slot["start"], "end": slot["end"],
                "slot": [{"reference": f"Slot/{slot['id']}"}]})
    if case_id is not None:
        out["supportingInformation"] = [{"reference": f"Task/{case_id}"}]
    out["participant"] = participants
    return out
