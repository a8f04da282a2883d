"""Municipalities and units of the synthetic region, and which unit serves whom.

All names are invented but Finnish-sounding; none is meant to be a real municipality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sotekeskus.synth.calibration import AREAS

#: (name, genitive, share of the region's residents)
MUNICIPALITIES: tuple[tuple[str, str, float], ...] = (
    ("Koskimaa", "Koskimaan", 0.42),
    ("Järvelä", "Järvelän", 0.14),
    ("Haapaniemi", "Haapaniemen", 0.11),
    ("Lehtola", "Lehtolan", 0.09),
    ("Pajulahti", "Pajulahden", 0.07),
    ("Rautavesi", "Rautaveden", 0.06),
    ("Salmela", "Salmelan", 0.05),
    ("Kuusikangas", "Kuusikankaan", 0.04),
    ("Vaaranpää", "Vaaranpään", 0.02),
)


@dataclass(frozen=True)
class UnitSpec:
    name: str
    municipality: str
    service_areas: tuple[str, ...]
    #: area -> {municipality: weight}: residents of that municipality use this unit for that
    #: area with this relative weight.
    serves: dict[str, dict[str, float]]


def _station(name: str, municipality: str, serves: dict[str, float]) -> UnitSpec:
    return UnitSpec(name, municipality, ("medical",), {"medical": serves})


def _unit_specs() -> tuple[UnitSpec, ...]:
    all_munis = [m for m, _, _ in MUNICIPALITIES]
    return (
        UnitSpec("Koskimaan keskusterveysasema", "Koskimaa", ("medical", "mental"),
                 {"medical": {"Koskimaa": 0.55}, "mental": {"Koskimaa": 0.3}}),
        _station("Koskenrannan terveysasema", "Koskimaa", {"Koskimaa": 0.45}),
        _station("Järvelän terveysasema", "Järvelä", {"Järvelä": 1.0}),
        _station("Haapaniemen terveysasema", "Haapaniemi", {"Haapaniemi": 1.0}),
        _station("Lehtolan terveysasema", "Lehtola", {"Lehtola": 1.0}),
        _station("Pajulahden terveysasema", "Pajulahti", {"Pajulahti": 1.0}),
        _station("Rautaveden terveysasema", "Rautavesi", {"Rautavesi": 1.0}),
        _station("Salmelan terveysasema", "Salmela", {"Salmela": 1.0}),
        _station("Kuusikankaan terveysasema", "Kuusikangas",
                 {"Kuusikangas": 1.0, "Vaaranpää": 1.0}),
        UnitSpec("Koskimaan keskushammashoitola", "Koskimaa", ("oral",),
                 {"oral": {"Koskimaa": 0.6, "Salmela": 1.0}}),
        UnitSpec("Koskenrannan hammashoitola", "Koskimaa", ("oral",),
                 {"oral": {"Koskimaa": 0.4, "Lehtola": 1.0}}),
        UnitSpec("Järvelän hammashoitola", "Järvelä", ("oral",),
                 {"oral": {"Järvelä": 1.0, "Kuusikangas": 1.0}}),
        UnitSpec("Haapaniemen hammashoitola", "Haapaniemi", ("oral",),
                 {"oral": {"Haapaniemi": 1.0, "Vaaranpää": 1.0}}),
        UnitSpec("Pajulahden hammashoitola", "Pajulahti", ("oral",),
                 {"oral": {"Pajulahti": 1.0, "Rautavesi": 1.0}}),
        UnitSpec("Koskimaan mielenterveys- ja päihdepalvelut", "Koskimaa",
                 ("mental", "substance"),
                 {"mental": {"Koskimaa": 0.7, "Lehtola": 1.0, "Salmela": 1.0},
                  "substance": {"Koskimaa": 1.0, "Lehtola": 1.0, "Salmela": 1.0}}),
        UnitSpec("Järvelän mielenterveys- ja päihdepalvelut", "Järvelä",
                 ("mental", "substance"),
                 {area: {m: 1.0 for m in all_munis if m not in ("Koskimaa", "Lehtola", "Salmela")}
                  for area in ("mental", "substance")}),
        UnitSpec("Koskimaan sosiaalipalvelut", "Koskimaa", ("social",),
                 {"social": {"Koskimaa": 1.0, "Lehtola": 1.0, "Salmela": 1.0}}),
        UnitSpec("Järvelän sosiaalipalvelut", "Järvelä", ("social",),
                 {"social": {"Järvelä": 1.0, "Kuusikangas": 1.0, "Rautavesi": 1.0}}),
        UnitSpec("Haapaniemen sosiaalipalvelut", "Haapaniemi", ("social",),
                 {"social": {"Haapaniemi": 1.0, "Pajulahti": 1.0, "Vaaranpää": 1.0}}),
    )  # fmt: skip


UNIT_SPECS: tuple[UnitSpec, ...] = _unit_specs()
UNIT_IDS: tuple[str, ...] = tuple(f"U{i + 1:03d}" for i in range(len(UNIT_SPECS)))


def municipality_weights() -> np.ndarray:
    return np.array([w for _, _, w in MUNICIPALITIES], dtype=np.float64)


def units_table() -> pa.Table:
    """unit_id, name, municipality, service_areas (comma-separated)."""
    return pa.table(
        {
            "unit_id": pa.array(UNIT_IDS, type=pa.string()),
            "name": pa.array([u.name for u in UNIT_SPECS], type=pa.string()),
            "municipality": pa.array([u.municipality for u in UNIT_SPECS], type=pa.string()),
            "service_areas": pa.array(
                [",".join(u.service_areas) for u in UNIT_SPECS], type=pa.string()
            ),
        }
    )


def assign_units(municipality: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(persons, areas) index of the unit each resident uses for each service area."""
    names = [m for m, _, _ in MUNICIPALITIES]
    out = np.empty((municipality.size, len(AREAS)), dtype=np.int16)
    for a, area in enumerate(AREAS):
        for m, muni in enumerate(names):
            options = [
                (i, spec.serves[area][muni])
                for i, spec in enumerate(UNIT_SPECS)
                if muni in spec.serves.get(area, {})
            ]
            if not options:
                raise ValueError(f"no unit serves {area} in {muni}")
            who = np.flatnonzero(municipality == m)
            idx = np.array([i for i, _ in options])
            w = np.array([w for _, w in options], dtype=np.float64)
            out[who, a] = idx[rng.choice(idx.size, size=who.size, p=w / w.sum())]
    return out
