"""``sotekeskus rules list``: the dated care-guarantee rules and regional targets."""

from __future__ import annotations

from typing import Annotated

import typer

from sotekeskus.cli.common import FormatOption, check_format, fail, out, parse_date

app = typer.Typer(help="Care-guarantee rules and regional targets.", no_args_is_help=True)


@app.command("list")
def rules_list(
    on: Annotated[str | None, typer.Option(help="Only rules in force on this date")] = None,
    fmt: FormatOption = "table",
) -> None:
    """The dated care-guarantee rules and regional targets, with their sources."""
    from sotekeskus.domain.rules import RuleError
    from sotekeskus.report_output import emit
    from sotekeskus.rules import default_rulebook

    fmt = check_format(fmt)
    day = parse_date(on, "--on")
    try:
        book = default_rulebook()
    except RuleError as exc:
        raise fail(str(exc)) from None
    rows = [
        {"id": r.id, "kind": r.kind.value,
         "case_types": ",".join(sorted(c.value for c in r.case_types)),
         "from_event": r.from_event.value, "to_event": r.to_event.value,
         "effective_from": r.effective_from, "effective_to": r.effective_to,
         "service_areas": ",".join(sorted(a.value for a in r.service_areas)),
         "age": (f"{r.age_from}+" if r.age_from is not None else
                 f"<{r.age_below}" if r.age_below is not None else "all"),
         "limit": r.limit.describe(), "source": r.source}
        for r in sorted(book.rules, key=lambda r: (r.kind, sorted(r.legs), r.effective_from,
                                                   r.id))
        if day is None or r.in_force_on(day)
    ]
    emit(rows, list(rows[0]) if rows else ["id"], fmt, console=out, title="Rules")
