"""Validation of every resource against **FHIR R4 (4.0.1)** (not R4B, not R5).

The models are those of the ``fhirclient`` package (SMART on FHIR, 4.x), generated from the
FHIR 4.0.1 StructureDefinitions: parsing a resource checks every element's name (an element
R4 does not have is refused), type and cardinality (list or single), that required elements
are there, and the primitive formats of dates and date-times. Serialising the parsed model
back must give the same JSON (nothing dropped). Value-set bindings and invariants (FHIRPath
constraints) are **not** checked by these models; docs/fhir.md says so.

``fhir.resources`` (the project's other FHIR package, used for MeasureReport) ships R5 and
R4B only, so it is not used here.
"""

from __future__ import annotations

from typing import Any

SUPPORTED = ("Organization", "Location", "Patient", "EpisodeOfCare", "Encounter", "Task",
             "Appointment", "Bundle", "OperationOutcome", "CapabilityStatement",
             "Questionnaire", "QuestionnaireResponse", "Schedule", "Slot", "Practitioner",
             "PractitionerRole", "HealthcareService", "Communication", "AuditEvent",
             "Parameters", "MeasureReport")


class R4ValidationError(ValueError):
    """A resource is not valid FHIR R4; the message names the resource and the element."""


def validate_r4(resource: dict[str, Any], *, exact: bool = True) -> None:
    """Raise :class:`R4ValidationError` unless ``resource`` is a valid R4 resource;
    ``exact``: the parsed model must serialise back to the same JSON (what we write)."""
    from fhirclient.models.fhirabstractbase import FHIRValidationError
    from fhirclient.models.fhirelementfactory import FHIRElementFactory

    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind not in SUPPORTED:
        raise R4ValidationError(f"resourceType {kind!r}: not one of {', '.join(SUPPORTED)}")
    label = f"{kind}/{resource.get('id', '?')}"
    try:
        model = FHIRElementFactory.instantiate(kind, resource)
    except FHIRValidationError as exc:
        raise R4ValidationError(f"{label}: not valid FHIR R4: {_message(exc)}") from None
    except (TypeError, ValueError) as exc:
        raise R4ValidationError(f"{label}: not valid FHIR R4: {exc}") from None
    if exact and model.as_json() != resource:
        raise R4ValidationError(f"{label}: R4 serialisation differs from the resource "
                                "(an element was dropped or changed)")


def _message(exc: Exception) -> str:
    import re

    text = str(exc).replace("\n", "; ").replace("{root}:; ", "")
    text = re.sub(r"<fhirclient\.models\.\w+\.(\w+) object at 0x[0-9a-f]+>", r"\1", text)
    text = re.sub(r"<class '(?:fhirclient\.models\.\w+\.)?(\w+)'>", r"\1", text)
    return " ".join(text.split())
