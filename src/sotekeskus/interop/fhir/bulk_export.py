"""``sotekeskus export fhir``: the store as FHIR R4 NDJSON, one file per resource type
(the FHIR Bulk Data format: one resource per line, UTF-8).

Files: ``Organization.ndjson`` and ``Location.ndjson`` (units), ``Patient.ndjson`` (one per
pseudonymous person), ``EpisodeOfCare.ndjson`` (one per episode), ``Encounter.ndjson`` (one per
episode with a care event), and ``export.json`` (counts, the FHIR version, the time).
Every resource is validated against R4 (:mod:`sotekeskus.interop.fhir.validate`) before it
is written; the mapping is :mod:`sotekeskus.interop.fhir.resources`. Episodes are read in
batches (bounded memory). A person whose episodes disagree on the birth date gets the most
frequent date on the Patient, and the others on the episodes themselves (an extension), so
the export loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sotekeskus.interop.fhir import resources as r
from sotekeskus.interop.fhir.validate import validate_r4

if TYPE_CHECKING:
    from sqlalchemy import Engine

FILES = ("Organization", "Location", "Patient", "EpisodeOfCare", "Encounter")
EXT_BIRTH_DATE = r.EXT + "birth-date"
BATCH = 5_000
_COLUMNS = ("episode_id", "person_id", "birth_date", "unit_id", "service_area",
            "professional_group", "urgency", "contact_at", "assessed_at", "visit_at",
            "contact_mode", "status", "plan_based", "diagnosis_codes", "visit_nature",
            "professional_id", "care_plan")


@dataclass
class ExportResult:
    folder: Path
    counts: dict[str, int] = field(default_factory=dict)


def hilmo_codes(map_dir: str | Path | None = None) -> dict[str, str]:
    """Contact mode → Hilmo Yhteystapa code, where the contact-mode map is one-to-one."""
    from sotekeskus.interop.codes import load_maps

    table = load_maps(map_dir)["contact_mode"]
    by_mode: dict[str, list[str]] = {}
    for code in table.codes:
        mode = table.target(code, "contact_mode")
        if mode:
            by_mode.setdefault(mode, []).append(code)
    return {mode: codes[0] for mode, codes in by_mode.items() if len(codes) == 1}


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.files: dict[str, IO[str]] = {
            kind: (folder / f"{kind}.ndjson").open("w", encoding="utf-8", newline="\n")
            for kind in FILES}
        self.counts = dict.fromkeys(FILES, 0)

    def write(self, resource: dict[str, Any]) -> None:
        validate_r4(resource)
        kind = resource["resourceType"]
        self.files[kind].write(json.dumps(resource, ensure_ascii=False,
                                          separators=(",", ":")) + "\n")
        self.counts[kind] += 1

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def export_fhir(engine: Engine, folder: str | Path, *, map_dir: str | Path | None = None,
                progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write the store's units, persons and episodes as R4 NDJSON into ``folder``."""
    from sqlalchemy import text

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    hilmo = hilmo_codes(map_dir)
    writer = _Writer(out)
    try:
        with engine.connect() as conn:
            for unit_id, name, municipality in conn.execute(text(
                    "SELECT unit_id, name, municipality FROM units ORDER BY unit_id")):
                writer.write(r.organization(unit_id, name or "", municipality or ""))
                writer.write(r.location(unit_id, name or ""))
            chosen = ("SELECT person_id, birth_date FROM (SELECT person_id, birth_date, "
                      "row_number() OVER (PARTITION BY person_id ORDER BY count(*) DESC, "
                      "birth_date) AS k FROM episodes GROUP BY person_id, birth_date) x "
                      "WHERE k = 1")
            stream = conn.execution_options(yield_per=BATCH).execute(
                text(f"{chosen} ORDER BY person_id"))
            for person_id, birth in stream:
                writer.write(r.patient(person_id, _date(birth)))
            cols = ", ".join(f"e.{c}" for c in _COLUMNS)
            stream = conn.execution_options(yield_per=BATCH).execute(text(
                f"SELECT {cols}, p.birth_date AS patient_birth FROM episodes e "
                f"JOIN ({chosen}) p ON p.person_id = e.person_id ORDER BY e.episode_id"))
            done = 0
            for row in stream:
                e = dict(zip((*_COLUMNS, "patient_birth"), row, strict=True))
                for key in ("contact_at", "assessed_at", "visit_at"):
                    e[key] = _datetime(e[key])
                e["birth_date"] = _date(e["birth_date"])
                e["plan_based"] = bool(_bool(e["plan_based"]))
                e["care_plan"] = _bool(e["care_plan"])
                eoc = r.episode_of_care(e)
                if e["birth_date"] != _date(e["patient_birth"]):
                    eoc["extension"].append({"url": EXT_BIRTH_DATE,
                                             "valueDate": e["birth_date"].isoformat()})
                writer.write(eoc)
                if r.needs_encounter(e):
                    writer.write(r.encounter(e, hilmo))
                done += 1
                if progress and done % BATCH == 0:
                    progress(done)
    finally:
        writer.close()
    (out / "export.json").write_text(json.dumps({
        "fhirVersion": "4.0.1", "transactionTime": datetime.now().astimezone().isoformat(
            timespec="seconds"),
        "output": [{"type": k, "url": f"{k}.ndjson", "count": n}
                   for k, n in writer.counts.items()]}, indent=2) + "\n", encoding="utf-8")
    return ExportResult(out, dict(writer.counts))
