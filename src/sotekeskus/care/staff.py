"""Staff on the operational side: a professional's group, title and services (the units
are the account's ``user_units``), and the :class:`Staff` view the use cases work with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.domain.access_policy import Actor, Role
from sotekeskus.domain.vocabulary import ProfessionalGroup
from sotekeskus.domain.workflow.codes import CodeError, parse_code
from sotekeskus.store.models import StaffProfile, StaffService, User, UserUnit


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: int
    username: str
    display_name: str
    role: Role
    units: frozenset[str]
    professional_group: ProfessionalGroup | None = None
    title: str = ""
    services: frozenset[str] = frozenset()

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.units)

    @property
    def label(self) -> str:
        """How colleagues see who holds a case: display name and user name."""
        return (f"{self.display_name} ({self.username})"
                if self.display_name and self.display_name != self.username else self.username)


def load_staff(session: Session, user_id: int) -> Staff:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(f"staff: no active user with id {user_id}")
    units = frozenset(session.scalars(select(UserUnit.unit_id).where(
        UserUnit.user_id == user_id)))
    profile = session.get(StaffProfile, user_id)
    services = frozenset(session.scalars(select(StaffService.service_id).where(
        StaffService.user_id == user_id)))
    return Staff(user.id, user.username, user.display_name or user.username, Role(user.role),
                 units, ProfessionalGroup(profile.professional_group) if profile else None,
                 profile.title if profile else "", services)


def staff(engine: Engine, user_id: int) -> Staff:
    with Session(engine) as session:
        return load_staff(session, user_id)


def find_staff(session: Session, username: str) -> Staff:
    user_id = session.scalar(select(User.id).where(User.username == username.strip()))
    if user_id is None:
        raise NotFound(f"staff: no user {username.strip()[:100]!r}")
    return load_staff(session, user_id)


def set_profile(engine: Engine, user_id: int, professional_group: str, *, title: str = "",
                services: Iterable[str] = (), known_services: Iterable[str] | None = None
                ) -> None:
    """Set a professional's group, title and services (replacing the previous ones)."""
    try:
        group = parse_code(ProfessionalGroup, professional_group, "professional_group")
    except CodeError as exc:
        raise InvalidInput(str(exc)) from None
    wanted = sorted(set(services))
    if known_services is not None:
        known = set(known_services)
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise InvalidInput(f"service: unknown service {unknown[0]!r}; allowed: "
                               + ", ".join(sorted(known)))
    with Session(engine) as session, session.begin():
        if session.get(User, user_id) is None:
            raise NotFound(f"staff: no user with id {user_id}")
        profile = session.get(StaffProfile, user_id)
        if profile is None:
            session.add(StaffProfile(user_id=user_id, professional_group=group.value,
                                     title=title))
        else:
            profile.professional_group, profile.title = group.value, title
        session.execute(delete(StaffService).where(StaffService.user_id == user_id))
        session.add_all(StaffService(user_id=user_id, service_id=s) for s in wanted)


#: Longest title a profile keeps (the column's length).
MAX_TITLE = 100


@dataclass(frozen=True, slots=True)
class StaffRow:
    """One account as the staff administration lists it."""

    user_id: int
    username: str
    display_name: str
    role: str
    active: bool
    units: tuple[str, ...]
    professional_group: str | None
    title: str
    services: tuple[str, ...]


def list_staff(engine: Engine, roles: Iterable[str] = (Role.PROFESSIONAL.value,
                                                       Role.SCHEDULER.value)) -> list[StaffRow]:
    """Accounts of ``roles`` (professionals and schedulers) with their profiles, by user
    name."""
    wanted = list(roles)
    with Session(engine) as session:
        users = session.scalars(select(User).where(User.role.in_(wanted))
                                .order_by(User.username)).all()
        units: dict[int, list[str]] = {}
        for uid, unit in session.execute(select(UserUnit.user_id, UserUnit.unit_id)
                                         .order_by(UserUnit.unit_id)):
            units.setdefault(uid, []).append(unit)
        services: dict[int, list[str]] = {}
        for uid, service in session.execute(select(StaffService.user_id,
                                                   StaffService.service_id)
                                            .order_by(StaffService.service_id)):
            services.setdefault(uid, []).append(service)
        profiles = {p.user_id: p for p in session.scalars(select(StaffProfile))}
        return [StaffRow(u.id, u.username, u.display_name or u.username, u.role, u.active,
                         tuple(units.get(u.id, ())),
                         profiles[u.id].professional_group if u.id in profiles else None,
                         profiles[u.id].title if u.id in profiles else "",
                         tuple(services.get(u.id, ()))) for u in users]


def set_staff(engine: Engine, user_id: int, *, professional_group: str, title: str,
              units: Iterable[str], services: Iterable[str],
              known_services: Iterable[str]) -> StaffRow:
    """Set a professional's group, title, units and services in one transaction (the
    administrator's staff page). Every value is checked before anything is written:
    :class:`InvalidInput` names the bad value and lists the allowed codes (groups, the
    store's units, the catalogue's services); an empty group or no unit is refused."""
    from sotekeskus.store.users import UserError, check_units

    try:
        group = parse_code(ProfessionalGroup, professional_group, "professional_group")
    except CodeError as exc:
        raise InvalidInput(str(exc)) from None
    title = title.strip()
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title: at most {MAX_TITLE} characters (got {len(title)})")
    try:
        unit_ids = check_units(engine, units)
    except UserError as exc:
        raise InvalidInput(str(exc)) from None
    if not unit_ids:
        raise InvalidInput("unit: choose at least one unit the professional works in")
    known = sorted(set(known_services))
    wanted = sorted({s.strip() for s in services if s.strip()})
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise InvalidInput(f"service: unknown service {unknown[0]!r}; allowed: "
                           + ", ".join(known))
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"staff: no user with id {user_id}")
        role = user.role
        profile = session.get(StaffProfile, user_id)
        if profile is None:
            session.add(StaffProfile(user_id=user_id, professional_group=group.value,
                                     title=title))
        else:
            profile.professional_group, profile.title = group.value, title
        session.execute(delete(StaffService).where(StaffService.user_id == user_id))
        session.add_all(StaffService(user_id=user_id, service_id=s) for s in wanted)
        session.execute(delete(UserUnit).where(UserUnit.user_id == user_id))
        session.add_all(UserUnit(user_id=user_id, unit_id=u) for u in unit_ids)
    return next(r for r in list_staff(engine, [role])
                if r.user_id == user_id)
