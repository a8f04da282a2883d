"""``sotekeskus users``: the first administrator on a new installation, and after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotekeskus.cli import app
from sotekeskus.store import audit
from sotekeskus.store import sessions as store_sessions
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.models import Unit
from sotekeskus.store.users import authenticate, find_account

PW = "first-admin-password"


def engine_of(db: Path):  # type: ignore[no-untyped-def]
    return make_engine(resolve_url(str(db)))


def users(runner: CliRunner, db: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["users", *args, "--db", str(db)], input=stdin)


def test_first_administrator_on_a_new_store(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    r = users(runner, db, "create", "boss", "--role", "admin", "--display-name", "Pää Käyttäjä",
              stdin=PW + "\n")
    assert r.exit_code == 0, r.output
    assert "Created boss (admin)" in r.output
    assert PW not in r.output
    engine = engine_of(db)
    assert authenticate(engine, "boss", PW).reason == "ok"
    rows = audit.events(engine, action=audit.USER_CHANGE)
    assert len(rows) == 1 and rows[0].target == "user:boss"
    assert rows[0].actor.startswith("cli") and "role=admin" in rows[0].detail
    assert all(PW not in (e.detail + e.target) for e in audit.events(engine))


@pytest.mark.parametrize("stdin,message", [("", "must not be empty"),
                                           ("\n", "must not be empty"),
                                           ("short-pw\n", "at least 12 characters"),
                                           (" padded-password \n", "no spaces at either end")])
def test_an_empty_or_short_password_is_refused(runner: CliRunner, tmp_path: Path,
                                               stdin: str, message: str) -> None:
    db = tmp_path / "s.db"
    r = users(runner, db, "create", "boss", "--role", "admin", stdin=stdin)
    assert r.exit_code == 1 and message in r.output, r.output
    assert find_account(engine_of(db), "boss") is None


def test_unknown_role_and_units_are_refused_listing_the_allowed(runner: CliRunner,
                                                                tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    r = users(runner, db, "create", "x", "--role", "superuser", stdin=PW + "\n")
    assert r.exit_code == 2
    assert "manager, leadership, analyst, admin" in r.output
    r = users(runner, db, "create", "m", "--role", "manager", "--unit", "U1", stdin=PW + "\n")
    assert r.exit_code == 1 and "--unit: unknown unit 'U1'" in r.output
    assert "import the units file first" in r.output
    engine = engine_of(db)
    with Session(engine) as s, s.begin():
        s.add_all([Unit(unit_id="U1", name="Yksi"), Unit(unit_id="U2", name="Kaksi")])
    r = users(runner, db, "create", "m", "--role", "manager", "--unit", "U1,U9",
              stdin=PW + "\n")
    assert r.exit_code == 1 and "'U9'" in r.output and "allowed: U1, U2" in r.output
    r = users(runner, db, "create", "m", "--role", "manager", stdin=PW + "\n")
    assert r.exit_code == 1 and "a manager needs at least one unit" in r.output
    r = users(runner, db, "create", "m", "--role", "manager", "--unit", "U1", "--unit", "U2",
              stdin=PW + "\n")
    assert r.exit_code == 0, r.output
    assert find_account(engine, "m").units == ("U1", "U2")  # type: ignore[union-attr]
    r = users(runner, db, "create", "m", "--role", "analyst", stdin=PW + "\n")
    assert r.exit_code == 1 and "already exists" in r.output
    r = users(runner, db, "create", "z", "--role", "analyst", "--language", "de",
              stdin=PW + "\n")
    assert r.exit_code == 2 and "fi, sv, en" in r.output


def test_list_deactivate_activate_and_reset(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert users(runner, db, "list").exit_code == 1  # no store yet
    for name, role in (("boss", "admin"), ("ana", "analyst")):
        assert users(runner, db, "create", name, "--role", role, stdin=PW + "\n").exit_code == 0
    engine = engine_of(db)
    ana = find_account(engine, "ana")
    assert ana is not None
    token = store_sessions.start_session(engine, ana.id, "127.0.0.1")
    r = users(runner, db, "list", "--format", "json")
    assert r.exit_code == 0, r.output
    listed = {row["username"]: row for row in json.loads(r.output)["rows"]}
    assert listed["ana"]["active"] is True and listed["ana"]["open_sessions"] == 1
    assert listed["boss"]["role"] == "admin"

    r = users(runner, db, "deactivate", "ana")
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    assert store_sessions.resolve(engine, token, store_sessions.Lifetimes()) is None
    assert authenticate(engine, "ana", PW).reason == "inactive"
    assert users(runner, db, "deactivate", "nobody").exit_code == 1
    r = users(runner, db, "list", "--format", "csv")
    assert "ana,ana,analyst,,fi,False,0" in r.output

    assert users(runner, db, "activate", "ana").exit_code == 0
    token = store_sessions.start_session(engine, ana.id)
    new = "another-password-2"
    r = users(runner, db, "reset-password", "ana", stdin=new + "\n")
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    assert store_sessions.resolve(engine, token, store_sessions.Lifetimes()) is None
    assert authenticate(engine, "ana", PW).reason == "invalid"
    assert authenticate(engine, "ana", new).reason == "ok"
    assert users(runner, db, "reset-password", "ana", stdin="short\n").exit_code == 1
    assert users(runner, db, "reset-password", "nobody", stdin=new + "\n").exit_code == 1
    details = [e.detail for e in audit.events(engine, action=audit.USER_CHANGE)]
    assert details[:3] == ["password reset; sessions ended=1", "activated",
                           "deactivated; sessions ended=1"]


def test_interactive_password_is_asked_twice_without_echo(monkeypatch) -> None:
    import getpass
    import sys

    from sotekeskus.cli import users as users_cli

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    answers = iter(["interactive-password", "interactive-password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert users_cli.read_password() == "interactive-password"
    answers = iter(["interactive-password", "a-different-password"])
    with pytest.raises(typer.Exit):
        users_cli.read_password()
