"""Schedules in the store: weekly templates, exceptions, and the slots materialised from
them (:mod:`sotekeskus.domain.workflow.schedule` computes them).

:func:`materialise` inserts the slots of a date range that are not there yet (``INSERT …
ON CONFLICT DO NOTHING`` on ``(user_id, start_at)``: safe to run again, and concurrently)
and blocks the **free** slots an absence covers; a booked slot inside a new absence is left
booked and reported, so that a person rebooks it — it is never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.care.staff import load_staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.workflow.codes import (
    CodeError,
    ScheduleExceptionKind,
    ServiceMode,
    SlotKind,
    SlotStatus,
    parse_code,
)
from sotekeskus.domain.workflow.schedule import (
    ScheduleError,
    SlotSpec,
    TemplateRow,
    Window,
    generate,
    parse_hhmm,
)
from sotekeskus.store.models import ScheduleException, ScheduleSlot, ScheduleTemplate

MAX_DAYS = 400


@dataclass(frozen=True, slots=True)
class TemplateInput:
    user_id: int
    unit_id: str
    weekday: int
    start_time: str
    end_time: str
    slot_minutes: int
    mode: str
    kind: str = SlotKind.NON_URGENT.value
    service_id: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class ExceptionInput:
    user_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    unit_id: str | None = None
    service_id: str | None = None
    slot_minutes: int | None = None
    mode: str | None = None
    slot_kind: str | None = None
    note: str = ""


def _code(enum: type, value: str | None, field: str):  # type: ignore[no-untyped-def,type-arg]
    try:
        return parse_code(enum, (value or "").strip(), field)
    except CodeError as exc:
        raise InvalidInput(str(exc)) from None


def _professional(uow: UnitOfWork, user_id: int, unit_id: str | None) -> None:
    person = load_staff(uow.session, user_id)
    if person.professional_group is None:
        raise InvalidInput(f"user_id: {person.username} has no professional profile")
    if unit_id is not None and unit_id not in person.units:
        raise InvalidInput(f"unit_id: {person.username} does not work in unit {unit_id}")


def add_template(uow: UnitOfWork, form: TemplateInput, *, today: date) -> ScheduleTemplate:
    """Add a weekly template row (scheduler of the unit)."""
    uow.authorise(Action.MANAGE_SCHEDULES, [form.unit_id])
    _professional(uow, form.user_id, form.unit_id)
    mode = _code(ServiceMode, form.mode, "mode")
    kind = _code(SlotKind, form.kind, "kind")
    try:
        row = TemplateRow(form.weekday, parse_hhmm(form.start_time, "start_time"),
                          parse_hhmm(form.end_time, "end_time"), form.slot_minutes,
                          SlotSpec(form.unit_id, form.service_id, mode, kind),
                          form.valid_from or today, form.valid_to)
    except ScheduleError as exc:
        raise InvalidInput(str(exc)) from None
    template = ScheduleTemplate(
        user_id=form.user_id, unit_id=form.unit_id, service_id=form.service_id,
        weekday=row.weekday, start_time=form.start_time.strip(),
        end_time=form.end_time.strip(), slot_minutes=row.slot_minutes, mode=mode.value,
        kind=kind.value, valid_from=row.valid_from, valid_to=row.valid_to)
    uow.session.add(template)
    uow.session.flush()
    uow.audit_change(f"schedule_template:{template.id}",
                     f"user={form.user_id} weekday={row.weekday} {form.start_time}-"
                     f"{form.end_time}")
    return template


def add_exception(uow: UnitOfWork, form: ExceptionInput) -> ScheduleException:
    """Add an absence or an extra shift; an extra shift needs unit, slot length, mode."""
    kind = _code(ScheduleExceptionKind, form.kind, "kind")
    extra = kind is ScheduleExceptionKind.EXTRA
    units = [form.unit_id] if form.unit_id else list(load_staff(uow.session, form.user_id).units)
    uow.authorise(Action.MANAGE_SCHEDULES, units)
    _professional(uow, form.user_id, form.unit_id)
    spec = None
    if extra:
        if not form.unit_id or not form.slot_minutes:
            raise InvalidInput("unit_id, slot_minutes: an extra shift needs both")
        spec = SlotSpec(form.unit_id, form.service_id, _code(ServiceMode, form.mode, "mode"),
                        _code(SlotKind, form.slot_kind or SlotKind.NON_URGENT.value,
                              "slot_kind"))
    try:
        Window(form.starts_at, form.ends_at, extra, form.slot_minutes, spec)
    except ScheduleError as exc:
        raise InvalidInput(str(exc)) from None
    row = ScheduleException(
        user_id=form.user_id, kind=kind.value, starts_at=form.starts_at, ends_at=form.ends_at,
        unit_id=form.unit_id, service_id=form.service_id, slot_minutes=form.slot_minutes,
        mode=spec.mode.value if spec else None, slot_kind=spec.kind.value if spec else None,
        note=form.note[:300])
    uow.session.add(row)
    uow.session.flush()
    uow.audit_change(f"schedule_exception:{row.id}", f"user={form.user_id} {kind.value} "
                     f"{form.starts_at:%Y-%m-%d %H:%M}-{form.ends_at:%Y-%m-%d %H:%M}")
    return row


def _templates(session: Session, user_id: int) -> list[TemplateRow]:
    return [TemplateRow(t.weekday, parse_hhmm(t.start_time, "start_time"),
                        parse_hhmm(t.end_time, "end_time"), t.slot_minutes,
                        SlotSpec(t.unit_id, t.service_id, ServiceMode(t.mode), SlotKind(t.kind)),
                        t.valid_from, t.valid_to, t.id)
            for t in session.scalars(select(ScheduleTemplate).where(
                ScheduleTemplate.user_id == user_id))]


def _windows(session: Session, user_id: int, date_from: date, date_to: date) -> list[Window]:
    rows = session.scalars(select(ScheduleException).where(
        ScheduleException.user_id == user_id,
        ScheduleException.ends_at > datetime.combine(date_from, datetime.min.time()),
        ScheduleException.starts_at < datetime.combine(date_to + timedelta(days=1),
                                                       datetime.min.time())))
    out = []
    for e in rows:
        extra = e.kind == ScheduleExceptionKind.EXTRA
        spec = (SlotSpec(e.unit_id or "", e.service_id, ServiceMode(e.mode or "in_person"),
                         SlotKind(e.slot_kind or "non_urgent")) if extra else None)
        out.append(Window(e.starts_at, e.ends_at, extra, e.slot_minutes, spec))
    return out


@dataclass(frozen=True, slots=True)
class Materialised:
    created: int
    blocked: int
    booked_in_absence: tuple[int, ...]  # slot ids still booked inside an absence


def _insert_ignore(session: Session, rows: list[dict[str, object]]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(ScheduleSlot).on_conflict_do_nothing(
            index_elements=["user_id", "start_at"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(ScheduleSlot).on_conflict_do_nothing(
            index_elements=["user_id", "start_at"])
    user_ids = sorted({int(str(r["user_id"])) for r in rows})
    count = select(func.count()).select_from(ScheduleSlot).where(
        ScheduleSlot.user_id.in_(user_ids))
    before = int(session.scalar(count) or 0)
    connection = session.connection()
    for i in range(0, len(rows), 1000):
        connection.execute(stmt, rows[i:i + 1000])
    return int(session.scalar(count) or 0) - before


def materialise(uow: UnitOfWork, user_id: int, date_from: date, date_to: date
                ) -> Materialised:
    """Create the professional's slots for the range and block free slots in absences."""
    if date_to < date_from:
        raise InvalidInput("date_to: must not be before date_from")
    if (date_to - date_from).days > MAX_DAYS:
        raise InvalidInput(f"date range: at most {MAX_DAYS} days at a time")
    member = load_staff(uow.session, user_id)
    if member.professional_group is None:
        raise NotFound(f"user {member.username} has no professional profile")
    uow.authorise(Action.MANAGE_SCHEDULES, sorted(member.units) or None)
    windows = _windows(uow.session, user_id, date_from, date_to)
    slots = generate(_templates(uow.session, user_id), windows, date_from, date_to)
    rows: list[dict[str, object]] = [
        {"user_id": user_id, "unit_id": s.spec.unit_id, "service_id": s.spec.service_id,
         "professional_group": member.professional_group.value, "start_at": s.start,
         "end_at": s.end, "mode": s.spec.mode.value, "kind": s.spec.kind.value,
         "status": SlotStatus.FREE.value, "template_id": s.template_id} for s in slots]
    created = _insert_ignore(uow.session, rows)
    blocked = 0
    booked: list[int] = []
    for window in (w for w in windows if not w.extra):
        overlapping = (ScheduleSlot.user_id == user_id, ScheduleSlot.start_at < window.end,
                       ScheduleSlot.end_at > window.start)
        result = uow.session.execute(
            update(ScheduleSlot).where(*overlapping, ScheduleSlot.status == SlotStatus.FREE)
            .values(status=SlotStatus.BLOCKED.value)
            .execution_options(synchronize_session=False))
        blocked += int(result.rowcount)  # type: ignore[attr-defined]
        booked += uow.session.scalars(select(ScheduleSlot.id).where(
            *overlapping, ScheduleSlot.status == SlotStatus.BOOKED))
    uow.audit_change(f"slots:user={user_id}", f"materialised {date_from}..{date_to}: "
                     f"created={created} blocked={blocked} booked_in_absence={len(booked)}")
    return Materialised(created, blocked, tuple(sorted(set(booked))))
