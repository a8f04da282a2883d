"""Users, roles and sign-in (argon2 password hashes, account lock-out after failed sign-ins).

Roles and what each may see:

* ``manager``: own units only (``user_units``), unit-level detail, person-level waiting list
  of own units (every read audited);
* ``leadership``: the whole region, unit-level detail (no person-level data);
* ``analyst``: the whole region, small cells suppressed (no person-level data);
* ``admin``: users and the monitoring-indicator registry; aggregate views as an analyst.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, distinct, select
from sqlalchemy.orm import Session

from sotekeskus.store.models import Episode, Unit, User, UserUnit

ROLES: tuple[str, ...] = ("manager", "leadership", "analyst", "admin")
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")

#: Consecutive failed sign-ins that lock an account, and for how long.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)

_hasher = PasswordHasher()
#: A real hash to verify against when the user does not exist (same timing either way).
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """Invalid user data (unknown role, empty password, duplicate name)."""


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in user as the web layer sees it (no password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    language: str
    units: tuple[str, ...]

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
    reason: str  # "ok", "invalid", "locked", "inactive"


def hash_password(password: str) -> str:
    if not password:
        raise UserError("password must not be empty")
    return _hasher.hash(password)


def _to_account(user: User) -> Account:
    return Account(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        language=user.language or "fi",
        units=tuple(sorted(u.unit_id for u in user.units)),
    )


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    units: Iterable[str] = (),
    *,
    display_name: str = "",
    language: str = "fi",
) -> Account:
    """Create a user; raises :class:`UserError` on an unknown role or a taken name."""
    username = username.strip()
    if not username:
        raise UserError("username must not be empty")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}")
    unit_list = sorted(set(units))
    if role == "manager" and not unit_list:
        raise UserError("a manager needs at least one unit")
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


def set_active(engine: Engine, user_id: int, active: bool) -> None:
    with Session(engine) as session, session.begin():
        user = session.get(User, user_id)
        if user is not None:
            user.active = active


def authenticate(
    engine: Engine, username: str, password: str, now: datetime | None = None
) -> SignInResult:
    """Check a password; counts failures and locks the account after too many in a row."""
    now = now or datetime.now()
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            try:  # spend the same time as for a real user
                _hasher.verify(_DUMMY_HASH, password or "-")
            except VerificationError:
                pass
            return SignInResult(None, "invalid")
        if user.locked_until is not None and user.locked_until > now:
            return SignInResult(None, "locked")
        try:
            _hasher.verify(user.password_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCK_DURATION
                user.failed_logins = 0
                return SignInResult(None, "locked")
            return SignInResult(None, "invalid")
        if not user.active:
            return SignInResult(None, "inactive")
        user.failed_logins = 0
        user.locked_until = None
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
        create_user(engine, username, password, role, own, display_name=display)
        out.append((username, password, role, tuple(sorted(own))))
    return out
