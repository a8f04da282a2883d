"""``sotekeskus report t3``: T3 (third next available non-urgent appointment) from another
patient system's slot export (``--slots FILE``) or from the product's own schedules
(``--db``). Registered on the ``report`` group by :func:`register`; docs/booking.md."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sotekeskus.cli.common import DbOption, FormatOption, check_format, fail, out, parse_date

if TYPE_CHECKING:
    from sotekeskus.domain.workflow.t3 import Slot


def register(app: typer.Typer) -> None:
    """Add ``t3`` to the ``report`` command group."""
    app.command("t3")(report_t3)


def report_t3(
    on: Annotated[str, typer.Option("--on", help="Measurement day D, YYYY-MM-DD")],
    slots: Annotated[Path | None, typer.Option(
        "--slots", help="Slot export CSV: professional_id,unit_id,professional_group,start,"
                        "end,kind,status (default: the schedules in the store)")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """T3 per professional and the unit median per professional group (182 when no third
    free non-urgent slot; see docs/booking.md)."""
    from sotekeskus.care.booking import t3_report
    from sotekeskus.domain.workflow.t3 import compute_t3
    from sotekeskus.report_output import emit

    fmt = check_format(fmt)
    day = parse_date(on, "--on")
    assert day is not None
    if slots is not None:
        from sotekeskus.care.booking.slot_export import SlotFileError, read_slot_file

        try:
            slot_rows = read_slot_file(slots)
        except SlotFileError as exc:
            raise fail(str(exc)) from None
    else:
        slot_rows = _store_slots(db, day)
    result = compute_t3(slot_rows, day)
    if fmt == "json":
        out.file.write(json.dumps(t3_report.as_json(result), ensure_ascii=False, indent=2)
                       + "\n")
    elif fmt == "csv":
        emit(t3_report.csv_rows(result), t3_report.CSV_COLUMNS, fmt, console=out)
    else:
        emit(t3_report.unit_rows(result), t3_report.UNIT_COLUMNS, fmt, console=out,
             title=f"T3 on {day.isoformat()} by unit and professional group (days)")
        emit(t3_report.professional_rows(result), t3_report.PROFESSIONAL_COLUMNS, fmt,
             console=out, title="T3 per professional (days)")


def _store_slots(db: str | None, day: date) -> list[Slot]:
    """The store's slots as they were at the start of ``day`` (docs/booking.md)."""
    from sqlalchemy.orm import Session

    from sotekeskus.care.booking.t3_store import slots_as_of
    from sotekeskus.store.database import StoreError, make_engine, resolve_url, sqlite_path

    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"no store at {path}; give --slots FILE or --db")
    from sqlalchemy.exc import DBAPIError

    try:
        engine = make_engine(url)
        with Session(engine) as session:
            return slots_as_of(session, day)
    except DBAPIError as exc:
        raise fail(f"the store has no schedules table ({exc.orig}); run sotekeskus migrate"
                   ) from None
    except (StoreError, OSError) as exc:
        raise fail(str(exc)) from None
