"""One typed settings object for the whole process.

Every setting has one name, one type and one environment variable; nothing else in the
package reads ``os.environ``. The composition roots (the CLI, ``create_app``) build a
:class:`Settings` once with :func:`load_settings` and pass it on; command-line options
override the environment through ``load_settings(db=…)``.

- ``db_url``: ``SOTEKESKUS_DB``, a path or SQLAlchemy URL (default ``sotekeskus.db``);
- ``rules_dirs``: ``SOTEKESKUS_RULES_DIR``, ``:``-separated folders of YAML rule files;
- ``analytics_dir``: ``SOTEKESKUS_ANALYTICS_DIR``, snapshots of non-SQLite stores
  (default ``~/.cache/sotekeskus``);
- ``secret_key``: ``SOTEKESKUS_SECRET_KEY`` (default: one kept in the store's meta table);
- ``trusted_proxies``: ``SOTEKESKUS_TRUSTED_PROXIES``, comma-separated addresses whose
  ``X-Forwarded-*`` headers are believed (default none);
- ``session_idle_minutes``: ``SOTEKESKUS_SESSION_IDLE_MINUTES``, a signed-in session ends
  after this long without a request (default 30);
- ``session_max_hours``: ``SOTEKESKUS_SESSION_MAX_HOURS``, and this long after sign-in
  however active (default 8);
- ``production``: ``SOTEKESKUS_PRODUCTION`` (``1``/``true``): refuses test-only features;
- ``spark_master``: ``SOTEKESKUS_SPARK_MASTER`` (default ``local[*]``);
- ``resident_oidc_issuer`` / ``_client_id`` / ``_client_secret`` / ``_redirect_uri``:
  ``SOTEKESKUS_RESIDENT_OIDC_ISSUER`` etc., the residents' OpenID Connect provider
  (Suomi.fi e-Identification); no issuer: the built-in test provider (refused in production);
  ``resident_oidc_client_key`` (``SOTEKESKUS_RESIDENT_OIDC_CLIENT_KEY``): a PEM or JWK file
  of the client's RSA private key (``private_key_jwt``, encrypted userinfo);
- ``resident_session_idle_minutes`` / ``resident_session_max_hours``: the residents' session
  lifetimes (defaults 20 min, 4 h); ``resident_change_hours``: a resident may cancel or
  rebook until this many hours before the start (default 24);
- ``resident_posts_per_minute``: ``SOTEKESKUS_RESIDENT_POSTS_PER_MINUTE``, how many posts
  (chat messages, replies, new contacts) one resident may make per minute (default 10,
  counted per process: ``web/resident/post_limit.py``);
- ``api_token_minutes``: ``SOTEKESKUS_API_TOKEN_MINUTES``, how long a FHIR API access token
  from the client-credentials token endpoint lives (default 15).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DB = "sotekeskus.db"
_TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def resolve_db_url(value: str) -> str:
    """A SQLAlchemy URL from a path or URL (``postgresql://`` is driven by psycopg 3)."""
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    from sqlalchemy.engine import make_url  # imported only for a URL (a report's start-up)

    url = make_url(value)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Settings:
    """Process settings; build with :func:`load_settings`."""

    db_url: str
    rules_dirs: tuple[Path, ...] = ()
    analytics_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "sotekeskus")
    secret_key: str | None = None
    trusted_proxies: frozenset[str] = frozenset()
    session_idle_minutes: float = 30.0
    session_max_hours: float = 8.0
    production: bool = False
    spark_master: str = "local[*]"
    resident_oidc_issuer: str | None = None
    resident_oidc_client_id: str = "sotekeskus-front-door"
    resident_oidc_client_secret: str | None = None
    resident_oidc_redirect_uri: str | None = None
    resident_oidc_client_key: str | None = None
    resident_session_idle_minutes: float = 20.0
    resident_session_max_hours: float = 4.0
    resident_change_hours: float = 24.0
    resident_posts_per_minute: float = 10.0
    api_token_minutes: float = 15.0

    def with_db(self, db: str | None) -> Settings:
        """The same settings with another store (``--db``), if one is given."""
        return self if not db else replace(self, db_url=resolve_db_url(db))


def _positive(source: Mapping[str, str], name: str, default: float) -> float:
    text = source.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1e6:
        raise SettingsError(f"{name}={text!r}: use a positive number")
    return value


def load_settings(db: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (``env``, default ``os.environ``), ``db`` overriding."""
    source = os.environ if env is None else env
    rules = tuple(Path(p) for p in source.get("SOTEKESKUS_RULES_DIR", "").split(os.pathsep)
                  if p.strip())
    analytics = source.get("SOTEKESKUS_ANALYTICS_DIR")
    proxies = frozenset(p.strip() for p in source.get("SOTEKESKUS_TRUSTED_PROXIES", "").split(",")
                        if p.strip())
    production = source.get("SOTEKESKUS_PRODUCTION", "").strip().lower()
    if production and production not in _TRUE | {"0", "false", "no", "off"}:
        raise SettingsError(f"SOTEKESKUS_PRODUCTION={production!r}: use 1/true or 0/false")
    idle = _positive(source, "SOTEKESKUS_SESSION_IDLE_MINUTES", 30.0)
    max_hours = _positive(source, "SOTEKESKUS_SESSION_MAX_HOURS", 8.0)
    return Settings(
        db_url=resolve_db_url(db or source.get("SOTEKESKUS_DB") or DEFAULT_DB),
        rules_dirs=rules,
        analytics_dir=Path(analytics) if analytics else Path.home() / ".cache" / "sotekeskus",
        secret_key=source.get("SOTEKESKUS_SECRET_KEY") or None,
        trusted_proxies=proxies,
        session_idle_minutes=idle,
        session_max_hours=max_hours,
        production=production in _TRUE,
        spark_master=source.get("SOTEKESKUS_SPARK_MASTER") or "local[*]",
        resident_oidc_issuer=source.get("SOTEKESKUS_RESIDENT_OIDC_ISSUER") or None,
        resident_oidc_client_id=(source.get("SOTEKESKUS_RESIDENT_OIDC_CLIENT_ID")
                                 or "sotekeskus-front-door"),
        resident_oidc_client_secret=source.get("SOTEKESKUS_RESIDENT_OIDC_CLIENT_SECRET") or None,
        resident_oidc_redirect_uri=source.get("SOTEKESKUS_RESIDENT_OIDC_REDIRECT_URI") or None,
        resident_oidc_client_key=source.get("SOTEKESKUS_RESIDENT_OIDC_CLIENT_KEY") or None,
        resident_session_idle_minutes=_positive(
            source, "SOTEKESKUS_RESIDENT_SESSION_IDLE_MINUTES", 20.0),
        resident_session_max_hours=_positive(source, "SOTEKESKUS_RESIDENT_SESSION_MAX_HOURS", 4.0),
        resident_change_hours=_positive(source, "SOTEKESKUS_RESIDENT_CHANGE_HOURS", 24.0),
        resident_posts_per_minute=_positive(source, "SOTEKESKUS_RESIDENT_POSTS_PER_MINUTE",
                                            10.0),
        api_token_minutes=_positive(source, "SOTEKESKUS_API_TOKEN_MINUTES", 15.0),
    )
