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


def register(app: typer.Typer) -> None:
    """Add the planning reports to ``sotekeskus report``."""
    app.command("queues")(report_queues)

