"""``sotekeskus users``: staff accounts from the command line (the first administrator).

``create NAME --role ROLE [--unit U …]``, ``list``, ``deactivate NAME``, ``activate NAME``
and ``reset-password NAME``. A password is never an option (it would stay in the shell
history and the process list): it is read from standard input, without echo when that is a
terminal (asked twice), else as the first line (``printf '%s\\n' "$PW" | sotekeskus users
create …``). It must have at least 12 characters. Every change is written to the audit log
(action ``user_change``, actor ``cli:<operating-system user>``); deactivation and a password
reset end the user's sessions at once. Exit codes: 1 invalid input (short password, unknown
user or unit), 2 usage error (an unknown role or format; the message lists the allowed ones).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from sotekeskus.cli.common import DbOption, FormatOption, check_format, fail, out, split

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Staff accounts: create (the first administrator), list, deactivate, "
                       "reset a password.", no_args_is_help=True)

RoleOption = Annotated[str, typer.Option(
    "--role", help="Role: manager, leadership, analyst or admin")]
UnitsOption = Annotated[list[str] | None, typer.Option(
    "--unit", help="Unit of a manager (repeat or comma-separate); must be a unit of the store")]


def _operator() -> str:
    """``cli:<operating-system user>`` for the audit log."""
    try:
        import os
        import pwd

        return "cli:" + pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):  # pragma: no cover - not POSIX
        return "cli"


def _engine(db: str | None, *, write: bool) -> Engine:
    """The store; a write migrates it (a new installation), a read needs it to exist."""
    from sotekeskus.store.database import make_engine, resolve_url, sqlite_path
    from sotekeskus.store.migrate import upgrade

    try:
        url = resolve_url(db)
    except ValueError as exc:
        raise fail(str(exc)) from None
    path = sqlite_path(url)
    if not write and path is not None and not path.exists():
        raise fail(f"no store at {path}")
    engine = make_engine(url)
    if write:
        upgrade(engine)
    return engine


def read_password(confirm: bool = True) -> str:
    """A new password from standard input: no echo on a terminal, else its first line."""
    from sotekeskus.store.users import UserError, check_password

    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Password again: ") != password:
            raise fail("the two passwords differ; nothing was changed")
    else:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.rstrip("\r\n")
    try:
        check_password(password)
    except UserError as exc:
        raise fail(f"{exc}; give it on standard input, e.g. "
                   "printf '%s\\n' \"$PASSWORD\" | sotekeskus users …") from None
    return password


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="User name (sign-in name)")],
    role: RoleOption,
    unit: UnitsOption = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the app")] = "",
    language: Annotated[str, typer.Option(help="Language: fi, sv or en")] = "fi",
    db: DbOption = None,
) -> None:
    """Create a user; the password is read from standard input."""
    from sotekeskus.store import audit
    from sotekeskus.store.users import (
        LANGUAGES,
        ROLES,
        UserError,
        check_role,
        check_units,
        check_username,
        create_user,
    )

    if role not in ROLES:
        raise fail(f"--role {role!r}: use one of {', '.join(ROLES)}", 2)
    if language not in LANGUAGES:
        raise fail(f"--language {language!r}: use one of {', '.join(LANGUAGES)}", 2)
    units = split(unit) or ()
    engine = _engine(db, write=True)
    try:
        check_username(name)
        check_role(role)
        check_units(engine, units)  # before asking for the password
        password = read_password()
        account = create_user(engine, name, password, role, units,
                              display_name=display_name, language=language)
        audit.record(engine, _operator(), audit.USER_CHANGE, f"user:{account.username}",
                     f"created role={account.role} units={','.join(account.units)}")
    except UserError as exc:
        raise fail(_as_option(str(exc))) from None
    finally:
        engine.dispose()
    units_text = f" for {', '.join(account.units)}" if account.units else ""
    out.print(f"Created {account.username} ({account.role}{units_text}).", highlight=False)


@app.command("list")
def list_users(fmt: FormatOption = "table", db: DbOption = None) -> None:
    """The users: name, role, units, language, active, open sessions."""
    from sotekeskus.report_output import emit
    from sotekeskus.store.sessions import open_sessions
    from sotekeskus.store.users import list_accounts

    fmt = check_format(fmt)
    engine = _engine(db, write=False)
    try:
        counts: dict[int, int] = {}
        for s in open_sessions(engine):
            counts[s.user_id] = counts.get(s.user_id, 0) + 1
        rows = [{"username": a.username, "display_name": a.display_name, "role": a.role,
                 "units": ",".join(a.units), "language": a.language, "active": a.active,
                 "open_sessions": counts.get(a.id, 0)} for a in list_accounts(engine)]
    except Exception as exc:  # noqa: BLE001 - e.g. a store without the users table
        raise fail(f"cannot read the users of the store ({type(exc).__name__}); "
                   "run sotekeskus migrate --db … first") from None
    finally:
        engine.dispose()
    emit(rows, ["username", "display_name", "role", "units", "language", "active",
                "open_sessions"], fmt, console=out, title="Users")


@app.command("deactivate")
def deactivate(name: Annotated[str, typer.Argument(help="User name")],
               db: DbOption = None) -> None:
    """Deactivate a user and end all their sessions now."""
    from sotekeskus.store import audit
    from sotekeskus.store.users import UserError, deactivate_user

    engine = _engine(db, write=True)
    try:
        ended = deactivate_user(engine, name)
        audit.record(engine, _operator(), audit.USER_CHANGE, f"user:{name.strip()}",
                     f"deactivated; sessions ended={ended}")
    except UserError as exc:
        raise fail(f"{exc}; see sotekeskus users list") from None
    finally:
        engine.dispose()
    out.print(f"Deactivated {name.strip()}; {ended} session(s) ended.", highlight=False)


@app.command("activate")
def activate(name: Annotated[str, typer.Argument(help="User name")],
             db: DbOption = None) -> None:
    """Allow a deactivated user to sign in again."""
    from sotekeskus.store import audit
    from sotekeskus.store.users import UserError, find_account, set_active

    engine = _engine(db, write=True)
    try:
        account = find_account(engine, name)
        if account is None:
            raise UserError(f"username: no user {name.strip()!r}")
        set_active(engine, account.id, True)
        audit.record(engine, _operator(), audit.USER_CHANGE, f"user:{account.username}",
                     "activated")
    except UserError as exc:
        raise fail(f"{exc}; see sotekeskus users list") from None
    finally:
        engine.dispose()
    out.print(f"Activated {account.username}.", highlight=False)


@app.command("reset-password")
def reset(name: Annotated[str, typer.Argument(help="User name")],
          db: DbOption = None) -> None:
    """Set a new password (from standard input) and end the user's sessions."""
    from sotekeskus.store import audit
    from sotekeskus.store.users import UserError, find_account, reset_password

    engine = _engine(db, write=True)
    try:
        if find_account(engine, name) is None:
            raise UserError(f"username: no user {name.strip()!r}")
        ended = reset_password(engine, name, read_password())
        audit.record(engine, _operator(), audit.USER_CHANGE, f"user:{name.strip()}",
                     f"password reset; sessions ended={ended}")
    except UserError as exc:
        raise fail(f"{exc}; see sotekeskus users list") from None
    finally:
        engine.dispose()
    out.print(f"New password set for {name.strip()}; {ended} session(s) ended.",
              highlight=False)


def _as_option(message: str) -> str:
    """``unit: …`` → ``--unit: …`` (the store names fields, the CLI names options)."""
    for field, option in (("unit:", "--unit"), ("role:", "--role"), ("username:", "NAME"),
                          ("language:", "--language"), ("display_name:", "--display-name")):
        if message.startswith(field):
            return option + message[len(field) - 1:]
    return message
