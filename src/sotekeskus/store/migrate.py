"""Bring a store to the newest schema with Alembic, and tell cheaply whether it is there.

Migrations run once, by a composition root (``sotekeskus migrate``, the import commands,
``serve`` / ``create_app``); a read path only checks (:func:`require_current`) and tells the
user to run ``sotekeskus migrate`` when the store is behind.
"""

from __future__ import annotations

import ast
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Alembic and SQLAlchemy are imported by upgrade(), not by the checks
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration inside one transaction."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def _assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)  # type: ignore[union-attr,arg-type]
    return None


@lru_cache(maxsize=1)
def heads() -> frozenset[str]:
    """The head revisions of the migration history, read from the revision files without
    importing Alembic (revisions that no other revision names as its ``down_revision``)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        revision = _assigned(tree, "revision")
        if not isinstance(revision, str):
            continue
        revisions.add(revision)
        down = _assigned(tree, "down_revision")
        parents.update([down] if isinstance(down, str) else down or ())  # type: ignore[arg-type]
    return frozenset(revisions - parents)


def sqlite_revisions(path: Path) -> frozenset[str] | None:
    """The revisions recorded in a SQLite store's ``alembic_version`` table, read-only with
    the standard library; None when the file has no such table (never migrated)."""
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()
    return frozenset(str(r[0]) for r in rows)


def revisions(engine: Engine) -> frozenset[str] | None:
    """The revisions recorded in any store's ``alembic_version`` table (None: none)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return frozenset(str(r[0]) for r in conn.execute(
            text("SELECT version_num FROM alembic_version")))


def require_current(engine: Engine) -> None:
    """Raise :class:`~sotekeskus.store.database.StoreError` unless the store is at the
    schema of this code (all heads applied), telling the user to run ``sotekeskus migrate``."""
    from sotekeskus.store.database import StoreError, sqlite_path

    have = revisions(engine)
    need = heads()
    if have == need:
        return
    url = engine.url.render_as_string(hide_password=True)
    where = sqlite_path(url) or url
    state = (f"is at schema revision {', '.join(sorted(have))}" if have
             else "has no schema version (never migrated)")
    raise StoreError(f"the store {where} {state}; this sotekeskus needs "
                     f"{', '.join(sorted(need))}: run `sotekeskus migrate --db {where}`")
