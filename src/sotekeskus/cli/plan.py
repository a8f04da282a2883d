"""``sotekeskus plan queue|simulate|forecast``: capacity planning for a queue.

Thin: parse the options, call :mod:`sotekeskus.planning`, render rows. Exit 1 on bad input
(an unknown queue, a missing store), 2 on a usage error (a malformed option or code).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sotekeskus.cli.common import DbOption, FormatOption, check_format, fail, out, parse_date

if TYPE_CHECKING:
    import pyarrow as pa

    from sotekeskus.planning.queues import QueueId
    from sotekeskus.planning.source import PlanningSource

app = typer.Typer(help="Capacity planning: queue statistics, scenarios, forecasts.",
                  no_args_is_help=True)

ParquetOption = Annotated[Path | None, typer.Option(
    help="Read this episode Parquet file instead of the store")]
AssessedOnlyOption = Annotated[bool, typer.Option(
    "--assessed-only",
    help="Only episodes with a recorded assessment (the waiting-list definition); by default "
         "an episode without one enters its queue on its contact date")]
NoSuppressOption = Annotated[bool, typer.Option(
    "--no-suppress", help="Exact small counts (unit-level detail)")]
QueueOption = Annotated[str, typer.Option(
    "--queue", help="service_area/professional_group[/unit_id], e.g. oral/dental_hygienist")]


def planning_source(db: str | None, parquet: Path | None) -> PlanningSource:
    """The episodes a planning command reads; exit 1 naming a missing store or file."""
    from sotekeskus.domain.rules import RuleError
    from sotekeskus.planning.source import PlanningSource, SourceMissingError

    try:
        if parquet is not None:
            return PlanningSource.from_parquet(parquet)
        return PlanningSource.from_store(db)
    except (SourceMissingError, RuleError, ValueError) as exc:
        raise fail(str(exc)) from None


def parse_queue(text: str) -> QueueId:
    from sotekeskus.planning.queues import QueueError, QueueId

    try:
        return QueueId.parse(text)
    except QueueError as exc:
        raise fail(f"--queue: {exc}", 2) from None


def entries_of(source: PlanningSource, assessed_only: bool,
               queue: QueueId | None = None) -> pa.Table:
    """Queue entries of one queue (episodes, or case events for a case queue), or of every
    episode queue."""
    from sotekeskus.planning.case_queues import case_queue_entries, leg_of
    from sotekeskus.planning.queues import queue_entries

    if queue is None:
        return queue_entries(source, include_unassessed=not assessed_only)
    if queue.is_case:
        if not source.has_case_events():
            raise fail(f"--queue {queue}: {source.label} has no case events; import them "
                       "first (sotekeskus import events FILE)")
        return case_queue_entries(source, [leg_of(queue)],
                                  unit_ids=[queue.unit_id] if queue.unit_id else None)
    return queue_entries(source, service_areas=[queue.service_area],
                         professional_groups=[queue.professional_group],
                         unit_ids=[queue.unit_id] if queue.unit_id else None,
                         include_unassessed=not assessed_only)


@app.command("queue")
def plan_queue(
    queue: QueueOption,
    target_wait: Annotated[float, typer.Option(
        "--target-wait", help="Target wait in days (used in weeks: days ÷ 7)")],
    by: Annotated[str | None, typer.Option(
        help="Reach the target queue size by this date (default: in 26 weeks)")] = None,
    on: Annotated[str | None, typer.Option(
        help="Date of the list, YYYY-MM-DD (default: the last date in the data)")] = None,
    window_weeks: Annotated[int, typer.Option(
        help="Weeks before --on over which demand and capacity are measured")] = 26,
    db: DbOption = None,
    parquet: ParquetOption = None,
    assessed_only: AssessedOnlyOption = False,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Queue statistics of a real queue: load, pressure, target and relief capacity."""
    from sotekeskus.planning.publish import suppress
    from sotekeskus.planning.queue_plan import plan_queue as compute
    from sotekeskus.planning.queues import QueueError
    from sotekeskus.planning.summary import SummaryError
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    q = parse_queue(queue)
    day = parse_date(on, "--on")
    by_day = parse_date(by, "--by")
    if not target_wait > 0:
        raise fail(f"--target-wait {target_wait:g}: give a number of days above 0", 2)
    source = planning_source(db, parquet)
    day = day or source.last_date()
    try:
        entries = entries_of(source, assessed_only, q)
        result = compute(entries, q, target_wait_days=target_wait, on=day, by=by_day,
                         window_weeks=window_weeks)
    except (QueueError, SummaryError) as exc:
        raise fail(str(exc)) from None
    rows = result.rows()
    if not no_suppress:
        small = {"queue_size", "waiting_over_target", "waiting_past_legal_limit"}
        rows = [suppress([r], ["value"])[0] if r["figure"] in small else r for r in rows]
        if rows[[r["figure"] for r in rows].index("queue_size")]["value"] == "<5":
            hidden = {"mean_wait", "median_wait", "pressure"}
            rows = [dict(r, value=None) if r["figure"] in hidden else r for r in rows]
    if fmt == "table":  # the table shows one decimal by default: a load of 1.018 is not 1.0
        rows = [dict(r, value=f"{r['value']:.3f}") if isinstance(r["value"], float) else r
                for r in rows]
    emit(rows, ["figure", "value", "unit", "how"], fmt, console=out,
         title=f"Queue {q} on {result.on}")
    if fmt == "table":
        for note in result.notes:
            out.print(f"note: {note}", highlight=False)


@app.command("simulate")
def plan_simulate(
    queue: Annotated[str | None, typer.Option(
        "--queue", help="service_area/professional_group[/unit_id] (or in --scenario)")] = None,
    target_wait: Annotated[float | None, typer.Option(
        "--target-wait", help="Regional target wait in days")] = None,
    weeks: Annotated[int, typer.Option(help="Weeks to simulate")] = 52,
    replications: Annotated[int, typer.Option(help="Simulated futures per scenario")] = 50,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result)")] = 1,
    on: Annotated[str | None, typer.Option(
        help="Start from the list at the end of this day (default: last date in the data)")
        ] = None,
    extra: Annotated[float, typer.Option(
        help="Extra appointments per week (purchased or temporary capacity)")] = 0.0,
    extra_from: Annotated[str | None, typer.Option(
        "--extra-from", help="First day of the extra capacity (default: the start)")] = None,
    extra_to: Annotated[str | None, typer.Option(
        "--extra-to", help="Last day of the extra capacity (default: the end)")] = None,
    extra_cost: Annotated[float, typer.Option(
        "--extra-cost", help="Cost per patient served by the extra capacity (€)")] = 0.0,
    own_cost: Annotated[float, typer.Option(
        "--own-cost", help="Cost per patient served by own staff (€)")] = 0.0,
    own_capacity: Annotated[float | None, typer.Option(
        "--own-capacity", help="Own appointments per normal week (default: estimated)")
        ] = None,
    arrivals_factor: Annotated[float, typer.Option(
        "--arrivals-factor", help="Scale the estimated demand (1.1 = 10 % more)")] = 1.0,
    scenario_file: Annotated[Path | None, typer.Option(
        "--scenario", help="YAML scenario file (instead of the scenario options)")] = None,
    every: Annotated[int, typer.Option(help="Show every n-th week in the table")] = 4,
    db: DbOption = None,
    parquet: ParquetOption = None,
    assessed_only: AssessedOnlyOption = False,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Simulate a queue from today's list: a scenario beside doing nothing, with 95 % bands."""
    from datetime import timedelta

    from sotekeskus.planning.compare import answer_rows, weekly_rows
    from sotekeskus.planning.publish import suppress
    from sotekeskus.planning.queues import QueueError
    from sotekeskus.planning.scenario import ExtraCapacity, estimate_scenario, without_extras
    from sotekeskus.planning.scenario_file import ScenarioFileError, ScenarioSpec, load_scenario
    from sotekeskus.planning.simulation import SimulationError, simulate
    from sotekeskus.report_output import emit, to_json

    fmt = check_format(fmt)
    if scenario_file is not None:
        if queue is not None or target_wait is not None or extra:
            raise fail("--scenario: give the queue, target and capacity in the file, not as "
                       "options too", 2)
        try:
            spec = load_scenario(scenario_file)
        except ScenarioFileError as exc:
            raise fail(str(exc)) from None
    else:
        if queue is None:
            raise fail("--queue is required (or --scenario FILE)", 2)
        if target_wait is not None and not target_wait > 0:
            raise fail(f"--target-wait {target_wait:g}: give a number of days above 0", 2)
        spec = ScenarioSpec(parse_queue(queue), target_wait, weeks, replications, seed,
                            parse_date(on, "--on"), arrivals_factor, own_capacity, own_cost)
    source = planning_source(db, parquet)
    day = spec.on or source.last_date()
    if day is None:
        raise fail("the store has no episodes; import episodes first")
    extras = spec.extra_capacity
    if scenario_file is None and extra:
        start = day + timedelta(days=1)
        try:
            extras = (ExtraCapacity(
                "extra", extra, parse_date(extra_from, "--extra-from") or start,
                parse_date(extra_to, "--extra-to") or start + timedelta(weeks=spec.weeks),
                extra_cost),)
        except SimulationError as exc:
            raise fail(str(exc), 2) from None
    try:
        entries = entries_of(source, assessed_only, spec.queue)
        scenario, estimates = estimate_scenario(
            entries, spec.queue, on=day, weeks=spec.weeks, target_days=spec.target_wait_days,
            own_cost_per_patient=spec.own_cost_per_patient, extras=extras,
            arrivals_factor=spec.arrivals_factor,
            own_capacity_per_week=spec.own_capacity_per_week)
        as_is = simulate(without_extras(scenario), spec.replications, spec.seed)
        result = simulate(scenario, spec.replications, spec.seed) if extras else as_is
    except (QueueError, SimulationError) as exc:
        raise fail(str(exc)) from None
    estimate_rows = estimates.rows()
    if not no_suppress:
        estimate_rows = [suppress([r], ["value"])[0] if r["estimate"] == "start_list" else r
                         for r in estimate_rows]
    answers = answer_rows(as_is, result, spec.target_wait_days)
    weekly = weekly_rows(as_is, result)
    if fmt == "json":
        out.file.write(to_json(weekly, list(weekly[0]), queue=str(spec.queue), start=
                               scenario.start, estimates=estimate_rows, answers=answers) + "\n")
        return
    if fmt == "csv":
        emit(weekly, list(weekly[0]), fmt, console=out)
        return
    emit(estimate_rows, ["estimate", "value", "how"], fmt, console=out,
         title=f"Estimated from the data: {spec.queue}")
    emit(answers, ["question", "as_is", "scenario", "how"], fmt, console=out,
         title=f"Doing nothing vs the scenario, {spec.weeks} weeks from {scenario.start}")
    shown = [r for i, r in enumerate(weekly) if i % max(every, 1) == 0 or i == len(weekly) - 1]
    columns = ["week", "size_as_is", "size_scenario", "median_wait_as_is",
               "median_wait_scenario", "p90_wait_as_is", "p90_wait_scenario",
               "share_over_target_as_is", "share_over_target_scenario"]
    emit(shown, columns, fmt, console=out,
         title="By week: mean over the replications (bands in CSV/JSON)")


SERIES_CHOICES = ("arrivals", "served", "removals", "urgent_arrivals")


@app.command("forecast")
def plan_forecast(
    queue: Annotated[list[str], typer.Option(
        "--queue", help="service_area/professional_group[/unit_id] (repeat for several)")],
    series: Annotated[str, typer.Option(
        help=f"Weekly series to forecast: {', '.join(SERIES_CHOICES)}")] = "arrivals",
    horizon: Annotated[int, typer.Option(help="Weeks ahead")] = 26,
    history_weeks: Annotated[int, typer.Option(
        help="Weeks of history the models are fitted on")] = 156,
    to: Annotated[str | None, typer.Option(
        "--to", help="Last day of the history (default: the last date in the data)")] = None,
    models: Annotated[list[str] | None, typer.Option(
        "--model", help="SeasonalNaive, AutoETS, AutoARIMA, MSTL (repeat; default all)")
        ] = None,
    origins: Annotated[int, typer.Option(help="Back-test origins")] = 3,
    test_horizon: Annotated[int, typer.Option(help="Weeks ahead in the back-test")] = 13,
    db: DbOption = None,
    parquet: ParquetOption = None,
    assessed_only: AssessedOnlyOption = False,
    fmt: FormatOption = "table",
) -> None:
    """Weekly demand forecasts with 95 % intervals; back-tested MASE and coverage beside."""
    from datetime import timedelta

    from sotekeskus.cli.common import split
    from sotekeskus.planning.forecast import MODELS, ForecastError, forecast_series
    from sotekeskus.planning.queues import QueueError, queue_entries, weekly_series
    from sotekeskus.report_output import emit, to_json

    fmt = check_format(fmt)
    if series not in SERIES_CHOICES:
        raise fail(f"--series {series!r}: use one of {', '.join(SERIES_CHOICES)}", 2)
    chosen = list(split(models) or MODELS)
    bad = [m for m in chosen if m not in MODELS]
    if bad:
        raise fail(f"--model {bad[0]!r}: use one of {', '.join(MODELS)}", 2)
    if horizon < 1 or history_weeks < 60:
        raise fail("--horizon must be 1 or more and --history-weeks 60 or more", 2)
    queues = [parse_queue(q) for q in split(queue) or ()]
    source = planning_source(db, parquet)
    end = parse_date(to, "--to") or source.last_date()
    if end is None:
        raise fail("the store has no episodes; import episodes first")
    start = end - timedelta(weeks=history_weeks) + timedelta(days=1)
    import pyarrow as pa

    episode_queues = [q for q in queues if not q.is_case]
    parts = [entries_of(source, assessed_only, q) for q in queues if q.is_case]
    if episode_queues:
        parts.append(queue_entries(
            source, service_areas=sorted({q.service_area for q in episode_queues}),
            professional_groups=sorted({q.professional_group for q in episode_queues}),
            include_unassessed=not assessed_only))
    entries = pa.concat_tables(parts)
    accuracy, forecasts = [], []
    try:
        weekly = weekly_series(entries, start, end)
        for q in queues:
            rows = weekly[weekly["queue_id"] == str(q)]
            if rows.empty:
                raise QueueError(f"--queue {q}: no such queue in the data")
            active = (rows["arrivals"] + rows["size"] + rows["removals"]).to_numpy() > 0
            if not active.any():
                raise QueueError(f"--queue {q}: no entries in the history")
            rows = rows.iloc[int(active.argmax()):]  # weeks before the data began are not 0s
            result = forecast_series(str(q), list(rows["week"]), rows[series].to_numpy(),
                                     horizon=horizon, models=chosen, origins=origins,
                                     test_horizon=test_horizon)
            accuracy += result.accuracy_rows()
            forecasts += result.forecast_rows()
    except (QueueError, ForecastError) as exc:
        raise fail(str(exc)) from None
    acc_columns = ["series", "model", "mase", "mase_vs_seasonal_naive", "coverage_95_pct",
                   "test_points"]
    columns = ["series", "week"] + [f"{m}{part}" for m in chosen
                                    for part in ("", "_lo95", "_hi95")]
    if fmt == "json":
        out.file.write(to_json(forecasts, columns, what=series, accuracy=accuracy) + "\n")
        return
    if fmt == "csv":
        emit(forecasts, columns, fmt, console=out)
        return
    accuracy = [{k: f"{v:.3f}" if isinstance(v, float) and k.startswith("mase") else v
                 for k, v in row.items()} for row in accuracy]
    emit(accuracy, acc_columns, fmt, console=out,
         title=f"Back-test of weekly {series}: {origins} origins × {test_horizon} weeks "
               "(MASE < 1: better than last year's value in sample; coverage of the 95 % "
               "interval)")
    emit(forecasts, ["series", "week", *chosen], fmt, console=out,
         title=f"Forecast of weekly {series} (95 % intervals in CSV/JSON)")
