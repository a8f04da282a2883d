"""The service catalogue and the routing rules: data files (YAML) and their loader.

``care/data/services.yaml`` and ``care/data/routing.yaml`` are the demo region's **example**
content; a region passes directories holding its own ``services*.yaml`` / ``routing*.yaml``
(same shape) to :func:`load_catalogue`, and those replace the built-in ones. Each file
carries a ``version``; a routing rule is shown to the professional as ``id@version``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sotekeskus.domain.workflow.routing import (
    CaseFacts,
    CatalogueError,
    Routed,
    RoutingRule,
    Service,
    index_services,
    route,
    rule_from_mapping,
    service_from_mapping,
)

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Catalogue:
    services: dict[str, Service]
    rules: tuple[RoutingRule, ...]
    services_version: str
    rules_version: str

    def route(self, facts: CaseFacts) -> Routed | None:
        return route(facts, self.rules, self.services)

    def service(self, service_id: str) -> Service:
        try:
            return self.services[service_id]
        except KeyError:
            raise CatalogueError(f"service: unknown service {service_id!r}; allowed: "
                                 + ", ".join(sorted(self.services))) from None

    def rule(self, rule_id: str) -> RoutingRule | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)

    def bookable(self) -> list[Service]:
        return [s for s in self.services.values() if s.bookable]


def _read(path: Path, key: str) -> tuple[str, list[Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise CatalogueError(f"{path}: expected a mapping with a {key!r} list")
    version = str(data.get("version") or "").strip()
    if not version:
        raise CatalogueError(f"{path}: every catalogue file names its version")
    return version, data[key]


def _latest(dirs: list[Path], pattern: str) -> Path:
    for directory in reversed(dirs):
        found = sorted(Path(directory).glob(pattern))
        if found:
            return found[-1]
    raise CatalogueError(f"no {pattern} in {', '.join(map(str, dirs))}")


def load_catalogue(extra_dirs: Iterable[Path] = ()) -> Catalogue:
    """The catalogue of the last directory that has one (the built-in one otherwise)."""
    dirs = [DATA_DIR, *extra_dirs]
    services_path = _latest(dirs, "services*.yaml")
    rules_path = _latest(dirs, "routing*.yaml")
    s_version, rows = _read(services_path, "services")
    try:
        services = index_services(service_from_mapping(r) for r in rows)
    except CatalogueError as exc:
        raise CatalogueError(f"{services_path}: {exc}") from exc
    r_version, rule_rows = _read(rules_path, "rules")
    try:
        rules = tuple(rule_from_mapping(r, r_version, services) for r in rule_rows)
    except CatalogueError as exc:
        raise CatalogueError(f"{rules_path}: {exc}") from exc
    ids = [r.rule_id for r in rules]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise CatalogueError(f"{rules_path}: routing rule id {duplicate!r} appears twice")
    return Catalogue(services, rules, s_version, r_version)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue()


# ---- versions an administrator uploads (catalogue_versions, migration 0013) --------------
SERVICES, ROUTING = "services", "routing"
KINDS = (SERVICES, ROUTING)
_KEYS = {SERVICES: "services", ROUTING: "rules"}
#: Longest YAML text an upload may have.
MAX_TEXT = 200_000


@dataclass(frozen=True)
class VersionInfo:
    """One version of the services or the routing rules: ``source`` is ``built-in`` (the
    files) or the administrator who uploaded it; ``in_force`` marks the newest."""

    kind: str
    version: str
    created_at: Any
    source: str
    in_force: bool


def _parse_text(text: str, key: str, where: str) -> tuple[str, list[Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise CatalogueError(f"{where}: {line}not valid YAML: "
                             f"{getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise CatalogueError(f"{where}: expected a mapping with a 'version' and a {key!r} list")
    version = str(data.get("version") or "").strip()
    if not version:
        raise CatalogueError(f"{where}: every catalogue file names its version")
    if len(version) > 64:
        raise CatalogueError(f"{where}: version: at most 64 characters")
    return version, data[key]


def catalogue_from_texts(services_text: str, routing_text: str) -> Catalogue:
    """The catalogue of two YAML texts (the shapes of ``services.yaml`` and
    ``routing.yaml``), checked as :func:`load_catalogue` checks the files: every error names
    the rule or service, the field, the value and the allowed codes or ids."""
    s_version, rows = _parse_text(services_text, "services", "services")
    try:
        services = index_services(service_from_mapping(r) for r in rows)
    except CatalogueError as exc:
        raise CatalogueError(f"services {s_version}: {exc}") from None
    r_version, rule_rows = _parse_text(routing_text, "rules", "routing")
    try:
        rules = tuple(rule_from_mapping(r, r_version, services) for r in rule_rows)
    except CatalogueError as exc:
        raise CatalogueError(f"routing {r_version}: {exc}") from None
    ids = [r.rule_id for r in rules]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise CatalogueError(f"routing {r_version}: routing rule id {duplicate!r} appears "
                             "twice")
    return Catalogue(services, rules, s_version, r_version)


def builtin_text(kind: str) -> str:
    """The YAML text of the built-in services or routing file."""
    _check_kind(kind)
    return _latest([DATA_DIR], f"{kind}*.yaml").read_text(encoding="utf-8")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise CatalogueError(f"kind: unknown kind {kind!r}; allowed: {', '.join(KINDS)}")


def _newest(source: Any) -> dict[str, tuple[int, str]]:
    """kind → (id, text) of the newest uploaded version of each kind. ``source``: an engine,
    or the session of the caller's unit of work (read on its own connection: a second
    connection while the unit holds the SQLite write lock would wait for the pool)."""
    from sqlalchemy import Engine, func, select

    from sotekeskus.store.models import CatalogueVersion as V

    def read(conn: Any) -> dict[str, tuple[int, str]]:
        ids = dict(conn.execute(select(V.kind, func.max(V.id)).group_by(V.kind)).all())
        if not ids:
            return {}
        texts = dict(conn.execute(select(V.id, V.content).where(V.id.in_(ids.values()))).all())
        return {kind: (i, texts[i]) for kind, i in ids.items()}

    if isinstance(source, Engine):
        with source.connect() as conn:
            return read(conn)
    return read(source)


_cache: dict[tuple[str, int, int], Catalogue] = {}


def current_catalogue(engine: Any) -> Catalogue:
    """The catalogue in force: the newest uploaded services and routing rules
    (``catalogue_versions``), each falling back to the built-in file; cached per version
    pair (one small query a call). ``engine``: an engine or a unit of work's session (use
    the session inside a unit of work); None: the built-in catalogue."""
    newest = _newest(engine) if engine is not None else {}
    if not newest:
        return default_catalogue()
    bind = engine if hasattr(engine, "url") else engine.get_bind()
    key = (str(bind.url), newest.get(SERVICES, (0, ""))[0],
           newest.get(ROUTING, (0, ""))[0])
    found = _cache.get(key)
    if found is None:
        found = catalogue_from_texts(
            newest[SERVICES][1] if SERVICES in newest else builtin_text(SERVICES),
            newest[ROUTING][1] if ROUTING in newest else builtin_text(ROUTING))
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = found
    return found


def current_text(engine: Any, kind: str) -> str:
    """The YAML text in force of ``kind`` (for editing it as a new version)."""
    _check_kind(kind)
    newest = _newest(engine)
    return newest[kind][1] if kind in newest else builtin_text(kind)


def list_versions(engine: Any, kind: str) -> list[VersionInfo]:
    """Every version of ``kind``, newest first, the built-in one last."""
    from sqlalchemy import select

    from sotekeskus.store.models import CatalogueVersion as V

    _check_kind(kind)
    with engine.connect() as conn:
        rows = conn.execute(select(V.version, V.created_at, V.created_by)
                            .where(V.kind == kind).order_by(V.id.desc())).all()
    builtin = (default_catalogue().services_version if kind == SERVICES
               else default_catalogue().rules_version)
    out = [VersionInfo(kind, v, at, by, i == 0) for i, (v, at, by) in enumerate(rows)]
    out.append(VersionInfo(kind, builtin, None, "built-in", not rows))
    return out


def version_text(engine: Any, kind: str, version: str) -> str:
    """The YAML text of one kept version (the built-in one when no upload has it)."""
    from sqlalchemy import select

    from sotekeskus.store.models import CatalogueVersion as V

    _check_kind(kind)
    with engine.connect() as conn:
        text = conn.execute(select(V.content).where(V.kind == kind, V.version == version)
                            ).scalar()
    if text is not None:
        return str(text)
    known = [v.version for v in list_versions(engine, kind)]
    if version == known[-1]:
        return builtin_text(kind)
    raise CatalogueError(f"version: no {kind} version {version!r}; kept: {', '.join(known)}")


def save_version(engine: Any, kind: str, text: str, by: str) -> Catalogue:
    """Check ``text`` as a new version of ``kind`` against the other part in force (new
    rules against the services in force; new services against the rules in force, so no
    rule is left pointing at a removed service) and keep it as the version in force.
    The previous versions are kept. A version name already kept is refused."""
    from datetime import datetime

    from sqlalchemy.orm import Session

    from sotekeskus.store.models import CatalogueVersion as V

    _check_kind(kind)
    if len(text) > MAX_TEXT:
        raise CatalogueError(f"{kind}: at most {MAX_TEXT} characters")
    version, _ = _parse_text(text, _KEYS[kind], kind)
    kept = [v.version for v in list_versions(engine, kind)]
    if version in kept:
        raise CatalogueError(f"{kind}: version: {version!r} is already kept (kept: "
                             f"{', '.join(kept)}); give the new version a new name")
    if kind == SERVICES:
        catalogue = catalogue_from_texts(text, current_text(engine, ROUTING))
    else:
        catalogue = catalogue_from_texts(current_text(engine, SERVICES), text)
    with Session(engine) as session, session.begin():
        session.add(V(kind=kind, version=version, content=text, created_at=datetime.now(),
                      created_by=by[:100]))
    return catalogue
