"""Contact lines of the front door and their plain e-forms (data: ``care/data/contact_lines.yaml``).

A **line** is where a resident's message, e-form, call-back request, prescription renewal
or chat lands: the unit whose professionals work it in the workdesk queue, the service area
(which gives the case its deadline from the rule book) and the service of the catalogue it
belongs to (``care/data/services.yaml``; the line's unit must be one of the service's
units). A region replaces the file with its own through :func:`load_lines`.

**Call-back windows** offered on a line (:func:`offered_windows`): on weekdays that are not
Finnish holidays, consecutive windows of ``callback_window_minutes`` between the line's
opening hours, starting no earlier than ``callback_lead_minutes`` after now, over the next
``callback_days`` such days; a window is offered while fewer than ``callback_capacity`` open
call-back requests of the line already hold it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sotekeskus.care.catalogue import Catalogue, default_catalogue
from sotekeskus.domain.vocabulary import ServiceArea
from sotekeskus.domain.workflow.codes import ContactKind
from sotekeskus.rules.calendar_fi import FINNISH_HOLIDAYS

DEFAULT_PATH = Path(__file__).parent / "data" / "contact_lines.yaml"
FIELD_TYPES = ("text", "date", "choice")


class LineError(ValueError):
    """A contact-line file that cannot be used; the message names the file, line id and key."""


def _names(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
            isinstance(value.get(lang), str) and value.get(lang) for lang in ("fi", "sv", "en")):
        raise LineError(f"{where}: names need fi, sv and en")
    return {k: str(v) for k, v in value.items()}


@dataclass(frozen=True, slots=True)
class FormField:
    field_id: str
    kind: str  # text | date | choice
    required: bool
    names: Mapping[str, str]
    options: tuple[tuple[str, Mapping[str, str]], ...] = ()

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["fi"]

    def option_ids(self) -> list[str]:
        return [o for o, _ in self.options]


@dataclass(frozen=True, slots=True)
class EForm:
    form_id: str
    line_id: str
    names: Mapping[str, str]
    fields: tuple[FormField, ...]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["fi"]


@dataclass(frozen=True, slots=True)
class Line:
    line_id: str
    names: Mapping[str, str]
    service_area: ServiceArea
    unit_id: str
    service_id: str
    kinds: frozenset[ContactKind]
    opens: time
    closes: time
    callback_window_minutes: int = 60
    callback_capacity: int = 4
    callback_lead_minutes: int = 30
    callback_days: int = 2

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["fi"]


@dataclass(frozen=True)
class Lines:
    lines: dict[str, Line]
    e_forms: dict[str, EForm] = field(default_factory=dict)
    version: str = ""

    def line(self, line_id: str, kind: ContactKind | None = None) -> Line:
        """The line; ``LookupError`` naming the value and the allowed ids (for ``kind``)."""
        allowed = [lid for lid, ln in self.lines.items() if kind is None or kind in ln.kinds]
        found = self.lines.get(line_id)
        if found is None or found.line_id not in allowed:
            raise LookupError(f"line: unknown line {line_id!r}"
                              + (f" for {kind.value}" if kind else "")
                              + f"; allowed: {', '.join(allowed)}")
        return found

    def for_kind(self, kind: ContactKind) -> list[Line]:
        return [ln for ln in self.lines.values() if kind in ln.kinds]

    def form(self, form_id: str) -> EForm:
        found = self.e_forms.get(form_id)
        if found is None:
            raise LookupError(f"form: unknown e-form {form_id!r}; allowed: "
                              + ", ".join(sorted(self.e_forms)))
        return found


def _time(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise LineError(f"{where}: {value!r} is not a time HH:MM") from None


def _positive(row: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = row.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise LineError(f"{where}: {key} must be a whole number ≥ 1 (got {value!r})")
    return value


def _line(row: Any, catalogue: Catalogue, where: str) -> Line:
    if not isinstance(row, Mapping) or not str(row.get("id") or "").strip():
        raise LineError(f"{where}: every line has an id")
    lid = str(row["id"]).strip()
    where = f"{where} line {lid}"
    try:
        area = ServiceArea(str(row.get("service_area")))
    except ValueError:
        raise LineError(f"{where}: service_area {row.get('service_area')!r}; allowed: "
                        + ", ".join(a.value for a in ServiceArea)) from None
    try:
        service = catalogue.service(str(row.get("service")))
    except ValueError as exc:
        raise LineError(f"{where}: {exc}") from None
    unit = str(row.get("unit") or "")
    if unit not in service.units:
        raise LineError(f"{where}: unit {unit!r} is not a unit of service "
                        f"{service.service_id} ({', '.join(sorted(service.units))})")
    kinds = []
    for k in row.get("kinds") or []:
        try:
            kinds.append(ContactKind(str(k)))
        except ValueError:
            raise LineError(f"{where}: kind {k!r}; allowed: "
                            + ", ".join(c.value for c in ContactKind)) from None
    hours = row.get("hours") or []
    if len(hours) != 2:
        raise LineError(f"{where}: hours is [opens, closes]")
    opens, closes = _time(hours[0], where), _time(hours[1], where)
    if closes <= opens:
        raise LineError(f"{where}: hours close before they open")
    return Line(lid, _names(row.get("names"), where), area, unit, service.service_id,
                frozenset(kinds), opens, closes,
                _positive(row, "callback_window_minutes", 60, where),
                _positive(row, "callback_capacity", 4, where),
                _positive(row, "callback_lead_minutes", 30, where),
                _positive(row, "callback_days", 2, where))


def _form(row: Any, lines: dict[str, Line], where: str) -> EForm:
    if not isinstance(row, Mapping) or not str(row.get("id") or "").strip():
        raise LineError(f"{where}: every e-form has an id")
    fid = str(row["id"]).strip()
    where = f"{where} e-form {fid}"
    line_id = str(row.get("line") or "")
    if line_id not in lines or ContactKind.E_FORM not in lines[line_id].kinds:
        raise LineError(f"{where}: line {line_id!r} is not a line taking e-forms")
    fields = []
    for f in row.get("fields") or []:
        fwhere = f"{where} field {f.get('id') if isinstance(f, Mapping) else f!r}"
        if not isinstance(f, Mapping) or not f.get("id"):
            raise LineError(f"{fwhere}: every field has an id")
        kind = str(f.get("type") or "")
        if kind not in FIELD_TYPES:
            raise LineError(f"{fwhere}: type {kind!r}; allowed: {', '.join(FIELD_TYPES)}")
        options = tuple((str(o["id"]), _names(o.get("names"), fwhere))
                        for o in f.get("options") or [])
        if kind == "choice" and not options:
            raise LineError(f"{fwhere}: a choice needs options")
        fields.append(FormField(str(f["id"]), kind, bool(f.get("required")),
                                _names(f.get("names"), fwhere), options))
    if not fields:
        raise LineError(f"{where}: an e-form needs fields")
    return EForm(fid, line_id, _names(row.get("names"), where), tuple(fields))


def load_lines(path: Path = DEFAULT_PATH, catalogue: Catalogue | None = None) -> Lines:
    """Read and check a contact-line file against the service catalogue."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LineError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("lines"), list):
        raise LineError(f"{path}: expected a mapping with a 'lines' list")
    cat = catalogue or default_catalogue()
    lines: dict[str, Line] = {}
    for row in data["lines"]:
        line = _line(row, cat, str(path))
        if line.line_id in lines:
            raise LineError(f"{path}: line id {line.line_id!r} appears twice")
        lines[line.line_id] = line
    forms: dict[str, EForm] = {}
    for row in data.get("e_forms") or []:
        form = _form(row, lines, str(path))
        if form.form_id in forms:
            raise LineError(f"{path}: e-form id {form.form_id!r} appears twice")
        forms[form.form_id] = form
    return Lines(lines, forms, str(data.get("version") or ""))


@lru_cache(maxsize=1)
def default_lines() -> Lines:
    return load_lines()


@dataclass(frozen=True, slots=True)
class Window:
    """A call-back window ``[start, end)``; ``free``: requests it can still take."""

    start: datetime
    end: datetime
    free: int

    @property
    def key(self) -> str:
        """How a form names the window: its start, ``YYYY-MM-DDTHH:MM``."""
        return self.start.strftime("%Y-%m-%dT%H:%M")


def _service_days(start: date, count: int) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5 and day not in FINNISH_HOLIDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def offered_windows(line: Line, now: datetime, taken: Mapping[datetime, int]) -> list[Window]:
    """The call-back windows a resident may choose now (module docstring). ``taken``: open
    call-back requests of the line per window start."""
    earliest = now + timedelta(minutes=line.callback_lead_minutes)
    step = timedelta(minutes=line.callback_window_minutes)
    windows: list[Window] = []
    for day in _service_days(now.date(), line.callback_days + 1):
        start = datetime.combine(day, line.opens)
        close = datetime.combine(day, line.closes)
        while start + step <= close:
            if start >= earliest:
                free = line.callback_capacity - taken.get(start, 0)
                if free > 0:
                    windows.append(Window(start, start + step, free))
            start += step
        if len({w.start.date() for w in windows}) >= line.callback_days:
            break
    return windows
