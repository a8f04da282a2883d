"""Users, roles and sign-in (argon2 password hashes).

Roles and what each may see:

* ``manager``: own units only (``user_units``), unit-level detail, person-level waiting list
  of own units (every read audited);
* ``leadership``: the whole region, unit-level detail (no person-level data);
* ``analyst``: the whole region, small cells suppressed (no person-level data);
* ``admin``: users and the monitoring-indicator registry; aggregate views as an analyst.

Sign-in (:func:`authenticate`) gives the same answer and does the same work (one argon2
verification) for an unknown user, a wrong password and a deactivated account. There is no
per-account lock in the store: a stranger could use one to lock an administrator out.
Guessing is slowed down per (account, client address) by the web layer instead
(:class:`sotekeskus.web.security.SignInThrottle`). The columns ``failed_logins`` and
``locked_until`` of older stores are no longer used.

Deactivating a user or resetting their password ends all their sessions in the same
transaction (:mod:`sotekeskus.store.sessions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, distinct, select, update
from sqlalchemy.orm import Session

from sotekeskus.domain.access_policy import STAFF_ROLES
from sotekeskus.store.models import Episode, Unit, User, UserSession, UserUnit

#: Roles a staff account may have (the access policy's staff roles).
ROLES: tuple[str, ...] = tuple(r.value for r in STAFF_ROLES)
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")

#: Shortest password accepted for a new password (create, reset).
MIN_PASSWORD_LENGTH = 12
#: Longest user name (the column's width).
MAX_USERNAME_LENGTH = 100
#: Why sessions were ended by a change of the user (``user_sessions.end_reason``).
SESSIONS_DEACTIVATED = "deactivated"
SESSIONS_PASSWORD_RESET = "password_reset"

_hasher = PasswordHasher()
#: A real hash to verify against when the user does not exist (same timing either way).
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_MAX_ID = 2**63 - 1


class UserError(ValueError):
    """Invalid user data (unknown role or unit, short password, duplicate name)."""


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in user as the web layer sees it (no password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    language: str
    units: tuple[str, ...]
    active: bool = True

    @property
    def all_units(self) -> bool:
        """Whether the role sees the whole region."""
        return self.role != "manager"

    @property
    def unit_detail(self) -> bool:
        """Whether the role sees unit-level detail without small-cell suppression."""
        return self.role in ("manager", "leadership")

    @property
    def person_level(self) -> bool:
        """Whether the role may read person-level data (own units only)."""
        return self.role == "manager"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class SignInResult:
    account: Account | None
    reason: str  # "ok", "invalid", "inactive" (the web answers the last two alike)


def check_password(password: str) -> None:
    """Raise :class:`UserError` unless ``password`` is acceptable as a new password."""
    if not password:
        raise UserError("password: must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters "
                        f"(got {len(password)})")
    if password.strip() != password or not password.isprintable():
        raise UserError("password: no control characters, no spaces at either end")


def hash_password(password: str) -> str:
    if not password:
        raise UserError("password: must not be empty")
    return _hasher.hash(password)


def check_username(username: str) -> str:
    """The stripped user name, or :class:`UserError` (empty, too long, control characters)."""
    name = username.strip()
    if not name:
        raise UserError("username: must not be empty")
    if len(name) > MAX_USERNAME_LENGTH:
        raise UserError(f"username: at most {MAX_USERNAME_LENGTH} characters")
    if not name.isprintable():
        raise UserError("username: no control characters")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role: unknown role {role!r}; allowed: {', '.join(ROLES)}")
    return role


def check_units(engine: Engine, units: Iterable[str]) -> list[str]:
    """The sorted distinct unit ids, or :class:`UserError` naming the first unknown one."""
    wanted = sorted({u.strip() for u in units if u.strip()})
    if not wanted:
        return []
    known = known_units(engine)
    known_set = set(known)
    unknown = [u for u in wanted if u not in known_set]
    if unknown:
        allowed = ", ".join(known) if known else "none: import the units file first"
        raise UserError(f"unit: unknown unit {unknown[0]!r}; allowed: {allowed}")
    return wanted


def to_account(user: User) -> Account:
    """The typed view of a user row."""
    return Account(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        language=user.language or "fi",
        units=tuple(sorted(u.unit_id for u in user.units)),
        active=bool(user.active),
    )


_to_account = to_account


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    units: Iterable[str] = (),
    *,
    display_name: str = "",
    language: str = "fi",
    check_strength: bool = True,
) -> Account:
    """Create a user; :class:`UserError` on a bad name, role, unit, language or password.

    Units must exist in the store (:func:`known_units`). ``check_strength=False`` only for
    the published demo accounts.
    """
    username = check_username(username)
    check_role(role)
    if language not in LANGUAGES:
        raise UserError(f"language: unknown language {language!r}; "
                        f"allowed: {', '.join(LANGUAGES)}")
    if check_strength:
        check_password(password)
    unit_list = check_units(engine, units)
    if role == "manager" and not unit_list:
        raise UserError("unit: a manager needs at least one unit")
    if not display_name.isprintable():
        raise UserError("display_name: no control characters")
    with Session(engine) as session, session.begin():
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise UserError(f"user {username!r} already exists")
        user = User(
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            role=role,
            language=language,
            active=True,
            failed_logins=0,
        )
        user.units = [UserUnit(unit_id=u) for u in unit_list]
        session.add(user)
        session.flush()
        return _to_account(user)


def get_account(engine: Engine, user_id: int) -> Account | None:
    """The active account with this id, or None."""
    if not isinstance(user_id, int) or not 0 < user_id <= _MAX_ID:
        return None
    with Session(engine) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        return _to_account(user)


def list_accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        return [_to_account(u) for u in session.scalars(select(User).order_by(User.username))]


def set_language(engine: Engine, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}")
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        if user is not None:
            user.language = language


def find_account(engine: Engine, username: str) -> Account | None:
    """The account named ``username`` (active or not), or None."""
    name = username.strip()
    if not name or len(name) > MAX_USERNAME_LENGTH or not name.isprintable():
        return None
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == name))
        return _to_account(user) if user is not None else None


def end_sessions(session: Session, user_id: int, reason: str,
                 now: datetime | None = None) -> int:
    """End every open session of ``user_id`` inside the caller's transaction; how many."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now or datetime.now(), end_reason=reason))
    return int(result.rowcount)  # type: ignore[attr-defined]


def set_active(engine: Engine, user_id: int, active: bool,
               now: datetime | None = None) -> int:
    """(De)activate a user; deactivation ends all their sessions. Sessions ended."""
    if not isinstance(user_id, int) or not 0 < user_id <= _MAX_ID:
        raise UserError(f"user {user_id} does not exist")
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        if user is None:
            raise UserError(f"user {user_id} does not exist")
        user.active = active
        return 0 if active else end_sessions(session, user.id, SESSIONS_DEACTIVATED, now)


def _user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise UserError(f"username: no user {username.strip()!r}")
    return user


def deactivate_user(engine: Engine, username: str, now: datetime | None = None) -> int:
    """Deactivate ``username`` and end all their sessions now; how many sessions ended."""
    with Session(engine) as session, session.begin():
        user = _user_named(session, username)
        user.active = False
        return end_sessions(session, user.id, SESSIONS_DEACTIVATED, now)


def reset_password(engine: Engine, username: str, password: str,
                   now: datetime | None = None) -> int:
    """Give ``username`` a new password and end their sessions; how many sessions ended."""
    check_password(password)
    new_hash = hash_password(password)
    with Session(engine) as session, session.begin():
        user = _user_named(session, username)
        user.password_hash = new_hash
        return end_sessions(session, user.id, SESSIONS_PASSWORD_RESET, now)


def authenticate(
    engine: Engine, username: str, password: str, now: datetime | None = None
) -> SignInResult:
    """Check a password: exactly one argon2 verification whatever the outcome.

    An unknown (or unusable) name is verified against a dummy hash, a deactivated account
    against its own hash, so that neither answers faster. Nothing is written on failure.
    """
    del now  # kept for callers; the store keeps no lock-out state any more
    name = username.strip()
    usable = bool(name) and len(name) <= MAX_USERNAME_LENGTH and name.isprintable()
    with Session(engine) as session, session.begin():
        user = (session.scalar(select(User).where(User.username == name))
                if usable else None)
        try:
            _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH,
                           password or "")
            matched = user is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            matched = False
        if user is None or not matched:
            return SignInResult(None, "invalid")
        if not user.active:
            return SignInResult(None, "inactive")
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return SignInResult(_to_account(user), "ok")


def known_units(engine: Engine) -> list[str]:
    """Unit ids of the store: the ``units`` table, else the units that own episodes."""
    with Session(engine) as session:
        units = list(session.scalars(select(Unit.unit_id).order_by(Unit.unit_id)))
        if not units:
            units = list(
                session.scalars(select(distinct(Episode.unit_id)).order_by(Episode.unit_id))
            )
        return units


#: Demo accounts: (username, password, role, display name). Demo only: never in production.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("johtaja", "demo-johtaja", "leadership", "Liisa Johtaja"),
    ("esihenkilo", "demo-esihenkilo", "manager", "Essi Esihenkilö"),
    ("analyytikko", "demo-analyytikko", "analyst", "Antti Analyytikko"),
    ("admin", "demo-admin", "admin", "Aino Ylläpitäjä"),
)


def seed_demo_users(
    engine: Engine, manager_units: Sequence[str] | None = None
) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Create the demo accounts if absent (idempotent) and return them with passwords.

    The manager gets ``manager_units``, else the first two units of the store.
    """
    units = tuple(manager_units) if manager_units else tuple(known_units(engine)[:2])
    out: list[tuple[str, str, str, tuple[str, ...]]] = []
    for username, password, role, display in DEMO_ACCOUNTS:
        own = units if role == "manager" else ()
        with Session(engine) as session, session.begin():
            user = session.scalar(select(User).where(User.username == username))
            if user is not None:
                if role == "manager" and not user.units and own:
                    user.units = [UserUnit(unit_id=u) for u in own]
                out.append(
                    (username, password, role, tuple(sorted(u.unit_id for u in user.units)))
                )
                continue
        if role == "manager" and not own:
            continue  # no units yet: the manager is created on a later call
        create_user(engine, username, password, role, own, display_name=display,
                    check_strength=False)
        out.append((username, password, role, tuple(sorted(own))))
    return out
