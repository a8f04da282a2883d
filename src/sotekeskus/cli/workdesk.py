"""``sotekeskus report workdesk``: the workdesk figures of a day (docs/workdesk.md), from the
operational tables of the store. Registered on the ``report`` group by :func:`register`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

import typer

from sotekeskus.cli.common import (
    DbOption,
    FormatOption,
    UnitOption,
    check_format,
    fail,
    out,
    parse_date,
    split,
)

SUMMARY_COLUMNS = ["figure", "value", "count"]


def register(app: typer.Typer) -> None:
    app.command("workdesk")(report_workdesk)


def _suppress(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from sotekeskus.analytics.suppression import suppress_rows

    return suppress_rows(rows, {"count": ("value",)})


def report_workdesk(
    on: Annotated[str | None, typer.Option("--on", help="Day, YYYY-MM-DD (default: today)")
                  ] = None,
    db: DbOption = None,
    unit: UnitOption = None,
    fmt: FormatOption = "table",
    no_suppress: Annotated[bool, typer.Option(
        "--no-suppress", help="Exact small counts (unit-level detail)")] = False,
) -> None:
    """Contacts by channel, queue, chat first-reply wait, call-back delay, same-day
    assessment, first-contact resolution, routing by service, questionnaires, cases past a
    deadline."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm import Session

    from sotekeskus.care.figures import compute
    from sotekeskus.report_output import emit, plain
    from sotekeskus.store.database import make_engine, resolve_url, sqlite_path
    from sotekeskus.store.users import known_units

    fmt = check_format(fmt)
    day = parse_date(on, "--on") or date.today()
    now = datetime.now() if day == date.today() else datetime.combine(day, datetime.max.time())
    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"no store at {path}")
    engine = make_engine(url)
    units = split(unit)
    try:
        if units:
            known = set(known_units(engine))
            unknown = [u for u in units if u not in known]
            if unknown:
                raise fail(f"--unit {unknown[0]!r}: unknown unit; allowed: "
                           + ", ".join(sorted(known)))
        with Session(engine) as session:
            figures = compute(session, day, now, units)
    except DBAPIError as exc:
        raise fail(f"the store has no workdesk tables ({exc.orig}); run sotekeskus migrate"
                   ) from None
    finally:
        engine.dispose()
    summary = figures.summary() if no_suppress else _suppress(figures.summary())
    if fmt == "json":
        body = {k: v for k, v in vars(figures).items()}
        body["summary"] = summary
        if not no_suppress:
            for key in ("contacts_by_channel", "contacts_by_hour", "queue", "routing",
                        "questionnaires", "past_deadline"):
                body[key] = _suppress_counts(body[key])
            for key, denominator in _DENOMINATORS.items():
                body[key] = _suppress_mapping(body[key], denominator)
        out.file.write(json.dumps(body, default=plain, ensure_ascii=False, indent=2) + "\n")
        return
    emit(summary, SUMMARY_COLUMNS, fmt, console=out,
         title=f"Workdesk figures, {day.isoformat()}")


_COUNT_KEYS = ("contacts", "waiting", "cases", "by_rule", "manual")


def _suppress_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from sotekeskus.analytics.suppression import suppress_rows

    return suppress_rows(rows, {k: ("oldest_wait_min",) if k == "waiting" else ()
                                for k in _COUNT_KEYS})


#: The count each mapping figure's shares and times are computed over.
_DENOMINATORS = {"chat": "answered", "callback": "called_back", "same_day": "contacts",
                 "first_contact_resolution": "assessed"}


def _suppress_mapping(row: dict[str, Any], denominator: str) -> dict[str, Any]:
    """Counts below 5 as "<5"; shares and times hidden when their denominator is small."""
    from sotekeskus.analytics.suppression import SUPPRESSED, is_small

    hide = is_small(row[denominator])
    return {k: (SUPPRESSED if is_small(v) else None if hide and isinstance(v, float | None)
                else v) for k, v in row.items()}
