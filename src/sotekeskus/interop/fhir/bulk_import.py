"""``sotekeskus import fhir DIR``: read a bulk NDJSON export back into episodes.

Reads ``Organization.ndjson``, ``Patient.ndjson``, ``EpisodeOfCare.ndjson`` and (when there)
``Encounter.ndjson`` and ``Location.ndjson`` of ``DIR``. Every line must be one JSON resource
of the file's type, valid **FHIR R4** (:mod:`~sotekeskus.interop.fhir.validate`), and carry
what an episode needs (:mod:`~sotekeskus.interop.fhir.resources`); references must resolve
within the export. The episodes then go through the episode contract's own checks and the
episode writer: all-or-nothing, idempotent (an ``episode_id`` is updated, never duplicated),
every error naming the file, the line, the episode, the element or column and the value.
Rows are staged in Parquet and joined by DuckDB (bounded memory).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sotekeskus.ingest.episode_file import EpisodeFile, EpisodeScan
from sotekeskus.ingest.errors import MAX_REPORTED_ERRORS, EpisodeFileError, FieldError
from sotekeskus.interop.fhir import resources as r
from sotekeskus.interop.fhir.bulk_export import EXT_BIRTH_DATE
from sotekeskus.interop.fhir.validate import R4ValidationError, validate_r4

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

    from sotekeskus.store.episodes import ImportResult, Progress

REQUIRED = ("Organization", "Patient", "EpisodeOfCare")
OPTIONAL = ("Encounter", "Location")
EPISODE_COLUMNS = ("episode_id", "person_id", "birth_date", "unit_id", "service_area",
                   "professional_group", "urgency", "contact_at", "assessed_at", "visit_at",
                   "contact_mode", "status", "plan_based", "diagnosis_codes", "visit_nature",
                   "professional_id", "care_plan")
_SCHEMAS = {
    "Organization": ("fid", "unit_id", "name", "municipality", "line"),
    "Patient": ("fid", "person_id", "birth_date", "line"),
    "EpisodeOfCare": ("fid", "episode_id", "patient", "organization", "service_area",
                      "professional_group", "urgency", "contact_at", "assessed_at", "status",
                      "plan_based", "care_plan", "professional_id", "diagnosis_codes",
                      "birth_date", "line"),
    "Encounter": ("fid", "episode", "visit_at", "contact_mode", "visit_nature", "line"),
}


@dataclass(frozen=True)
class FhirImportResult:
    imported: ImportResult
    counts: dict[str, int]
    units: int


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self.total = 0

    def add(self, file: str, line: int | None, element: str | None, value: str | None,
            message: str, episode: str | None = None) -> None:
        self.total += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(FieldError(line, element, value, message, f"{file} line",
                                         episode))


class _Stage:
    """Rows of one resource type, appended to a Parquet file in batches."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = path
        self.columns = columns
        self.schema = pa.schema([(c, pa.int64() if c == "line" else pa.string())
                                 for c in columns])
        self.rows: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(path, self.schema)
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def _read(folder: Path, kind: str, stage: _Stage, errors: _Errors) -> None:
    path = folder / f"{kind}.ndjson"
    file = path.name
    try:
        for number, line in _lines(path):
            try:
                res = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.add(file, number, None, None, f"not JSON: {exc.msg}")
                continue
            if not isinstance(res, dict) or res.get("resourceType") != kind:
                found = res.get("resourceType") if isinstance(res, dict) else None
                errors.add(file, number, "resourceType", str(found),
                           f"this file holds {kind} resources only")
                continue
            try:
                validate_r4(res)
                row = _row(kind, res)
            except R4ValidationError as exc:
                errors.add(file, number, None, None, str(exc))
                continue
            except r.MappingError as exc:
                errors.add(file, number, exc.element, None, str(exc).split(": ", 1)[1],
                           _episode_of(res))
                continue
            row["line"] = number
            stage.add(row)
    except UnicodeDecodeError as exc:
        errors.add(file, None, None, None, f"not UTF-8 ({exc.reason} at byte {exc.start})")


def _episode_of(res: dict[str, Any]) -> str | None:
    try:
        return r.identifier(res, r.SYS_EPISODE)
    except r.MappingError:
        return None


def _row(kind: str, res: dict[str, Any]) -> dict[str, Any]:
    fid = str(res.get("id") or "")
    if kind == "Organization":
        city = ((res.get("address") or [{}])[0]).get("city") or ""
        return {"fid": fid, "unit_id": r.identifier(res, r.SYS_UNIT),
                "name": res.get("name") or "", "municipality": city}
    if kind == "Patient":
        if not res.get("birthDate"):
            raise r.MappingError("birthDate", "the birth date is required")
        return {"fid": fid, "person_id": r.identifier(res, r.SYS_PSEUDONYM),
                "birth_date": res["birthDate"]}
    if kind == "EpisodeOfCare":
        f = r.episode_fields(res)
        return {"fid": fid, "episode_id": f["episode_id"], "patient": f["__patient"],
                "organization": f["__organization"],
                **{k: f[k] for k in ("service_area", "professional_group", "urgency",
                                     "contact_at", "assessed_at", "status", "plan_based",
                                     "care_plan", "professional_id", "diagnosis_codes")},
                "birth_date": r.extension(res, EXT_BIRTH_DATE) or ""}
    f = r.encounter_fields(res)
    return {"fid": fid, "episode": f["__episode"], "visit_at": f["visit_at"],
            "contact_mode": f["contact_mode"], "visit_nature": f["visit_nature"]}


def _pq(path: Path) -> str:
    return "read_parquet('" + str(path).replace("'", "''") + "')"


def import_fhir(engine: Engine, folder: str | Path, *, imported_by: str = "cli",
                progress: Progress | None = None) -> FhirImportResult:
    """Import a bulk NDJSON export (see the module docstring)."""
    from sotekeskus.store.episodes import upsert_episodes
    from sotekeskus.store.units import upsert_units

    src = Path(folder)
    if not src.is_dir():
        raise EpisodeFileError(str(src), [FieldError(None, None, None, "not a folder")])
    missing = [f"{k}.ndjson" for k in REQUIRED if not (src / f"{k}.ndjson").exists()]
    if missing:
        raise EpisodeFileError(str(src), [FieldError(
            None, None, None, "missing file(s): " + ", ".join(missing) + " (an export has "
            + ", ".join(f"{k}.ndjson" for k in (*REQUIRED, *OPTIONAL)) + ")")])
    tmp = Path(tempfile.mkdtemp(prefix="sotekeskus-fhir-"))
    try:
        errors = _Errors()
        stages = {kind: _Stage(tmp / f"{kind}.parquet", cols)
                  for kind, cols in _SCHEMAS.items()}
        for kind in (*REQUIRED, "Encounter"):
            if (src / f"{kind}.ndjson").exists():
                _read(src, kind, stages[kind], errors)
        if (src / "Location.ndjson").exists():  # validated; units come from Organization
            _validate_only(src, "Location", errors)
        for stage in stages.values():
            stage.close()
        if not errors.total:
            _check_references(stages, errors)
        if errors.total:
            raise EpisodeFileError(str(src), errors.items, total=errors.total)
        episodes = _join(stages, tmp / "episodes.parquet")
        file = EpisodeFile(episodes, "parquet", EPISODE_COLUMNS, EPISODE_COLUMNS,
                           episodes.stat().st_size, stages["EpisodeOfCare"].count)
        batches = _Batches(file, src)
        result = upsert_episodes(engine, batches, file_name=str(src), imported_by=imported_by,
                                 progress=progress, expected_rows=file.parquet_rows)
        units = pq.read_table(stages["Organization"].path).to_pylist()
        written = upsert_units(engine, [{"unit_id": u["unit_id"], "name": u["name"],
                                         "municipality": u["municipality"]} for u in units])
        counts = {kind: stage.count for kind, stage in stages.items()}
        return FhirImportResult(result, counts, written)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _validate_only(src: Path, kind: str, errors: _Errors) -> None:
    for number, line in _lines(src / f"{kind}.ndjson"):
        try:
            res = json.loads(line)
            validate_r4(res)
        except (json.JSONDecodeError, R4ValidationError) as exc:
            errors.add(f"{kind}.ndjson", number, None, None, str(exc))


def _check_references(stages: dict[str, _Stage], errors: _Errors) -> None:
    con = duckdb.connect()
    try:
        eoc = _pq(stages["EpisodeOfCare"].path)
        checks = [
            ("EpisodeOfCare.ndjson", "patient", f"SELECT e.line, e.episode_id, e.patient FROM "
             f"{eoc} e ANTI JOIN {_pq(stages['Patient'].path)} p ON p.fid = e.patient",
             "no Patient with this id in Patient.ndjson"),
            ("EpisodeOfCare.ndjson", "managingOrganization", f"SELECT e.line, e.episode_id, "
             f"e.organization FROM {eoc} e ANTI JOIN {_pq(stages['Organization'].path)} o "
             "ON o.fid = e.organization", "no Organization with this id in "
             "Organization.ndjson"),
            ("Encounter.ndjson", "episodeOfCare", f"SELECT n.line, NULL, n.episode FROM "
             f"{_pq(stages['Encounter'].path)} n ANTI JOIN {eoc} e ON e.fid = n.episode",
             "no EpisodeOfCare with this id in EpisodeOfCare.ndjson"),
            ("Encounter.ndjson", "episodeOfCare", f"SELECT min(line), NULL, episode FROM "
             f"{_pq(stages['Encounter'].path)} GROUP BY episode HAVING count(*) > 1",
             "more than one Encounter for this episode of care"),
            ("EpisodeOfCare.ndjson", "identifier", f"SELECT max(line), episode_id, "
             f"episode_id FROM {eoc} GROUP BY episode_id HAVING count(*) > 1",
             "duplicate episode identifier in this export"),
        ]
        for file, element, sql, message in checks:
            for line, episode, value in con.execute(sql + " ORDER BY 1").fetchall():
                errors.add(file, int(line), element, value, message, episode)
    finally:
        con.close()


def _join(stages: dict[str, _Stage], out: Path) -> Path:
    """The episodes in the episode contract's columns (text) plus ``__line`` (the
    EpisodeOfCare line), in EpisodeOfCare order."""
    con = duckdb.connect()
    try:
        con.execute(
            "COPY (SELECT e.episode_id, p.person_id, "
            "CASE WHEN e.birth_date <> '' THEN e.birth_date ELSE p.birth_date END "
            "AS birth_date, o.unit_id, e.service_area, e.professional_group, e.urgency, "
            "e.contact_at, e.assessed_at, coalesce(n.visit_at, '') AS visit_at, "
            "coalesce(n.contact_mode, '') AS contact_mode, e.status, e.plan_based, "
            "e.diagnosis_codes, coalesce(n.visit_nature, '') AS visit_nature, "
            "e.professional_id, e.care_plan, e.line AS __line "
            f"FROM {_pq(stages['EpisodeOfCare'].path)} e "
            f"JOIN {_pq(stages['Patient'].path)} p ON p.fid = e.patient "
            f"JOIN {_pq(stages['Organization'].path)} o ON o.fid = e.organization "
            f"LEFT JOIN {_pq(stages['Encounter'].path)} n ON n.episode = e.fid "
            f"ORDER BY e.line) TO '{out}' (FORMAT parquet)")
    finally:
        con.close()
    return out


class _Batches:
    """The joined episodes through the contract's checks; errors told in EpisodeOfCare.ndjson
    lines."""

    def __init__(self, file: EpisodeFile, src: Path) -> None:
        self._scan = EpisodeScan(file)
        self._file = file
        self._src = src
        self.columns = self._scan.columns
        self.sha256 = ""

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._scan
        except EpisodeFileError as exc:
            raise self._translate(exc) from None
        self.sha256 = self._scan.sha256

    def duplicates_error(self) -> Exception:
        return self._translate(self._scan.duplicates_error())

    def _translate(self, exc: EpisodeFileError) -> EpisodeFileError:
        lines = pq.read_table(self._file.path, columns=["__line"]).column("__line")
        out = []
        for e in exc.errors:
            line = int(lines[e.line - 1].as_py()) if e.line else None
            out.append(FieldError(line, e.column, e.value, e.message,
                                  "EpisodeOfCare.ndjson line", e.episode_id))
        return EpisodeFileError(str(self._src), out, total=exc.total)
