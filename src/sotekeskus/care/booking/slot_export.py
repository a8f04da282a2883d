"""Reading another patient system's slot export (for ``sotekeskus report t3 --slots``).

The file is CSV, UTF-8 (a byte-order mark is allowed), comma-separated, with a header row
holding exactly the columns :data:`SLOT_COLUMNS` in any order:

* ``professional_id``, ``unit_id``: non-empty text (at most 64 characters);
* ``professional_group``: a code of :class:`~sotekeskus.domain.vocabulary.ProfessionalGroup`;
* ``start``, ``end``: ISO 8601 date-times (``2025-03-10T08:00``, seconds optional, a space
  instead of ``T`` accepted; an offset such as ``+02:00`` or ``Z`` is accepted and the local
  time as written is used, so the start date is the date printed in the file); ``end`` must
  be after ``start``;
* ``kind``: ``non_urgent``, ``urgent``, ``other``; ``status``: ``free``, ``booked``,
  ``blocked``.

A file with any invalid row yields no result: :class:`SlotFileError` lists every violation
(up to :data:`MAX_REPORTED_ERRORS`), each naming the physical line (the header is line 1),
the column, the value and, for codes, the allowed ones. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sotekeskus.domain.vocabulary import ProfessionalGroup
from sotekeskus.domain.workflow.codes import SlotKind, SlotStatus
from sotekeskus.domain.workflow.t3 import Slot

SLOT_COLUMNS: tuple[str, ...] = ("professional_id", "unit_id", "professional_group", "start",
                                 "end", "kind", "status")
MAX_REPORTED_ERRORS = 50
MAX_ID_LENGTH = 64


@dataclass(frozen=True, slots=True)
class SlotFieldError:
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            parts.append(f"value {shown!r}")
        where = ", ".join(parts)
        return f"{where}: {self.message}" if where else self.message


class SlotFileError(ValueError):
    """The slot file is invalid; no T3 was computed. ``errors`` lists the violations."""

    def __init__(self, path: str, errors: list[SlotFieldError]) -> None:
        self.path = path
        self.total = len(errors)
        self.errors = errors[:MAX_REPORTED_ERRORS]
        lines = [f"{path}: {self.total} error(s); no T3 computed."]
        lines += [f"  {e}" for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  ... and {self.total - len(self.errors)} more error(s)")
        super().__init__("\n".join(lines))


def _allowed(enum: type[StrEnum]) -> str:
    return ", ".join(m.value for m in enum)


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date-time as naive local time (an offset is dropped, the clock kept)."""
    value = text.strip()
    if len(value) < 16 or value[10] not in "T ":
        raise ValueError("not a date-time")
    if value.endswith(("Z", "z")):
        value = value[:-1]
    return datetime.fromisoformat(value).replace(tzinfo=None)


def read_slot_file(path: str | Path) -> list[Slot]:
    """The slots of ``path``; :class:`SlotFileError` naming every violation."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SlotFileError(name, [SlotFieldError(None, None, None,
                                                  f"cannot read: {exc.strerror}")]) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SlotFileError(name, [SlotFieldError(None, None, None,
                                                  f"not UTF-8 (byte {exc.start})")]) from exc
    return parse_slots(text, name)


def parse_slots(text: str, name: str = "<slots>") -> list[Slot]:
    """Parse the CSV text of a slot export (see the module docstring)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[SlotFieldError] = []
    header: list[str] | None = None
    slots: list[Slot] = []
    previous_end = 0
    try:
        for record in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if header is None:
                header = [c.strip() for c in record]
                _check_header(header, line, errors)
                if errors:
                    raise SlotFileError(name, errors)
                continue
            if len(record) != len(header):
                errors.append(SlotFieldError(line, None, None, f"{len(record)} fields; the "
                                             f"header has {len(header)}"))
                continue
            slot = _row(dict(zip(header, record, strict=True)), line, errors)
            if slot is not None:
                slots.append(slot)
    except csv.Error as exc:
        errors.append(SlotFieldError(reader.line_num, None, None, f"malformed CSV: {exc}"))
    if header is None:
        errors.append(SlotFieldError(None, None, None, "empty file: no header row "
                                     f"({', '.join(SLOT_COLUMNS)})"))
    if errors:
        raise SlotFileError(name, errors)
    return slots


def _check_header(header: list[str], line: int, errors: list[SlotFieldError]) -> None:
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(SlotFieldError(line, column, None, "column appears twice"))
        seen.add(column)
        if column not in SLOT_COLUMNS:
            errors.append(SlotFieldError(line, column, None, "unknown column; the columns "
                                         f"are {', '.join(SLOT_COLUMNS)}"))
    for column in SLOT_COLUMNS:
        if column not in seen:
            errors.append(SlotFieldError(line, column, None, "required column is missing"))


def _row(row: dict[str, str], line: int, errors: list[SlotFieldError]) -> Slot | None:
    before = len(errors)

    def err(column: str, message: str) -> None:
        errors.append(SlotFieldError(line, column, row[column], message))

    ids: dict[str, str] = {}
    for column in ("professional_id", "unit_id"):
        value = row[column].strip()
        if not value:
            err(column, "required value is empty")
        elif len(value) > MAX_ID_LENGTH or not value.isprintable():
            err(column, f"at most {MAX_ID_LENGTH} printable characters")
        ids[column] = value
    group = kind = status = None
    try:
        group = ProfessionalGroup(row["professional_group"].strip())
    except ValueError:
        err("professional_group", f"unknown code; allowed: {_allowed(ProfessionalGroup)}")
    try:
        kind = SlotKind(row["kind"].strip())
    except ValueError:
        err("kind", f"unknown code; allowed: {_allowed(SlotKind)}")
    try:
        status = SlotStatus(row["status"].strip())
    except ValueError:
        err("status", f"unknown code; allowed: {_allowed(SlotStatus)}")
    times: dict[str, datetime] = {}
    for column in ("start", "end"):
        try:
            times[column] = parse_datetime(row[column])
        except ValueError:
            err(column, "not an ISO 8601 date-time such as 2025-03-10T08:00")
    if len(times) == 2 and times["end"] <= times["start"]:
        err("end", f"must be after start ({row['start'].strip()})")
    if len(errors) > before:
        return None
    assert group is not None and kind is not None and status is not None
    return Slot(ids["professional_id"], ids["unit_id"], group, times["start"], times["end"],
                kind, status)
