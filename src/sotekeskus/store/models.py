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
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
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

    __table_args__ = (Index("ix_episodes_status_urgency", "status", "urgency"),)


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
