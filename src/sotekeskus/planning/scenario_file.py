"""A simulation scenario written down as a YAML file (``sotekeskus plan simulate --scenario``).

::

    queue: oral/dental_hygienist        # service_area/professional_group[/unit_id]
    target_wait_days: 90                # regional target (days)
    weeks: 52                           # how far to simulate
    replications: 50                    # simulated futures (the band needs several)
    seed: 1
    on: 2025-12-31                      # the list to start from (default: last date in data)
    arrivals_factor: 1.0                # scale the estimated demand (1.1 = 10 % more)
    own_capacity_per_week: null         # override the estimated own capacity
    own_cost_per_patient: 0             # € per patient served by own staff
    extra_capacity:                     # added capacity, each from … to (both included)
      - name: purchased
        per_week: 40
        from: 2026-02-01
        to: 2026-06-30
        cost_per_patient: 85

Unknown keys are errors naming the key and the allowed ones, never silently ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sotekeskus.planning.queues import QueueError, QueueId
from sotekeskus.planning.scenario import ExtraCapacity
from sotekeskus.planning.simulation import SimulationError

TOP_KEYS = ("queue", "target_wait_days", "weeks", "replications", "seed", "on",
            "arrivals_factor", "own_capacity_per_week", "own_cost_per_patient",
            "extra_capacity")
EXTRA_KEYS = ("name", "per_week", "from", "to", "cost_per_patient")


class ScenarioFileError(ValueError):
    """The scenario file is invalid (the message names the file, the key and the value)."""


@dataclass(frozen=True)
class ScenarioSpec:
    queue: QueueId
    target_wait_days: float | None = None
    weeks: int = 52
    replications: int = 50
    seed: int = 1
    on: date | None = None
    arrivals_factor: float = 1.0
    own_capacity_per_week: float | None = None
    own_cost_per_patient: float = 0.0
    extra_capacity: tuple[ExtraCapacity, ...] = field(default_factory=tuple)


def _number(where: str, value: Any, *, integer: bool = False, minimum: float = 0.0,
            strict: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer and not float(value).is_integer():
        ok = False
    if not ok or not math.isfinite(float(value)) or (
            float(value) <= minimum if strict else float(value) < minimum):
        kind = "a whole number" if integer else "a number"
        bound = f"above {minimum:g}" if strict else f"{minimum:g} or more"
        raise ScenarioFileError(f"{where}: {value!r} is not {kind} {bound}")
    return float(value)


def _date(where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioFileError(f"{where}: {value!r} is not a date YYYY-MM-DD") from None


def parse_scenario(data: Any, source: str = "scenario") -> ScenarioSpec:
    """A :class:`ScenarioSpec` from parsed YAML (a mapping)."""
    if not isinstance(data, dict):
        raise ScenarioFileError(f"{source}: expected a mapping of keys "
                                f"({', '.join(TOP_KEYS)})")
    if True in data and "on" not in data:  # YAML 1.1 reads a bare key "on" as true
        data = {("on" if k is True else k): v for k, v in data.items()}
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise ScenarioFileError(f"{source}: unknown key {unknown[0]!r}; allowed: "
                                f"{', '.join(TOP_KEYS)}")
    if "queue" not in data:
        raise ScenarioFileError(f"{source}: the key queue is required "
                                "(service_area/professional_group[/unit_id])")
    try:
        queue = QueueId.parse(str(data["queue"]))
    except QueueError as exc:
        raise ScenarioFileError(f"{source}: queue: {exc}") from None
    extras = []
    items = data.get("extra_capacity") or []
    if not isinstance(items, list):
        raise ScenarioFileError(f"{source}: extra_capacity: expected a list of entries")
    for i, item in enumerate(items, start=1):
        where = f"{source}: extra_capacity[{i}]"
        if not isinstance(item, dict):
            raise ScenarioFileError(f"{where}: expected keys {', '.join(EXTRA_KEYS)}")
        bad = [k for k in item if k not in EXTRA_KEYS]
        if bad:
            raise ScenarioFileError(f"{where}: unknown key {bad[0]!r}; allowed: "
                                    f"{', '.join(EXTRA_KEYS)}")
        for key in ("per_week", "from", "to"):
            if key not in item:
                raise ScenarioFileError(f"{where}: the key {key} is required")
        try:
            extras.append(ExtraCapacity(
                name=str(item.get("name") or f"extra{i}"),
                per_week=_number(f"{where}.per_week", item["per_week"]),
                start=_date(f"{where}.from", item["from"]),
                end=_date(f"{where}.to", item["to"]),
                cost_per_patient=_number(f"{where}.cost_per_patient",
                                         item.get("cost_per_patient", 0))))
        except SimulationError as exc:
            raise ScenarioFileError(f"{where}: {exc}") from None
    names = [e.name for e in extras]
    if "own" in names or len(set(names)) != len(names):
        raise ScenarioFileError(f"{source}: extra_capacity names must be unique and not 'own'")
    target = data.get("target_wait_days")
    own_capacity = data.get("own_capacity_per_week")
    return ScenarioSpec(
        queue=queue,
        target_wait_days=None if target is None else _number(
            f"{source}: target_wait_days", target, strict=True),
        weeks=int(_number(f"{source}: weeks", data.get("weeks", 52), integer=True, minimum=1)),
        replications=int(_number(f"{source}: replications", data.get("replications", 50),
                                 integer=True, minimum=2)),
        seed=int(_number(f"{source}: seed", data.get("seed", 1), integer=True)),
        on=None if data.get("on") is None else _date(f"{source}: on", data["on"]),
        arrivals_factor=_number(f"{source}: arrivals_factor", data.get("arrivals_factor", 1.0)),
        own_capacity_per_week=None if own_capacity is None else _number(
            f"{source}: own_capacity_per_week", own_capacity),
        own_cost_per_patient=_number(f"{source}: own_cost_per_patient",
                                     data.get("own_cost_per_patient", 0)),
        extra_capacity=tuple(extras))


def load_scenario(path: str | Path) -> ScenarioSpec:
    file = Path(path)
    if not file.exists():
        raise ScenarioFileError(f"{file}: no such file")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(f"{file}: not valid YAML ({exc})") from None
    return parse_scenario(data, str(file))
