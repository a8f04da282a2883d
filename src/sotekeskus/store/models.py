"""SQLAlchemy 2 models of the operational store (SQLite by default, PostgreSQL in production).

Date-times are stored naive, in local Finnish time (Europe/Helsinki), as in the episode file.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """A unit (toimipiste): health station, dental clinic, service."""

    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")


class Episode(Base):
    """One care episode, exactly the columns of the episode file contract."""

    __tablename__ = "episodes"

    episode_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    birth_date: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(String(64))
    service_area: Mapped[str] = mapped_column(String(16))
    professional_group: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    contact_at: Mapped[datetime] = mapped_column(DateTime)
    assessed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    visit_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    contact_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    plan_based: Mapped[bool] = mapped_column(Boolean, default=False)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # contract version 2 (optional columns; NULL = not recorded), migration 0004
    diagnosis_codes: Mapped[str | None] = mapped_column(Text, nullable=True)
    visit_nature: Mapped[str | None] = mapped_column(String(8), nullable=True)
    professional_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    care_plan: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # No secondary indexes (migration 0004): no query of the store needs one.


class ImportRun(Base):
    """One successful import of an episode file (failed imports leave no trace but the log)."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(100), default="cli")


class Meta(Base):
    """Key–value facts about the store, e.g. ``data_version`` (bumped by every import)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5), default="fi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    units: Mapped[list[UserUnit]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class UserUnit(Base):
    """Units a user (e.g. a unit manager) is responsible for."""

    __tablename__ = "user_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[User] = relationship(back_populates="units")


class AuditEvent(Base):
    """Audit log (käyttöloki): every read of person-level data and every sign-in."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    # migration 0005: why the data were used, and whose (the resident's "who read my data")
    purpose: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True,
                                                          index=True)


class MonitoringIndicator(Base):
    """A project monitoring indicator (hankkeen seurantamittari)."""

    __tablename__ = "monitoring_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_fi: Mapped[str] = mapped_column(String(300))
    name_sv: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    definition: Mapped[str] = mapped_column(Text, default="")
    unit_of_measure: Mapped[str] = mapped_column(String(32), default="%")
    computation: Mapped[str] = mapped_column(String(64), default="manual")
    period_kind: Mapped[str] = mapped_column(String(16), default="year")
    baseline_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_period: Mapped[str | None] = mapped_column(String(16), nullable=True)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", lazy="selectin"
    )
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", lazy="selectin"
    )


class IndicatorTarget(Base):
    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("monitoring_indicators.id"))
    period: Mapped[str] = mapped_column(String(16))  # "2025" or "2025-Q4"
    value: Mapped[float] = mapped_column(Float)
    indicator: Mapped[MonitoringIndicator] = relationship(back_populates="targets")


class IndicatorValue(Base):
    """A value entered by hand for a period (indicators with computation = manual)."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("monitoring_indicators.id"))
    period: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[str] = mapped_column(String(100), default="")
    entered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    indicator: Mapped[MonitoringIndicator] = relationship(back_populates="values")


class UserSession(Base):
    """A signed-in session (server side): the signed cookie carries only its random ``id``.

    A session is valid while ``ended_at`` is empty, the user is active, the last request is
    within the idle lifetime and the start within the absolute lifetime (settings).
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")


class CaseEventRow(Base):
    """One event of a case (the case-events file, planning.md §1); one row per
    (``case_id``, ``event``): re-importing the pair replaces it."""

    __tablename__ = "case_events"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(String(64))
    case_type: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    professional_group: Mapped[str | None] = mapped_column(String(32), nullable=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


# ---- operational side: the workdesk and booking (migration 0005; care/, docs/workdesk.md) ----


class Person(Base):
    """A resident. ``hetu`` is the personal identity code (validated, never leaves the
    operational side); ``person_id`` is the pseudonymous key the analytics see."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64), unique=True)
    hetu: Mapped[str] = mapped_column(String(11), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="fi")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class StaffProfile(Base):
    """What a professional is (group, title); units come from ``user_units``."""

    __tablename__ = "staff_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    professional_group: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100), default="")


class StaffService(Base):
    """A professional's membership in a service of the catalogue (whose queue she sees)."""

    __tablename__ = "staff_services"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class CareCase(Base):
    """A case (asiointi): a contact in a channel until the need is met or closed.

    ``owner_user_id`` is the single owner (claims are conditional updates on it); ``version``
    grows with every transition. ``due_on`` / ``due_leg`` hold the nearest open deadline
    (recomputed from the rule book at every transition) so the queue orders in SQL.
    """

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    service_area: Mapped[str] = mapped_column(String(16))
    professional_group: Mapped[str | None] = mapped_column(String(32), nullable=True)
    urgency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    routing_rule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    contact_at: Mapped[datetime] = mapped_column(DateTime)
    callback_from: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    callback_to: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    assessed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    visit_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    contact_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    visit_professional: Mapped[str | None] = mapped_column(String(100), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    questionnaire_outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_leg: Mapped[str | None] = mapped_column(String(32), nullable=True)
    due_rule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    episode_id: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_cases_queue", "state", "urgency", "due_on"),
                      Index("ix_cases_owner", "owner_user_id"),
                      Index("ix_cases_service", "service_id", "state"))


class CaseTransition(Base):
    """One state change or change of owner of a case: append-only (database triggers refuse
    UPDATE and DELETE)."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    transition: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    owner_before: Mapped[str | None] = mapped_column(String(100), nullable=True)
    owner_after: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class Assessment(Base):
    """A care-need assessment (hoidon tarpeen arviointi) of a case."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    assessor: Mapped[str] = mapped_column(String(100))
    urgency: Mapped[str] = mapped_column(String(16))
    need: Mapped[str] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    service_area: Mapped[str] = mapped_column(String(16))
    professional_group: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), default="")


class CaseMessage(Base):
    """A message on a case (chat line, secure message), from the resident or a professional."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    author_kind: Mapped[str] = mapped_column(String(16))  # resident | professional
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


class ScheduleTemplate(Base):
    """A weekly availability template row of one professional: on ``weekday`` (0 = Monday)
    from ``start_time`` to ``end_time`` (``HH:MM``), slots of ``slot_minutes``."""

    __tablename__ = "schedule_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    slot_minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class ScheduleException(Base):
    """An absence (removes free slots) or an extra shift (adds slots) of one professional."""

    __tablename__ = "schedule_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    slot_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    slot_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str] = mapped_column(String(300), default="")


class ScheduleSlot(Base):
    """A materialised slot. Booking is ``UPDATE … SET status='booked' WHERE id=… AND
    status='free'`` (one winner); one professional never has two slots starting together."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    professional_group: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime] = mapped_column(DateTime)
    mode: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    template_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (UniqueConstraint("user_id", "start_at", name="uq_slots_user_start"),
                      Index("ix_slots_service_start", "service_id", "status", "start_at"),
                      Index("ix_slots_start", "start_at"))


class Appointment(Base):
    """A booking of a slot for a case. A partial unique index allows at most one
    ``booked`` appointment per slot (a cancelled one frees it)."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    booked_at: Mapped[datetime] = mapped_column(DateTime)
    booked_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    changed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (Index("uq_appointments_booked_slot", "slot_id", unique=True,
                            sqlite_where=text("status = 'booked'"),
                            postgresql_where=text("status = 'booked'")),)


class NotificationOutbox(Base):
    """A message waiting for the SMS / e-mail gateway (which reads and marks it sent)."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(32))
    person_pk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"),
                                                       nullable=True)
    send_after: Mapped[datetime] = mapped_column(DateTime)
    payload: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


# ---- interop: quarantine of rejected import rows (migration 0006; docs/data-quality.md) ----


class QuarantinedRow(Base):
    """One broken rule of one rejected row of an import in quarantine mode (a row breaking
    three rules has three entries with the same ``file_name`` and ``line``). Values are the
    row's raw text; ``professional_group`` is the contract group when it could be told,
    ``professional_raw`` the file's own value; ``month`` is ``YYYY-MM`` of the row's visit,
    else of its contact, when readable. ``category`` groups the reasons (invalid_code,
    missing_value, bad_date, order, duplicate, malformed, other). Re-importing a file
    (same ``source`` and ``file_name``) replaces its rows."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(500))
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    episode_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    professional_group: Mapped[str | None] = mapped_column(String(32), nullable=True)
    professional_raw: Mapped[str | None] = mapped_column(String(200), nullable=True)
    month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    column_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    category: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    quarantined_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_quarantine_source_file", "source", "file_name"),
                      Index("ix_quarantine_unit_month", "unit_id", "month"))


class ApiClient(Base):
    """A client of the FHIR API (migration 0006): a scoped bearer token (only its SHA-256 is
    kept), acting under the access policy as ``role`` over ``units`` (comma-separated), with
    SMART-style ``scopes`` (space-separated, e.g. ``system/Patient.read``)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    units: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class EpisodeChange(Base):
    """Which episode rows one data-version bump of a workdesk unit of work changed
    (migration 0013): the bump from ``version_from`` to ``version_to`` wrote ``episode_id``.
    The analytics snapshot follows a chain of these bumps incrementally; a bump without rows
    here (an import) breaks the chain and the snapshot is rebuilt in full."""

    __tablename__ = "episode_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_from: Mapped[str] = mapped_column(String(64))
    version_to: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_episode_changes_version_from", "version_from"),
                      Index("ix_episode_changes_changed_at", "changed_at"))


class CatalogueVersion(Base):
    """One uploaded version of the service catalogue (``kind`` = ``services``) or of the
    routing rules (``routing``), as its YAML text (migration 0013). The newest of each kind
    is in force; earlier ones are kept."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("kind", "version"),)


# ---- front door channels (migration 0010; docs/chat.md) ----


class CaseContact(Base):
    """How a resident opened a case at the front door (``care/contact.py``, ``care/chat.py``):
    ``kind`` (message, e_form, callback, renewal, chat), the contact ``line_id`` it came in
    on, the e-form's id and answers (JSON), and — recorded when a professional closes it —
    the ``resolution`` (advice, self_care, prescription_renewed) and whether the need was
    resolved at first contact."""

    __tablename__ = "case_contacts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    line_id: Mapped[str] = mapped_column(String(64))
    form_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    form_data: Mapped[str] = mapped_column(Text, default="{}")
    resolution: Mapped[str | None] = mapped_column(String(32), nullable=True)
    resolved_first_contact: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (Index("ix_case_contacts_line_kind", "line_id", "kind"),)


# ---- the resident front door: identification, sessions (migration 0008; docs/front-door.md)


class ResidentSession(Base):
    """A resident's signed-in session (server side), separate from staff sessions: the
    resident cookie (path ``/asiointi``) carries only a random token, stored here as its
    SHA-256 (``id``). ``csrf`` is the session's form token."""

    __tablename__ = "resident_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    issuer: Mapped[str] = mapped_column(String(300), default="")


class ResidentSignIn(Base):
    """An identification in progress (OpenID Connect): kept under the SHA-256 of its
    ``state`` until the identity provider sends the browser back (at most once, within
    minutes). ``code_verifier`` is the PKCE secret; ``nonce`` must come back in the ID token."""

    __tablename__ = "resident_sign_ins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    next_path: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str] = mapped_column(String(5), default="fi")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


# ---- migration 0011: the pathways' stored model runs, professionals' marks, outcome
# measurements and experience responses (docs/pathways.md, docs/models.md)


class RiskModelRun(Base):
    """One stored evaluation of a risk model (``sotekeskus models evaluate --db``): the
    fitted parameters the professional's list applies (``parameters``, JSON: features,
    scaler means and scales, coefficients, intercept, threshold), the evaluation's figures
    (``evaluation``, JSON) and the model card text it printed (``card``, Markdown)."""

    __tablename__ = "risk_model_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[str] = mapped_column(Text)
    evaluation: Mapped[str] = mapped_column(Text)
    card: Mapped[str] = mapped_column(Text)


class RiskMark(Base):
    """A professional's mark on a person of a risk list: the listing was justified or not
    (append-only: a later mark of the same person, model and list day supersedes, both kept)."""

    __tablename__ = "risk_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[int] = mapped_column(ForeignKey("risk_model_runs.id"))
    person_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(200))
    list_day: Mapped[date] = mapped_column(Date)
    justified: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_risk_marks_model_person", "model", "person_id", "list_day"),)


class OutcomeMeasurement(Base):
    """A scored outcome measurement (PHQ-9, GAD-7, WHO-5 …) imported from a measurements file;
    one row per person, instrument, day, unit and service area (a re-import replaces it)."""

    __tablename__ = "outcome_measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64))
    instrument: Mapped[str] = mapped_column(String(64))
    measured_on: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(String(200))
    service_area: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("person_id", "instrument", "measured_on", "unit_id",
                                       "service_area", name="uq_outcome_measurements_key"),)


class ExperienceResponse(Base):
    """One answer to the 0–10 recommendation question (the comment is never stored); a file
    is imported once (``batch_sha256`` of its bytes, with the line)."""

    __tablename__ = "experience_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_sha256: Mapped[str] = mapped_column(String(64))
    line: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    responded_on: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("batch_sha256", "line",
                                       name="uq_experience_responses_line"),)


# ---- interop: OAuth2 client credentials of the FHIR API (migration 0012; docs/fhir.md) ----


class ApiClientSecret(Base):
    """The client secret of an API client (argon2 hash; shown once when set), for the token
    endpoint's client-credentials grant."""

    __tablename__ = "api_client_secrets"

    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiAccessToken(Base):
    """A short-lived bearer token issued by the token endpoint (only its SHA-256 is kept),
    with the scopes granted (space-separated, a subset of the client's); it ends at
    ``expires_at`` or when the client is revoked."""

    __tablename__ = "api_access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


# ---- questionnaires of the front door (migration 0009; docs/questionnaires.md) ----


class QuestionnaireVersion(Base):
    """One version of a FHIR R4 Questionnaire (``resource``: its JSON) with its outcome rules
    (``rules``: YAML). Versions are never changed or replaced: a new one is a new row."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(64))
    fhir_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    resource: Mapped[str] = mapped_column(Text)
    rules: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("url", "version", name="uq_questionnaires_url_version"),)


class QuestionnaireResponseRow(Base):
    """A resident's answers (``resource``: the R4 QuestionnaireResponse JSON) to one
    questionnaire version, the outcome and the rule that fired, and the case it opened
    (none for an emergency: the resident was told to call 112)."""

    __tablename__ = "questionnaire_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    questionnaire_url: Mapped[str] = mapped_column(String(300))
    questionnaire_version: Mapped[str] = mapped_column(String(64))
    person_pk: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True,
                                                index=True)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str] = mapped_column(String(100))
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(5))
    resource: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_questionnaire_responses_version", "questionnaire_url",
                            "questionnaire_version"),)
