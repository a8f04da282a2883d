"""Tests of the synthetic region generator (sotekeskus.synth). Small regions, fast."""

from __future__ import annotations

import collections
import json
import re
from dataclasses import replace
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sotekeskus.domain.vocabulary import CODES, EPISODE_COLUMNS
from sotekeskus.synth import (
    DEFAULT_CALIBRATION,
    SyntheticRegion,
    generate_region,
    write_episodes,
    write_truth,
    write_units,
)

REMOTE = ["phone", "video", "chat", "e_service"]
ALLOWED_GROUPS = {
    "medical": {"physician", "nurse", "therapist", "other"},
    "oral": {"dentist", "dental_hygienist", "other"},
    "mental": {"psychologist", "nurse", "physician", "therapist"},
    "substance": {"nurse", "physician", "social_worker", "other"},
    "social": {"social_worker", "other"},
}


@pytest.fixture(scope="module")
def region() -> SyntheticRegion:
    return generate_region(residents=2_000, start=date(2019, 1, 1), end=date(2020, 12, 31), seed=11)


def _np(column: pa.ChunkedArray) -> np.ndarray:
    return column.to_numpy(zero_copy_only=False)


def _days(column: pa.ChunkedArray) -> np.ndarray:
    """Calendar day numbers of a timestamp column (NaT for null)."""
    return _np(column).astype("datetime64[D]")


def _access_waits(region: SyntheticRegion) -> tuple[pa.Table, np.ndarray]:
    e = region.episodes
    mask = pc.and_(
        pc.and_(pc.equal(e["status"], "done"), pc.equal(e["urgency"], "non_urgent")),
        pc.and_(pc.invert(e["plan_based"]), pc.is_valid(e["assessed_at"])),
    )
    access = e.filter(mask)
    waits = (_days(access["visit_at"]) - _days(access["assessed_at"])).astype(np.int64)
    return access, waits


# --- determinism and schema ------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path):
    kwargs = dict(residents=1_000, start=date(2019, 1, 1), end=date(2019, 12, 31))
    first = generate_region(seed=5, **kwargs)
    second = generate_region(seed=5, **kwargs)
    other = generate_region(seed=6, **kwargs)
    paths = {}
    for name, reg in (("a", first), ("b", second), ("c", other)):
        for suffix in (".csv", ".parquet"):
            paths[name + suffix] = write_episodes(reg.episodes, tmp_path / f"{name}{suffix}")
    assert paths["a.csv"].read_bytes() == paths["b.csv"].read_bytes()
    assert paths["a.parquet"].read_bytes() == paths["b.parquet"].read_bytes()
    assert json.dumps(first.truth, sort_keys=True) == json.dumps(second.truth, sort_keys=True)
    assert paths["a.csv"].read_bytes() != paths["c.csv"].read_bytes()
    assert first.episodes["person_id"] != other.episodes["person_id"]


def test_episode_schema_is_exactly_the_contract(region):
    schema = region.episodes.schema
    assert schema.names == list(EPISODE_COLUMNS)
    expected = {
        "birth_date": pa.date32(),
        "contact_at": pa.timestamp("s"),
        "assessed_at": pa.timestamp("s"),
        "visit_at": pa.timestamp("s"),
        "plan_based": pa.bool_(),
    }
    for field in schema:
        assert field.type == expected.get(field.name, pa.string()), field.name
    required = [name for name, req in EPISODE_COLUMNS.items() if req]
    for name in required + ["plan_based"]:
        assert region.episodes[name].null_count == 0, name
    assert region.units.schema.names == ["unit_id", "name", "municipality", "service_areas"]
    assert all(t == pa.string() for t in region.units.schema.types)


def test_units_span_municipalities_and_all_service_areas(region):
    units = region.units.to_pylist()
    assert 15 <= len(units) <= 30
    assert [u["unit_id"] for u in units] == [f"U{i:03d}" for i in range(1, len(units) + 1)]
    assert 6 <= len({u["municipality"] for u in units}) <= 10
    areas = {a for u in units for a in u["service_areas"].split(",")}
    assert areas == set(CODES["service_area"])
    # Every episode's unit exists and offers the episode's service area.
    offered = {u["unit_id"]: set(u["service_areas"].split(",")) for u in units}
    pairs = set(
        zip(
            region.episodes["unit_id"].to_pylist(),
            region.episodes["service_area"].to_pylist(),
            strict=True,
        )
    )
    assert all(area in offered[unit] for unit, area in pairs)


# --- invariants --------------------------------------------------------------------------


def test_invariants_of_every_row(region):
    e = region.episodes
    status = _np(e["status"])
    contact, assessed, visit = (_np(e[c]) for c in ("contact_at", "assessed_at", "visit_at"))
    has_visit = ~np.isnat(visit)
    has_assessment = ~np.isnat(assessed)
    done = status == "done"
    assert (has_visit == done).all()  # done <=> visit_at; waiting/cancelled have none
    mode_null = pc.is_null(e["contact_mode"]).to_numpy(zero_copy_only=False)
    assert (mode_null == ~done).all()
    assert (assessed[has_assessment] >= contact[has_assessment]).all()
    both = has_visit & has_assessment
    assert (visit[both] >= assessed[both]).all()
    assert (visit[has_visit] >= contact[has_visit]).all()
    end = np.datetime64("2021-01-01T00:00:00")
    assert (visit[has_visit] < end).all() and (contact < end).all()
    assert (_np(e["birth_date"]) <= contact.astype("datetime64[D]")).all()
    for column, codes in CODES.items():
        if column == "plan_based":
            continue
        values = set(pc.unique(e[column].drop_null()).to_pylist())
        assert values <= set(codes), column
    assert set(pc.unique(e["status"]).to_pylist()) == {"done", "waiting", "cancelled"}
    assert set(pc.unique(e["contact_mode"].drop_null()).to_pylist()) == set(CODES["contact_mode"])
    ids = e["episode_id"].to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"E\d{8}", i) for i in ids)
    assert ids == sorted(ids)


def test_professional_groups_match_service_areas(region):
    e = region.episodes
    seen = collections.defaultdict(set)
    for area, group in zip(
        e["service_area"].to_pylist(), e["professional_group"].to_pylist(), strict=True
    ):
        seen[area].add(group)
    for area, groups in seen.items():
        assert groups <= ALLOWED_GROUPS[area], area
    assert seen["oral"] >= {"dentist", "dental_hygienist"}
    assert seen["social"] >= {"social_worker"}


def test_people_recur_and_ages_look_finnish(region):
    persons = pc.value_counts(region.episodes["person_id"])
    counts = np.array(persons.field("counts"))
    assert counts.max() >= 10 and counts.mean() > 3
    assert all(re.fullmatch(r"P[0-9a-f]{10}", p) for p in persons.field("values").to_pylist())
    shares = generate_region(
        residents=20_000, start=date(2019, 1, 1), end=date(2019, 1, 31), seed=2
    ).truth["population"]["age_shares_at_start"]
    assert shares["0-14"] == pytest.approx(0.16, abs=0.015)
    assert shares["15-64"] == pytest.approx(0.60, abs=0.015)
    assert shares["65+"] == pytest.approx(0.24, abs=0.015)


def test_volume_is_a_few_episodes_per_resident_year(region):
    per_resident_year = region.episodes.num_rows / 2_000 / 2
    assert 2.5 <= per_resident_year <= 4.0
    assert region.truth["episodes"]["total"] == region.episodes.num_rows


def test_urgent_plan_coverage_and_same_day_assessment(region):
    e = region.episodes
    urgent = _np(e["urgency"]) == "urgent"
    done = _np(e["status"]) == "done"
    contact_day, visit_day = _days(e["contact_at"]), _days(e["visit_at"])
    lag = (visit_day[urgent & done] - contact_day[urgent & done]).astype(np.int64)
    assert 0.15 < urgent.mean() < 0.4
    assert lag.max() <= 2 and (lag == 0).mean() > 0.5  # same or next day
    plan = _np(e["plan_based"])
    assert 0.05 < plan.mean() < 0.4
    # Assessment recorded for 60-90 % of non-urgent unplanned done visits, varying by unit.
    rows = done & ~urgent & ~plan
    recorded = pc.is_valid(e["assessed_at"]).to_numpy(zero_copy_only=False)
    units = _np(e["unit_id"])
    coverage = {
        u: recorded[rows & (units == u)].mean()
        for u in np.unique(units[rows])
        if (rows & (units == u)).sum() >= 100
    }
    assert all(0.5 <= c <= 0.97 for c in coverage.values())
    assert max(coverage.values()) - min(coverage.values()) > 0.1
    # Assessment mostly on the contact day for weekday contacts, sometimes later.
    weekday = (contact_day.astype(np.int64) + 3) % 7 < 5
    assessed_day = _days(e["assessed_at"])
    has = recorded & weekday & ~urgent & ~plan
    same = (assessed_day[has] == contact_day[has]).mean()
    assert 0.6 < same < 0.97


def test_open_waiting_list_at_the_end(region):
    e = region.episodes
    status = _np(e["status"])
    contact = _np(e["contact_at"])
    waiting = status == "waiting"
    assert waiting.sum() > 20
    # Waiting episodes are recent: the list is what the end date has not yet seen.
    recent = contact[waiting] > np.datetime64("2020-10-01")
    assert recent.mean() > 0.5
    assert 0.01 < (status == "cancelled").mean() < 0.1


# --- rhythm and calibration ---------------------------------------------------------------


def test_weekday_and_seasonal_rhythm(region):
    contact = _days(region.episodes["contact_at"])
    weekday = (contact.astype(np.int64) + 3) % 7
    assert (weekday >= 5).mean() < 0.08
    assert (weekday == 0).mean() > (weekday == 4).mean()  # Monday peak
    months = contact.astype("datetime64[M]").astype(np.int64) % 12 + 1
    in_2019 = contact < np.datetime64("2020-01-01")
    per_month = np.bincount(months[in_2019], minlength=13)[1:]
    assert per_month[6] < 0.8 * per_month.mean()  # July dip
    assert per_month[0] > per_month.mean()  # January peak
    hours = _np(region.episodes["visit_at"]).astype("datetime64[h]").astype(np.int64) % 24
    visit_hours = hours[~np.isnat(_np(region.episodes["visit_at"]))]
    assert ((visit_hours >= 8) & (visit_hours < 16)).mean() > 0.8


def test_pandemic_dip_in_visits_and_rise_in_remote(region):
    e = region.episodes
    done = e.filter(pc.equal(e["status"], "done"))
    year = _np(done["visit_at"]).astype("datetime64[Y]").astype(np.int64) + 1970
    remote = np.isin(_np(done["contact_mode"]), REMOTE)
    visits_2019, visits_2020 = (year == 2019).sum(), (year == 2020).sum()
    assert visits_2020 < 0.93 * visits_2019
    remote_2019, remote_2020 = remote[year == 2019].mean(), remote[year == 2020].mean()
    assert 0.19 <= remote_2020 <= 0.27  # calibrated band 20-25 %
    assert remote_2020 > remote_2019 + 0.03


def test_remote_share_rises_toward_2025():
    reg = generate_region(residents=1_500, start=date(2025, 1, 1), end=date(2025, 12, 31), seed=3)
    done = reg.episodes.filter(pc.equal(reg.episodes["status"], "done"))
    remote = np.isin(_np(done["contact_mode"]), REMOTE).mean()
    assert 0.31 <= remote <= 0.40


def test_oral_care_debt_builds_and_clears():
    # Large enough for stable oral queues (tiny clinics wait longer: arrival noise).
    reg = generate_region(residents=20_000, seed=4)
    access, waits = _access_waits(reg)
    year = _np(access["visit_at"]).astype("datetime64[Y]").astype(np.int64) + 1970
    oral = _np(access["service_area"]) == "oral"
    median = {y: np.median(waits[oral & (year == y)]) for y in range(2019, 2026)}
    peak = max(median[2022], median[2023])
    assert 45 <= peak <= 90  # ~66 days reported in one region
    assert peak > 1.25 * median[2019]
    assert median[2025] < 0.8 * peak


# --- waits come from the queues --------------------------------------------------------


def test_lower_capacity_gives_longer_waits_for_the_same_demand():
    kwargs = dict(residents=3_000, start=date(2019, 1, 1), end=date(2020, 12, 31), seed=8)
    low = generate_region(calibration=replace(DEFAULT_CALIBRATION, capacity_scale=0.9), **kwargs)
    high = generate_region(calibration=replace(DEFAULT_CALIBRATION, capacity_scale=1.1), **kwargs)
    # Same demand (independent random streams): identical contacts.
    assert low.episodes["contact_at"] == high.episodes["contact_at"]
    _, w_low = _access_waits(low)
    _, w_high = _access_waits(high)
    assert np.median(w_low) > np.median(w_high) + 5
    assert (w_low > 90).sum() > (w_high > 90).sum()


def test_waits_follow_the_planted_queue_backlogs():
    reg = generate_region(residents=5_000, start=date(2019, 1, 1), end=date(2020, 12, 31), seed=9)
    access, waits = _access_waits(reg)
    keys = [
        f"{u}/{a}/{g}"
        for u, a, g in zip(
            access["unit_id"].to_pylist(),
            access["service_area"].to_pylist(),
            access["professional_group"].to_pylist(),
            strict=True,
        )
    ]
    observed = collections.defaultdict(list)
    for key, wait in zip(keys, waits, strict=True):
        observed[key].append(wait)
    backlog = collections.defaultdict(lambda: [0.0, 0.0])
    for queue in reg.truth["queues"]:
        key = f"{queue['unit_id']}/{queue['service_area']}/{queue['professional_group']}"
        backlog[key][0] += sum(queue["backlog_end_of_week"])
        backlog[key][1] += sum(queue["weekly_served"])
        assert len(queue["weekly_capacity"]) == len(reg.truth["weeks"])
    usable = [k for k, v in observed.items() if len(v) >= 30]
    assert len(usable) >= 20
    mean_wait = np.array([np.mean(observed[k]) for k in usable])
    # Little's law: mean wait = backlog / throughput (in weeks).
    littles = np.array([7 * backlog[k][0] / backlog[k][1] for k in usable])

    def rank(x: np.ndarray) -> np.ndarray:
        return np.argsort(np.argsort(x))

    assert np.corrcoef(rank(mean_wait), rank(littles))[0, 1] > 0.8
    slowest, fastest = usable[int(np.argmax(littles))], usable[int(np.argmin(littles))]
    assert np.median(observed[slowest]) > np.median(observed[fastest])


# --- files and truth ---------------------------------------------------------------------


def test_csv_round_trips_with_empty_nulls_and_true_false(region, tmp_path):
    path = write_episodes(region.episodes, tmp_path / "episodes.csv")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(EPISODE_COLUMNS)
    assert len(lines) == region.episodes.num_rows + 1
    fields = [line.split(",") for line in lines[1:]]
    assert all(len(f) == len(EPISODE_COLUMNS) for f in fields)
    assert {f[12] for f in fields} == {"true", "false"}
    assert any(f[8] == "" for f in fields) and any(f[9] == f[10] == "" for f in fields)
    iso = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
    assert all(iso.fullmatch(f[7]) for f in fields)
    assert all(f[9] == "" or iso.fullmatch(f[9]) for f in fields)
    assert '"' not in text
    read = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types=region.episodes.schema, strings_can_be_null=True
        ),
    )
    assert read.select(region.episodes.column_names).equals(region.episodes)


def test_parquet_round_trips_and_unknown_suffix_fails(region, tmp_path):
    path = write_episodes(region.episodes, tmp_path / "episodes.parquet")
    read = pq.read_table(path)
    assert read.schema.names == region.episodes.schema.names
    # Parquet has no second-resolution timestamps: they come back as milliseconds.
    assert read.cast(region.episodes.schema).equals(region.episodes)
    with pytest.raises(ValueError, match="csv or .parquet"):
        write_episodes(region.episodes, tmp_path / "episodes.xlsx")


def test_units_csv_round_trips(region, tmp_path):
    path = write_units(region.units, tmp_path / "units.csv")
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "unit_id,name,municipality,service_areas"
    )
    read = pacsv.read_csv(path)
    assert read.equals(region.units)
    assert "mental,substance" in read["service_areas"].to_pylist()


def test_truth_is_json_and_describes_the_planted_region(region, tmp_path):
    truth = json.loads(write_truth(region.truth, tmp_path / "truth.json").read_text("utf-8"))
    assert truth["seed"] == 11 and truth["residents"] == 2_000
    assert (
        truth["episodes"]["done"] + truth["episodes"]["waiting"] + truth["episodes"]["cancelled"]
        == region.episodes.num_rows
    )
    queue = truth["queues"][0]
    for key in ("base_weekly_capacity", "weekly_capacity", "weekly_arrivals", "lane"):
        assert key in queue
    assert {q["unit_id"] for q in truth["queues"]} <= set(region.units["unit_id"].to_pylist())
    oral_capacity = truth["weekly_capacity_factor"]["oral"]
    weeks = truth["weeks"]
    spring_2020 = weeks.index("2020-04-13")
    assert oral_capacity[spring_2020] < 0.5 < oral_capacity[weeks.index("2019-10-07")]
    assert truth["calibration"]["capacity_scale"] == 1.0
    # Arrivals in the truth are the queued episodes in the file.
    arrivals = sum(sum(q["weekly_arrivals"]) for q in truth["queues"])
    assert arrivals <= region.episodes.num_rows


def test_progress_is_reported_until_complete():
    calls: list[tuple[int, int]] = []
    generate_region(
        residents=200, start=date(2019, 1, 1), end=date(2019, 3, 31), seed=1,
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert len(calls) > 5
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1][0] == calls[-1][1]


def test_tiny_and_short_regions_do_not_break():
    empty = generate_region(residents=1, start=date(2020, 1, 1), end=date(2020, 1, 1), seed=1)
    assert empty.episodes.schema.names == list(EPISODE_COLUMNS)
    short = generate_region(residents=300, start=date(2024, 12, 30), end=date(2025, 1, 5), seed=2)
    assert short.episodes.num_rows > 0
    with pytest.raises(ValueError):
        generate_region(residents=10, start=date(2020, 1, 2), end=date(2020, 1, 1))
