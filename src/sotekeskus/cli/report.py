"""``sotekeskus report access|waiting``: reports computed from the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sotekeskus.cli.common import (
    AgeGroupOption,
    DbOption,
    Engine,
    EngineOption,
    FormatOption,
    ProfessionalGroupOption,
    ServiceAreaOption,
    UnitOption,
    access_filter,
    analytics,
    audit_person_read,
    check_engine,
    check_format,
    check_unit_ids,
    check_units,
    out,
    parse_date,
)
from sotekeskus.report_output import OutputFormat
from sotekeskus.store.database import resolve_url

if TYPE_CHECKING:
    from sotekeskus.analytics.filters import AccessFilter

app = typer.Typer(help="Reports computed from the store.", no_args_is_help=True)

WAITING_COLUMNS = ["episode_id", "person_id", "unit_id", "service_area", "professional_group",
                   "assessed_on", "days_waited", "legal_deadline", "days_to_deadline"]
SUMMARY_COLUMNS = ["unit_id", "professional_group", "waiting", "past_deadline", "due_today",
                   "due_within_7d", "longest_wait_days"]


@app.command("access")
def report_access(
    db: DbOption = None,
    month: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM")] = None,
    unit: UnitOption = None,
    service_area: ServiceAreaOption = None,
    professional_group: ProfessionalGroupOption = None,
    age_group: AgeGroupOption = None,
    by_unit: Annotated[bool, typer.Option("--by-unit", help="One row per unit too")] = False,
    fmt: FormatOption = "table",
    no_suppress: Annotated[bool, typer.Option(
        "--no-suppress", help="Exact small counts (unit-level detail)")] = False,
    with_targets: Annotated[bool, typer.Option(
        "--with-targets", help="Add regional-target misses")] = False,
    parquet: Annotated[Path | None, typer.Option(
        help="Read this episode Parquet file instead of the store")] = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Care-guarantee access report per month × service area × professional group."""
    from sotekeskus.analytics.suppression import public, suppress_rows
    from sotekeskus.domain.indicators import ACCESS_FIELDS, TARGET_FIELDS
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    where = check_engine(engine)
    flt = access_filter(month, unit, service_area, professional_group, age_group)
    rows = None
    if parquet is None and where == Engine.DUCKDB:
        rows = _access_rows_from_cache(db, flt, by_unit)
    if rows is None:
        an = analytics(db, parquet, engine)
        check_units(an, flt)
        rows = an.access_report(flt, by_unit=by_unit)
        if parquet is None and where == Engine.DUCKDB:
            from sotekeskus.analytics.cached_sql import remember_access_report

            remember_access_report(resolve_url(db), an.rulebook, flt, by_unit=by_unit)
    if not no_suppress:
        rows = suppress_rows(rows)
    rows = [public(r) for r in rows]
    keys = ["month", "service_area", "professional_group"] + (["unit_id"] if by_unit else [])
    columns = keys + list(ACCESS_FIELDS) + (list(TARGET_FIELDS) if with_targets else [])
    emit(rows, columns, fmt, console=out, title="Access report (hoitoonpääsy)")


def _access_rows_from_cache(db: str | None, flt: AccessFilter,
                            by_unit: bool) -> list[dict[str, Any]] | None:
    """The report from SQL compiled by an earlier run over a fresh snapshot of a SQLite
    store (:mod:`sotekeskus.analytics.cached_sql`); None when the full path is needed."""
    from sotekeskus.analytics.cached_sql import SnapshotReader
    from sotekeskus.domain.rules import RuleError
    from sotekeskus.rules import default_rulebook

    try:
        reader = SnapshotReader.open(resolve_url(db), default_rulebook())
    except (RuleError, ValueError):
        return None  # the full path reports the error
    if reader is None:
        return None
    try:
        check_unit_ids(flt, reader.units())
        return reader.access_report(flt, by_unit=by_unit)
    finally:
        reader.close()


@app.command("waiting")
def report_waiting(
    db: DbOption = None,
    on: Annotated[str | None, typer.Option(help="Date D, YYYY-MM-DD (default today)")] = None,
    unit: UnitOption = None,
    service_area: ServiceAreaOption = None,
    professional_group: ProfessionalGroupOption = None,
    persons: Annotated[bool, typer.Option(
        "--persons", help="List the waiting persons too (audited)")] = False,
    limit: Annotated[int, typer.Option(help="At most this many persons, nearest deadline first")
                     ] = 100,
    fmt: FormatOption = "table",
    no_suppress: Annotated[bool, typer.Option(
        "--no-suppress", help="Exact small counts in the summary (unit-level detail)")] = False,
) -> None:
    """Waiting list on a date: who waits, for how long, and how close the legal deadline is."""
    from sotekeskus.analytics.suppression import SUPPRESSED, is_small, suppress_rows
    from sotekeskus.report_output import emit, plain

    fmt = check_format(fmt)
    day = parse_date(on, "--on") or date.today()
    flt = access_filter(None, unit, service_area, professional_group, None)
    an = analytics(db, None, Engine.DUCKDB)
    check_units(an, flt)
    wl = an.waiting_list(day, flt)
    totals: dict[str, object] = {"on": day, "waiting": len(wl.rows),
                                 "past_deadline": wl.past_deadline,
                                 "due_within_7d": wl.due_within_7d}
    summary = wl.summary
    if not no_suppress:
        summary = suppress_rows(summary)
        totals = {k: (SUPPRESSED if is_small(v) else v) for k, v in totals.items()}
    person_rows: list[dict[str, object]] = []
    if persons:
        person_rows = sorted(wl.rows, key=lambda r: (
            r["days_to_deadline"] if r["days_to_deadline"] is not None else 10**6,
            r["episode_id"]))[:limit]
        audit_person_read(db, "waiting_list",
                          f"on={day}; units={','.join(flt.unit_ids or ()) or 'all'}; "
                          f"persons={len(person_rows)}")
    if fmt == OutputFormat.JSON:
        import json

        body = {**{k: plain(v) for k, v in totals.items()},
                "summary": [{c: plain(r.get(c)) for c in SUMMARY_COLUMNS} for r in summary]}
        if persons:
            body["persons"] = [{c: plain(r.get(c)) for c in WAITING_COLUMNS}
                               for r in person_rows]
        out.file.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == OutputFormat.CSV:
        emit(person_rows if persons else summary,
             WAITING_COLUMNS if persons else SUMMARY_COLUMNS, OutputFormat.CSV, console=out)
        return
    emit(summary, SUMMARY_COLUMNS, OutputFormat.TABLE, console=out,
         title=f"Waiting list on {day.isoformat()} by unit and professional group")
    out.print(f"Waiting: {totals['waiting']}   past the legal deadline: "
              f"{totals['past_deadline']}   deadline within 7 days: "
              f"{totals['due_within_7d']}", highlight=False)
    if persons:
        emit(person_rows, WAITING_COLUMNS, OutputFormat.TABLE, console=out,
             title="Waiting persons, nearest deadline first")
