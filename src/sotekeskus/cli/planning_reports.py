"""``sotekeskus report queues|care-debt``: the planning reports (registered in report.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from sotekeskus.cli.common import (
    DbOption,
    FormatOption,
    ProfessionalGroupOption,
    ServiceAreaOption,
    UnitOption,
    check_format,
    fail,
    out,
    parse_date,
    split,
)
from sotekeskus.cli.plan import (
    AssessedOnlyOption,
    NoSuppressOption,
    ParquetOption,
    parse_queue,
    planning_source,
)

#: Columns of the terminal table (CSV and JSON carry every column of the series).
QUEUE_TABLE_COLUMNS = ["queue_id", "week", "arrivals", "served", "unserved", "size",
                       "median_wait_days", "p90_wait_days", "past_legal_limit", "past_target"]


def _check_codes(values: tuple[str, ...] | None, column: str, option: str) -> None:
    from sotekeskus.domain.vocabulary import CODES

    for value in values or ():
        if value not in CODES[column]:
            raise fail(f"{option} {value!r}: use one of {', '.join(CODES[column])}", 2)


def report_queues(
    db: DbOption = None,
    parquet: ParquetOption = None,
    queue: Annotated[list[str] | None, typer.Option(
        "--queue", help="Only these queues: service_area/professional_group[/unit_id|all]")
        ] = None,
    service_area: ServiceAreaOption = None,
    professional_group: ProfessionalGroupOption = None,
    unit: UnitOption = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", help="First week (the week holding this date; default: 12 weeks before --to)")
        ] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="Last week (the week holding this date; default: the last date in the data)")
        ] = None,
    level: Annotated[str, typer.Option(
        help="unit (one queue per unit), pooled (over the units) or both")] = "both",
    assessed_only: AssessedOnlyOption = False,
    case_events: Annotated[bool, typer.Option(
        "--case-events/--no-case-events",
        help="Also the queues between case events (specialist, social welfare; "
             "case_type/from_event-to_event) when the store has case events")] = True,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Queues as weekly series: arrivals, removals, size and waits of those waiting."""
    from sotekeskus.planning.publish import suppress
    from sotekeskus.planning.queues import (
        COUNT_COLUMNS,
        SERIES_COLUMNS,
        QueueError,
        queue_entries,
        rows_of,
        weekly_series,
    )
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    if level not in ("unit", "pooled", "both"):
        raise fail(f"--level {level!r}: use one of unit, pooled, both", 2)
    queues = [parse_queue(q) for q in split(queue) or ()]
    areas, groups, units = split(service_area), split(professional_group), split(unit)
    _check_codes(areas, "service_area", "--service-area")
    _check_codes(groups, "professional_group", "--professional-group")
    source = planning_source(db, parquet)
    end = parse_date(date_to, "--to") or source.last_date()
    if end is None:
        raise fail("the store has no episodes; import episodes first")
    start = parse_date(date_from, "--from") or end - timedelta(weeks=12)
    if end < start:
        raise fail("--to is before --from", 2)
    entries = queue_entries(source, service_areas=areas, professional_groups=groups,
                            unit_ids=units, include_unassessed=not assessed_only)
    if case_events and not (areas or groups) and source.has_case_events():
        import pyarrow as pa

        from sotekeskus.planning.case_queues import case_legs, case_queue_entries, leg_of

        wanted = [q for q in queues if q.is_case]
        legs = [leg_of(q) for q in wanted] if queues else case_legs(source)
        if legs:
            entries = pa.concat_tables([entries, case_queue_entries(source, legs,
                                                                    unit_ids=units)])
    if units:
        known = set(entries["unit_id"].to_pylist())
        unknown = [u for u in units if u not in known]
        if unknown:
            raise fail(f"--unit {', '.join(unknown)}: no queue entries for "
                       f"{'this unit' if len(unknown) == 1 else 'these units'}")
    try:
        series = weekly_series(entries, start, end, units=level != "pooled",
                               pooled=level != "unit", quantiles=True)
    except QueueError as exc:
        raise fail(str(exc)) from None
    if queues:
        wanted = {str(q) for q in queues}
        missing = wanted - set(series["queue_id"])
        if missing:
            raise fail(f"--queue {', '.join(sorted(missing))}: no such queue in the data")
        series = series[series["queue_id"].isin(wanted)]
    rows = rows_of(series)
    if not no_suppress:
        rows = suppress(rows, COUNT_COLUMNS, {"size": (
            "mean_wait_days", "median_wait_days", "p90_wait_days")})
    columns = QUEUE_TABLE_COLUMNS if fmt == "table" else list(SERIES_COLUMNS)
    emit(rows, columns, fmt, console=out,
         title=f"Queues by week, {start.isoformat()} … {end.isoformat()}")





DEBT_COLUMNS = ["service_area", "professional_group", "expected", "actual", "deficit",
                "deficit_lo", "deficit_hi", "deficit_pct", "catch_up", "catch_up_lo",
                "catch_up_hi", "catch_up_until", "remaining", "window_from", "window_to",
                "fitted_from", "fitted_months", "note"]
DEBT_TABLE_COLUMNS = ["service_area", "professional_group", "expected", "actual", "deficit",
                      "deficit_lo", "deficit_hi", "deficit_pct", "catch_up", "remaining"]
BACKLOG_COLUMNS = ["service_area", "professional_group", "on", "waiting", "past_target",
                   "past_legal_limit", "patient_weeks_past_target",
                   "patient_weeks_past_legal_limit", "demand_per_week", "target_queue_size",
                   "relief_capacity_per_week", "clear_by"]


def report_care_debt(
    date_from: Annotated[str, typer.Option("--from", help="First month of the window, YYYY-MM")
                         ] = "2020-03",
    date_to: Annotated[str, typer.Option("--to", help="Last month of the window, YYYY-MM")
                       ] = "2022-12",
    db: DbOption = None,
    parquet: ParquetOption = None,
    measure: Annotated[str, typer.Option(
        help="visits (done, by visit month) or contacts (all, by contact month)")] = "visits",
    service_area: ServiceAreaOption = None,
    professional_group: ProfessionalGroupOption = None,
    by_age: Annotated[bool, typer.Option("--by-age", help="One row per age group too")
                      ] = False,
    fit_until: Annotated[str, typer.Option(
        "--fit-until", help="The pattern is fitted on the months before this one")
        ] = "2020-03",
    on: Annotated[str | None, typer.Option(
        help="Backlog on this date (default: the last date in the data)")] = None,
    clear_by: Annotated[str | None, typer.Option(
        "--clear-by", help="Relief capacity that clears the backlog by this date")] = None,
    target_wait: Annotated[float | None, typer.Option(
        "--target-wait", help="Target wait in days for the backlog (default: the regional "
                              "target rules)")] = None,
    assessed_only: AssessedOnlyOption = False,
    fmt: FormatOption = "table",
    no_suppress: NoSuppressOption = False,
) -> None:
    """Care debt: visits that did not happen against the pre-pandemic pattern, their
    catch-up, and the backlog beyond the target and the legal limit."""
    from sotekeskus.planning.care_debt import (
        MEASURES,
        CareDebtError,
        backlog_debt,
        monthly_counts,
        pandemic_deficit,
        parse_month,
    )
    from sotekeskus.planning.publish import suppress
    from sotekeskus.planning.queues import queue_entries
    from sotekeskus.report_output import emit, plain, to_json

    fmt = check_format(fmt)
    if measure not in MEASURES:
        raise fail(f"--measure {measure!r}: use one of {', '.join(MEASURES)}", 2)
    try:
        window = (parse_month(date_from, "--from"), parse_month(date_to, "--to"))
        fit_month = parse_month(fit_until, "--fit-until")
    except CareDebtError as exc:
        raise fail(str(exc), 2) from None
    if target_wait is not None and not target_wait > 0:
        raise fail(f"--target-wait {target_wait:g}: give a number of days above 0", 2)
    areas, groups = split(service_area), split(professional_group)
    _check_codes(areas, "service_area", "--service-area")
    _check_codes(groups, "professional_group", "--professional-group")
    day = parse_date(on, "--on")
    clear_day = parse_date(clear_by, "--clear-by")
    source = planning_source(db, parquet)
    last = source.last_date()
    if last is None:
        raise fail("the store has no episodes; import episodes first")
    day = day or last
    whole = last if (last + timedelta(days=1)).day == 1 else last.replace(day=1) - timedelta(
        days=1)
    try:
        counts = monthly_counts(source, measure, by_age=by_age, service_areas=areas,
                                professional_groups=groups)
        rows = pandemic_deficit(counts, window_from=window[0], window_to=window[1],
                                fit_until=fit_month, data_until=whole.strftime("%Y-%m"),
                                skip_first_months=3 if measure == "visits" else 0)
        entries = queue_entries(source, service_areas=areas, professional_groups=groups,
                                include_unassessed=not assessed_only)
        backlog = backlog_debt(entries, on=day, clear_by=clear_day,
                               target_wait_days=target_wait)
    except CareDebtError as exc:
        raise fail(str(exc)) from None
    if not no_suppress:
        hidden = ("expected", "deficit", "deficit_lo", "deficit_hi", "deficit_pct",
                  "catch_up", "catch_up_lo", "catch_up_hi", "remaining")
        rows = suppress(rows, ["actual"], {"actual": hidden})
        backlog = suppress(backlog, ["waiting", "past_target", "past_legal_limit"], {
            "past_target": ("patient_weeks_past_target",),
            "past_legal_limit": ("patient_weeks_past_legal_limit",)})
    columns = DEBT_COLUMNS[:2] + (["age_group"] if by_age else []) + DEBT_COLUMNS[2:]
    if fmt == "json":
        out.file.write(to_json(rows, columns, measure=measure, backlog=[
            {c: plain(r.get(c)) for c in BACKLOG_COLUMNS} for r in backlog]) + "\n")
        return
    if fmt == "csv":
        emit(rows, columns, fmt, console=out)
        return
    table_columns = DEBT_TABLE_COLUMNS[:2] + (["age_group"] if by_age else []) + \
        DEBT_TABLE_COLUMNS[2:]
    emit(rows, table_columns, fmt, console=out,
         title=f"Care debt: {measure} {window[0]} … {window[1]} against the pattern before "
               f"{fit_month} (95 % band lo–hi; catch-up to {whole.strftime('%Y-%m')})")
    emit(backlog, BACKLOG_COLUMNS, fmt, console=out, title=f"Backlog debt on {day}")


def register(app: typer.Typer) -> None:
    """Add the planning reports to ``sotekeskus report``."""
    app.command("queues")(report_queues)
    app.command("care-debt")(report_care_debt)
