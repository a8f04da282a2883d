"""Units and episodes as FHIR R4 resources for the REST API (docs/fhir.md).

The mapping is the bulk export's (:mod:`sotekeskus.interop.fhir.resources`: ``organization``,
``location``, ``episode_of_care``, ``encounter``, with the Hilmo Yhteystapa codes of
:func:`sotekeskus.interop.fhir.bulk_export.hilmo_codes`); this module only decides **who the
patient is** on the REST API, where the reader is an operational client, not the data lake:

* an episode of a **workdesk case** (a row of ``cases`` has its ``episode_id``): the patient
  is the operational resident, ``Patient/<person_id>`` — the same id the API's ``Patient``
  read serves (fi-base-patient, with HETU and name, for clients that may see the resident);
* an **imported** episode (episode file, Avohilmo-style or FHIR import: no case): the
  person is known only by the pseudonym of the analytics data, so the reference is a
  logical one, ``{"identifier": {"system": "urn:sotekeskus:pseudonym", "value": …}}`` —
  never a ``Patient/`` reference the API could not resolve, and never a HETU or a name.

Either way the audit row of the read carries the episode's ``person_id`` as its subject.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sotekeskus.interop.fhir import resources as r

#: The episode columns the builders read (the episode contract).
COLUMNS = ("episode_id", "person_id", "birth_date", "unit_id", "service_area",
           "professional_group", "urgency", "contact_at", "assessed_at", "visit_at",
           "contact_mode", "status", "plan_based", "diagnosis_codes", "visit_nature",
           "professional_id", "care_plan")


def episode_dict(row: Any) -> dict[str, Any]:
    """An ``episodes`` row (ORM object) as the dict the builders take."""
    e = {c: getattr(row, c) for c in COLUMNS}
    e["plan_based"] = bool(e["plan_based"])
    for key in ("contact_at", "assessed_at", "visit_at"):
        value = e[key]
        if value is not None and not isinstance(value, datetime):
            e[key] = datetime.fromisoformat(str(value))
    if not isinstance(e["birth_date"], date):
        e["birth_date"] = date.fromisoformat(str(e["birth_date"])[:10])
    return e


def patient_reference(person_id: str, operational: bool) -> dict[str, Any]:
    """The patient of an episode: ``Patient/<id>`` for a workdesk case's resident, else the
    pseudonymous identifier only (see the module docstring)."""
    if operational:
        return {"reference": f"Patient/{r.fhir_id(person_id)}"}
    return {"identifier": {"system": r.SYS_PSEUDONYM, "value": person_id}}


def episode_of_care(e: dict[str, Any], operational: bool) -> dict[str, Any]:
    res = r.episode_of_care(e)
    res["patient"] = patient_reference(e["person_id"], operational)
    return res


def encounter(e: dict[str, Any], hilmo: dict[str, str], operational: bool) -> dict[str, Any]:
    res = r.encounter(e, hilmo)
    res["subject"] = patient_reference(e["person_id"], operational)
    return res


def encounter_id(episode_id: str) -> str:
    """The Encounter id of an episode's care event (as the bulk export writes it)."""
    return "enc-" + r.fhir_id(episode_id)[:60]


def location_id(unit_id: str) -> str:
    return "loc-" + r.fhir_id(unit_id)[:60]


#: FHIR ``Encounter.class`` code → the contact modes written with it (``AMB`` also when the
#: contact mode is not recorded).
CLASS_MODES: dict[str, tuple[str, ...]] = {
    code: tuple(m for m, c in r.ENCOUNTER_CLASS.items() if c == code)
    for code in sorted(set(r.ENCOUNTER_CLASS.values()))}
