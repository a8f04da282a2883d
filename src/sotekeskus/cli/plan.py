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
    from sotekeskus.planning.queues import queue_entries

    if queue is None:
        return queue_entries(source, include_unassessed=not assessed_only)
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
