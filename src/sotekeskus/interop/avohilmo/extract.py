"""An Avohilmo-style extract → episodes of the contract, through the code maps.

The extract (docs/avohilmo.md): CSV, UTF-8, comma-separated, a header row with exactly the
columns of :data:`EXTRACT_COLUMNS` (any order). One row is one visit (käynti) with the
contact and the care-need assessment that preceded it.

How a row becomes an episode (no ``if`` chains: every code goes through its table,
:mod:`sotekeskus.interop.codes`):

* ``KAYNTI_TUNNISTE`` → ``episode_id``; ``ASIAKAS_TUNNISTE`` → ``person_id``;
  ``ASIAKAS_SYNTYMAPAIVA`` → ``birth_date``; ``PALVELUNTUOTTAJA_YKSIKKO`` → ``unit_id``;
* ``YHTEYDENOTTO_AJANKOHTA`` → ``contact_at``; ``HOIDONTARVE_AJANKOHTA`` → ``assessed_at``;
* ``HTA_KIIREELLISYYS`` → ``urgency`` (table urgency);
* ``KAYNTI_PALVELUMUOTO`` → ``service_area`` (table service_type);
* ``KAYNTI_AMMATTI`` → ``professional_group`` (table professional);
* ``KAYNTI_LUONNE`` → ``visit_nature`` (table visit_nature); a nature outside THL's access
  statistic (TH) also sets ``plan_based`` true, so the visit stays out of waits, coverage
  and breaches exactly as THL's SH-only method requires;
* ``AJANVARAUS_TILA`` → ``status`` (table booking_status: 7 realised → done, 9 did not arrive
  → cancelled, …); ``KAYNTI_ALKOI`` → ``visit_at`` for done visits only (a booked or
  cancelled time is not a visit);
* ``KAYNTI_YHTEYSTAPA`` → ``contact_mode`` (table contact_mode; may be empty); a mode whose
  ``episode`` is false (R60, consultation between professionals) is **not an episode**: the
  row is left out and counted;
* ``PERUUTUS_AJANKOHTA`` (cancellation time) is checked: a date-time, and only on a row whose
  booking status maps to cancelled.

Everything else is the episode contract's own checking (dates, order, ids, duplicates), run
on the mapped rows by :class:`~sotekeskus.ingest.episode_file.EpisodeScan`; its errors are
translated back to the extract's lines and column names.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sotekeskus.ingest.episode_file import (
    EpisodeFile,
    EpisodeScan,
    _csv_header,
    _lines_of,
)
from sotekeskus.ingest.errors import MAX_REPORTED_ERRORS, EpisodeFileError, FieldError
from sotekeskus.interop.codes import CodeTable

#: Extract column → the episode column it becomes (None: checked, not stored).
EXTRACT_COLUMNS: dict[str, str | None] = {
    "KAYNTI_TUNNISTE": "episode_id",
    "ASIAKAS_TUNNISTE": "person_id",
    "ASIAKAS_SYNTYMAPAIVA": "birth_date",
    "PALVELUNTUOTTAJA_YKSIKKO": "unit_id",
    "KAYNTI_PALVELUMUOTO": "service_area",
    "KAYNTI_AMMATTI": "professional_group",
    "HTA_KIIREELLISYYS": "urgency",
    "YHTEYDENOTTO_AJANKOHTA": "contact_at",
    "HOIDONTARVE_AJANKOHTA": "assessed_at",
    "KAYNTI_ALKOI": "visit_at",
    "KAYNTI_YHTEYSTAPA": "contact_mode",
    "AJANVARAUS_TILA": "status",
    "KAYNTI_LUONNE": "visit_nature",
    "PERUUTUS_AJANKOHTA": None,
}
#: Episode column → extract column (for messages).
EXTRACT_NAME: dict[str, str] = {v: k for k, v in EXTRACT_COLUMNS.items() if v}
EXTRACT_NAME["plan_based"] = "KAYNTI_LUONNE"


@dataclass(frozen=True)
class Coded:
    """A coded extract column: its table, the target column, whether a value is required."""

    table: str
    target: str
    required: bool


CODED: dict[str, Coded] = {
    "HTA_KIIREELLISYYS": Coded("urgency", "urgency", True),
    "KAYNTI_PALVELUMUOTO": Coded("service_type", "service_area", True),
    "KAYNTI_AMMATTI": Coded("professional", "professional_group", True),
    "KAYNTI_LUONNE": Coded("visit_nature", "visit_nature", True),
    "AJANVARAUS_TILA": Coded("booking_status", "status", True),
    "KAYNTI_YHTEYSTAPA": Coded("contact_mode", "contact_mode", False),
}
#: Episode columns of the mapped rows (contract v1 plus ``visit_nature``).
EPISODE_OUT = ("episode_id", "person_id", "birth_date", "unit_id", "service_area",
               "professional_group", "urgency", "contact_at", "assessed_at", "visit_at",
               "contact_mode", "status", "plan_based", "visit_nature")
#: Why a row of the extract is not an episode, by reason.
EXCLUDED_NOT_EPISODE = "contact mode is not an episode (consultation between professionals)"
#: File (in the extract's work folder) of every rule broken by a row the code maps reject.
ADAPTER_ERRORS = "adapter_errors.parquet"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _case(column: str, table: CodeTable, target: str) -> str:
    """SQL: the target value of the code in ``column`` (NULL when not a code)."""
    whens = " ".join(f"WHEN {_lit(code)} THEN {_lit(table.target(code, target))}"
                     for code in table.codes)
    return f"CASE {column} {whens} END"


def check_header(path: Path, header: Sequence[str]) -> None:
    """Every extract column must be there (any order); nothing else may."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(FieldError(1, name, None, "column appears twice in the header"))
        seen.add(name)
        if name not in EXTRACT_COLUMNS:
            errors.append(FieldError(1, name, None, "unknown column; the extract has only: "
                                     + ", ".join(EXTRACT_COLUMNS)))
    for name in EXTRACT_COLUMNS:
        if name not in seen:
            errors.append(FieldError(1, name, None, "required column is missing from the "
                                     "header (every extract column must be there, in any "
                                     "order; its values may be empty where allowed)"))
    if errors:
        raise EpisodeFileError(str(path), errors)


@dataclass
class AdapterError:
    """A row the code maps reject: 0-based data-row ordinal, the row's id, unit and raw
    professional code (to count it), the column, the value and why."""

    ordinal: int
    episode_id: str
    unit_id: str
    professional: str
    contact_at: str
    column: str
    value: str
    message: str


@dataclass
class Extract:
    """An extract read and mapped: ``parquet`` holds the episode rows (text, with the
    ``__ordinal`` of each row in the extract) of the rows the maps accept."""

    path: Path
    header: tuple[str, ...]
    workdir: Path
    parquet: Path
    rows: int
    episodes: int
    excluded: dict[str, int]
    errors: list[AdapterError]
    error_total: int
    sha256: str = ""
    _lines: dict[int, int] = field(default_factory=dict)

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def adapter_errors(self) -> Path:
        """Parquet: every rule broken by a row the maps reject (raw values, in file order)."""
        return self.workdir / ADAPTER_ERRORS

    def lines(self, ordinals: Sequence[int]) -> dict[int, int]:
        """Physical line of each 0-based data row of the extract."""
        wanted = sorted(set(ordinals) - set(self._lines))
        if wanted:
            file = EpisodeFile(self.path, "csv", self.header, (), 0)
            self._lines.update(_lines_of(file, wanted))
        return {o: self._lines[o] for o in ordinals}

    def field_errors(self, errors: Sequence[AdapterError]) -> list[FieldError]:
        lines = self.lines([e.ordinal for e in errors])
        return [FieldError(lines[e.ordinal], e.column, e.value, e.message, "line",
                           e.episode_id or None) for e in errors]

    def raise_adapter_errors(self) -> None:
        if self.error_total:
            raise EpisodeFileError(str(self.path), self.field_errors(self.errors),
                                   total=self.error_total)

    # ---- the mapped rows as episodes ----------------------------------------------------
    def episode_file(self) -> EpisodeFile:
        return EpisodeFile(self.parquet, "parquet", EPISODE_OUT, EPISODE_OUT,
                           self.parquet.stat().st_size, self.episodes)

    def ordinals(self, rows: Sequence[int]) -> dict[int, int]:
        """Extract ordinal of each 0-based row of the mapped Parquet file."""
        if not rows:
            return {}
        table = pq.read_table(self.parquet, columns=["__ordinal"])
        column = table.column("__ordinal")
        return {r: int(column[r].as_py()) for r in rows}

    def translate(self, exc: EpisodeFileError) -> EpisodeFileError:
        """A contract error on the mapped rows, told in the extract's lines and columns."""
        rows = [e.line - 1 for e in exc.errors if e.line is not None]
        for e in exc.errors:
            rows += [int(n) - 1 for n in re.findall(r"\brow (\d+)", e.message)]
            rows += [int(n) - 1 for n in re.findall(r", (\d+)", e.message)
                     if "also on row" in e.message]
        ordinals = self.ordinals(sorted(set(rows)))
        lines = self.lines(list(ordinals.values()))

        def line_of(row: int) -> int:
            return lines[ordinals[row - 1]]

        out = []
        for e in exc.errors:
            message = _rename(e.message)
            if "also on row" in message:
                message = re.sub(r"also on row ([\d, ]+)", lambda m: "also on line " + ", ".join(
                    str(line_of(int(n))) for n in re.findall(r"\d+", m.group(1))), message)
            column = EXTRACT_NAME.get(e.column or "", e.column)
            line = line_of(e.line) if e.line is not None and e.line_label == "row" else e.line
            out.append(FieldError(line, column, e.value, message, "line", e.episode_id))
        return EpisodeFileError(str(self.path), out, total=exc.total)


def _rename(message: str) -> str:
    """Contract column names in a message → the extract's names."""
    pattern = r"\b(" + "|".join(sorted(EXTRACT_NAME, key=len, reverse=True)) + r")\b"
    text = re.sub(r"status 'done' requires visit_at",
                  "a realised visit (AJANVARAUS_TILA maps to done) requires KAYNTI_ALKOI",
                  message)
    return re.sub(pattern, lambda m: EXTRACT_NAME[m.group(1)], text)


def _connect(tmp: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 1, "memory_limit": "256MB",
                                 "preserve_insertion_order": True, "temp_directory": tmp})
    con.execute("SET TimeZone = 'UTC'")
    return con


def _source(path: Path, header: Sequence[str]) -> str:
    columns = ", ".join(f"{_lit(name)}: 'VARCHAR'" for name in header)
    return (f"read_csv({_lit(str(path))}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', columns = {{{columns}}}, strict_mode = true, "
            "null_padding = false)")


def _checks(maps: dict[str, CodeTable]) -> list[tuple[str, str, str]]:
    """(column, condition, message) of every rule the code maps add."""
    out = []
    for column, coded in CODED.items():
        table = maps[coded.table]
        c = _q(column)
        if coded.required:
            out.append((column, f"{c} = ''", "a value is required"))
        codes = ", ".join(_lit(code) for code in table.codes)
        known = ", ".join(table.codes)
        out.append((column, f"{c} <> '' AND {c} NOT IN ({codes})",
                    f"code not in {table.describe()}; known codes: {known}"))
    cancelled = _case(_q("AJANVARAUS_TILA"), maps["booking_status"], "status")
    out.append(("PERUUTUS_AJANKOHTA",
                "PERUUTUS_AJANKOHTA <> '' AND try_cast(PERUUTUS_AJANKOHTA AS TIMESTAMP) IS NULL",
                "not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)"))
    out.append(("PERUUTUS_AJANKOHTA",
                f"PERUUTUS_AJANKOHTA <> '' AND {cancelled} IS NOT NULL "
                f"AND {cancelled} <> 'cancelled'",
                "a cancellation time on a visit whose AJANVARAUS_TILA does not map to "
                "cancelled"))
    return out


def read_extract(path: str | Path, maps: dict[str, CodeTable],
                 max_errors: int = MAX_REPORTED_ERRORS) -> Extract:
    """Check the header, apply the code maps and write the accepted rows as episodes (text)
    to a temporary Parquet file. Rows the maps reject are listed in ``errors`` (the first
    ``max_errors``; ``error_total`` counts every broken rule); nothing is raised for them
    here (the strict import raises, quarantine keeps them)."""
    path = Path(path)
    if not path.exists():
        raise EpisodeFileError(str(path), [FieldError(None, None, None, "no such file")])
    header = tuple(_csv_header(path))
    check_header(path, header)
    workdir = Path(tempfile.mkdtemp(prefix="sotekeskus-avohilmo-"))
    con = _connect(str(workdir))
    try:
        trimmed = ", ".join(f"coalesce(trim({_q(c)}), '') AS {_q(c)}" for c in EXTRACT_COLUMNS)
        con.execute(f"CREATE TEMP TABLE src AS SELECT row_number() OVER () - 1 AS __ordinal, "
                    f"{trimmed} FROM {_source(path, header)}")
        rules = _checks(maps)
        bad = " OR ".join(f"coalesce({cond}, false)" for _, cond, _ in rules)
        con.execute(f"CREATE TEMP TABLE bad AS SELECT __ordinal FROM src WHERE {bad}")
        parts = " UNION ALL ".join(
            f"SELECT __ordinal, {i} AS rank, {_lit(col)} AS col, {_q(col)} AS val, "
            f"{_lit(msg)} AS msg FROM src WHERE coalesce({cond}, false)"
            for i, (col, cond, msg) in enumerate(rules))
        con.execute(f"CREATE TEMP TABLE errs AS {parts}")
        total = int(_one(con, "SELECT count(*) FROM errs"))
        listed = con.execute(
            "SELECT e.__ordinal, s.KAYNTI_TUNNISTE, s.PALVELUNTUOTTAJA_YKSIKKO, "
            "s.KAYNTI_AMMATTI, s.YHTEYDENOTTO_AJANKOHTA, e.col, e.val, e.msg FROM errs e "
            "JOIN src s USING (__ordinal) ORDER BY e.__ordinal, e.rank "
            f"LIMIT {int(max_errors)}").fetchall()
        errors = [AdapterError(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7])
                  for r in listed]
        group = _case("s.KAYNTI_AMMATTI", maps["professional"], "professional_group")
        con.execute(  # every rejected row with its reasons, for quarantine mode
            f"COPY (SELECT e.__ordinal, s.KAYNTI_TUNNISTE AS episode_id, "
            f"s.PALVELUNTUOTTAJA_YKSIKKO AS unit_id, {group} AS professional_group, "
            "s.KAYNTI_AMMATTI AS professional_raw, s.YHTEYDENOTTO_AJANKOHTA AS contact_at, "
            "s.KAYNTI_ALKOI AS visit_at, e.col AS column_name, e.val AS value, e.msg AS reason "
            "FROM errs e JOIN src s USING (__ordinal) ORDER BY e.__ordinal, e.rank) "
            f"TO {_lit(str(workdir / ADAPTER_ERRORS))} (FORMAT parquet)")
        episode = _case("KAYNTI_YHTEYSTAPA", maps["contact_mode"], "episode")
        keep = (f"__ordinal NOT IN (SELECT __ordinal FROM bad) AND "
                f"coalesce({episode}, 'true') = 'true'")
        status = _case("AJANVARAUS_TILA", maps["booking_status"], "status")
        outside = _case("KAYNTI_LUONNE", maps["visit_nature"], "outside_access")
        select = ", ".join([
            "KAYNTI_TUNNISTE AS episode_id", "ASIAKAS_TUNNISTE AS person_id",
            "ASIAKAS_SYNTYMAPAIVA AS birth_date", "PALVELUNTUOTTAJA_YKSIKKO AS unit_id",
            f"{_case('KAYNTI_PALVELUMUOTO', maps['service_type'], 'service_area')} "
            "AS service_area",
            f"{_case('KAYNTI_AMMATTI', maps['professional'], 'professional_group')} "
            "AS professional_group",
            f"{_case('HTA_KIIREELLISYYS', maps['urgency'], 'urgency')} AS urgency",
            "YHTEYDENOTTO_AJANKOHTA AS contact_at", "HOIDONTARVE_AJANKOHTA AS assessed_at",
            f"CASE WHEN {status} = 'done' THEN KAYNTI_ALKOI ELSE '' END AS visit_at",
            f"coalesce({_case('KAYNTI_YHTEYSTAPA', maps['contact_mode'], 'contact_mode')}, "
            "'') AS contact_mode",
            f"{status} AS status",
            f"CASE WHEN {outside} = 'true' THEN 'true' ELSE 'false' END AS plan_based",
            f"{_case('KAYNTI_LUONNE', maps['visit_nature'], 'visit_nature')} "
            "AS visit_nature",
            "__ordinal"])
        parquet = workdir / "episodes.parquet"
        con.execute(f"COPY (SELECT {select} FROM src WHERE {keep} ORDER BY __ordinal) "
                    f"TO {_lit(str(parquet))} (FORMAT parquet)")
        rows = int(_one(con, "SELECT count(*) FROM src"))
        episodes = int(pq.read_metadata(parquet).num_rows)
        not_episode = int(_one(con, f"SELECT count(*) FROM src WHERE "
                               f"__ordinal NOT IN (SELECT __ordinal FROM bad) "
                               f"AND {episode} = 'false'"))
    except duckdb.Error as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        text = str(exc).split("\n")[0]
        raise EpisodeFileError(str(path), [FieldError(None, None, None,
                                                      f"the file cannot be read: {text}")]
                               ) from None
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        con.close()
    excluded = {EXCLUDED_NOT_EPISODE: not_episode} if not_episode else {}
    return Extract(path, header, workdir, parquet, rows, episodes, excluded, errors, total)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else 0


class ExtractBatches:
    """The mapped rows as :class:`~sotekeskus.store.episodes.EpisodeBatches` for the
    episode writer: the contract's checks run on them (EpisodeScan), and every error comes
    back in the extract's lines and column names. ``sha256`` is the extract's digest."""

    def __init__(self, extract: Extract) -> None:
        self.extract = extract
        self._scan = EpisodeScan(extract.episode_file())
        self.columns = self._scan.columns
        self.sha256 = ""

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._scan
        except EpisodeFileError as exc:
            raise self.extract.translate(exc) from None
        self.sha256 = _sha256(self.extract.path)

    def duplicates_error(self) -> Exception:
        return self.extract.translate(self._scan.duplicates_error())


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()
