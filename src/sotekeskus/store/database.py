"""Where the store lives and how to open it.

The database is named by ``--db`` (a path to a SQLite file, or a SQLAlchemy URL), else by
``SOTEKESKUS_DB`` (a URL), else ``sotekeskus.db`` in the working directory.
``postgresql://`` URLs use psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sotekeskus.config import load_settings

if TYPE_CHECKING:  # SQLAlchemy is imported when an engine is made, not by a path lookup
    from sqlalchemy import Engine


class StoreError(RuntimeError):
    """The store cannot be opened or is not at the expected schema version."""


def resolve_url(db: str | None = None) -> str:
    """A SQLAlchemy URL from ``--db`` (path or URL), ``SOTEKESKUS_DB`` or the default file."""
    return load_settings(db).db_url


def is_sqlite(url: str) -> bool:
    if url.startswith("sqlite:"):
        return True
    from sqlalchemy.engine import make_url

    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    rest = url.removeprefix("sqlite:///")
    if rest != url and rest and not any(c in rest for c in "%?") and rest != ":memory:":
        return Path(rest)  # what make_url gives for the URLs resolve_url builds, without it
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(url, future=True)
    if is_sqlite(url):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")  # writers queue (workdesk under load)
            cur.close()

    return engine
