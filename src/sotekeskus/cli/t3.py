"""``sotekeskus report t3``: T3 (third next available non-urgent appointment) from another
patient system's slot export (``--slots FILE``) or from the product's own schedules
(``--db``). Registered on the ``report`` group by :func:`register`; docs/booking.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sotekeskus.cli.common import DbOption, FormatOption, check_format, fail, out, parse_date


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


def _store_slots(db: str | None, day: object) -> list:  # type: ignore[type-arg]
    raise fail("give --slots FILE (T3 from the store's schedules is not available yet)", 2)
