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
