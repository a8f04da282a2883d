"""``sotekeskus import events`` and ``sotekeskus report deadlines|deadlines-open``: the
statutory and regional deadlines of case events (planning.md §1).

Registered in ``cli/__init__.py`` into the ``import`` and ``report`` groups. The commands
are thin: the work is in :mod:`sotekeskus.ingest.case_events`,
:mod:`sotekeskus.store.case_events` and :mod:`sotekeskus.analytics.deadline_report`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sotekeskus.cli.common import (
    DbOption,
    FormatOption,
    audit_person_read,
    check_format,
    err,
    fail,
    out,
    parse_date,
)
from sotekeskus.report_output import OutputFormat

if TYPE_CHECKING:
    import pyarrow as pa

    from sotekeskus.analytics.deadline_report import DeadlineFilter
    from sotekeskus.domain.rules import RuleBook

CaseTypeOption = Annotated[list[str] | None, typer.Option(
    "--case-type", help="Only these case types (repeat or comma-separate); see "
                        "`sotekeskus rules list`")]
NoSuppressOption = Annotated[bool, typer.Option(
    "--no-suppress", help="Exact small counts (unit-level detail)")]
TargetsOption = Annotated[bool, typer.Option(
    "--targets", help="Judge every leg against the region's targets instead of the law")]


def import_events(
    file: Annotated[Path, typer.Argument(help="Case-events file, CSV (UTF-8) or Parquet")],
    db: DbOption = None,
) -> None:
    """Import a case-events file: all-or-nothing; re-importing a (case_id, event) updates it."""
    from sotekeskus.domain.rules import RuleError
    from sotekeskus.ingest.case_events import CaseEventFileError
    from sotekeskus.rules import default_rulebook
    from sotekeskus.store.case_events import import_case_event_file
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    if not file.exists():
        raise fail(f"{file}: no such file")
    started = datetime.now()
    try:
        legs = default_rulebook().legs()
    except RuleError as exc:
        raise fail(str(exc)) from None
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    try:
        result = import_case_event_file(engine, file, legs)
    except CaseEventFileError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    seconds = (datetime.now() - started).total_seconds()
    out.print(f"Imported {result.rows:,} case events of {result.cases:,} cases from {file} "
              f"({result.inserted:,} new, {result.updated:,} updated) in {seconds:.1f} s.",
              highlight=False)


def _inputs(db: str | None, month: str | None,
            case_type: list[str] | None) -> tuple[pa.Table, RuleBook, DeadlineFilter]:
    from sotekeskus.analytics.deadline_report import DeadlineFilter, load_case_events
    from sotekeskus.analytics.filters import FilterError
    from sotekeskus.domain.rules import RuleError
    from sotekeskus.rules import default_rulebook
    from sotekeskus.store.database import resolve_url, sqlite_path

    try:
        flt = DeadlineFilter.parse(month, case_type)
    except FilterError as exc:
        option = {"month": "--month", "case_type": "--case-type"}.get(exc.field)
        message = str(exc)
        if option and message.startswith(exc.field + ":"):
            message = option + message[len(exc.field):]
        raise fail(message, 2) from None
    path = sqlite_path(resolve_url(db))
    if path is not None and not path.exists():
        raise fail(f"no store at {path}; import case events first "
                   "(sotekeskus import events FILE --db …)")
    try:
        book = default_rulebook()
    except RuleError as exc:
        raise fail(str(exc)) from None
    return load_case_events(db), book, flt


def report_deadlines(
    db: DbOption = None,
    month: Annotated[str | None, typer.Option(
        help="Only this month of the end event, YYYY-MM (or YYYY-MM..YYYY-MM)")] = None,
    case_type: CaseTypeOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    no_suppress: NoSuppressOption = False,
    targets: TargetsOption = False,
) -> None:
    """Deadlines met per month × case type × leg (a leg counts in the month of its end event)."""
    from sotekeskus.analytics.deadline_report import (
        DEADLINE_FIELDS,
        deadline_rows,
        suppress_rows,
    )
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    events, book, flt = _inputs(db, month, case_type)
    rows = deadline_rows(events, book, flt, targets=targets)
    if not no_suppress:
        rows = suppress_rows(rows)
    emit(rows, DEADLINE_FIELDS, fmt, console=out,
         title="Deadlines " + ("against regional targets" if targets else
                               "(law; regional queues against their targets)"))


def report_deadlines_open(
    db: DbOption = None,
    on: Annotated[str | None, typer.Option(help="Date D, YYYY-MM-DD (default today)")] = None,
    case_type: CaseTypeOption = None,
    persons: Annotated[bool, typer.Option(
        "--persons", help="List the open cases too, nearest limit first (audited)")] = False,
    limit: Annotated[int, typer.Option(help="At most this many cases with --persons")] = 100,
    fmt: FormatOption = OutputFormat.TABLE,
    no_suppress: NoSuppressOption = False,
    targets: TargetsOption = False,
) -> None:
    """Open cases on a date: waiting for the end event, days so far, limit date, past it or
    due within 7 days."""
    from sotekeskus.analytics.deadline_report import (
        OPEN_FIELDS,
        OPEN_SUMMARY_FIELDS,
        open_legs,
        suppress_rows,
    )
    from sotekeskus.analytics.suppression import SUPPRESSED, is_small
    from sotekeskus.report_output import emit, plain

    fmt = check_format(fmt)
    day = parse_date(on, "--on") or date.today()
    events, book, flt = _inputs(db, None, case_type)
    result = open_legs(events, book, day, flt, targets=targets)
    totals: dict[str, object] = {"on": day, "open": len(result.rows),
                                 "past_limit": result.past_limit,
                                 "due_within_7d": result.due_within_7d}
    summary = result.summary
    if not no_suppress:
        summary = suppress_rows(summary)
        totals = {k: (SUPPRESSED if is_small(v) else v) for k, v in totals.items()}
    person_rows = result.rows[:limit] if persons else []
    if persons:
        audit_person_read(db, "deadlines_open",
                          f"on={day}; case_types={','.join(flt.case_types or ()) or 'all'}; "
                          f"persons={len(person_rows)}")
    if fmt == OutputFormat.JSON:
        import json

        body = {**{k: plain(v) for k, v in totals.items()},
                "summary": [{c: plain(r.get(c)) for c in OPEN_SUMMARY_FIELDS} for r in summary]}
        if persons:
            body["persons"] = [{c: plain(r.get(c)) for c in OPEN_FIELDS} for r in person_rows]
        out.file.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == OutputFormat.CSV:
        emit(person_rows if persons else summary,
             OPEN_FIELDS if persons else OPEN_SUMMARY_FIELDS, OutputFormat.CSV, console=out)
        return
    emit(summary, OPEN_SUMMARY_FIELDS, OutputFormat.TABLE, console=out,
         title=f"Open cases on {day.isoformat()} by case type and leg")
    out.print(f"Open: {totals['open']}   past the limit: {totals['past_limit']}   "
              f"limit within 7 days: {totals['due_within_7d']}", highlight=False)
    if persons:
        emit(person_rows, OPEN_FIELDS, OutputFormat.TABLE, console=out,
             title="Open cases, nearest limit first")
