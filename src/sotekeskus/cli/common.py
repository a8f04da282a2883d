"""What every command group shares: the consoles, the ``--db`` / ``--format`` options,
``fail`` (error message + exit code), the progress bar and small option parsers.

Exit codes: 0 success, 1 invalid input (file, option value, store), 2 usage error.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.analytics.filters import AccessFilter

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 240)

DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLite file path or database URL (default: $SOTEKESKUS_DB or sotekeskus.db)")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, csv or json")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on standard error; return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def progress() -> Progress:
    """A transient progress bar on standard error (silent when it is not a terminal)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), console=err, transient=True,
                    disable=not err.is_terminal)


def check_format(fmt: str) -> None:
    from sotekeskus.report_output import FORMATS

    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}", 2)


def split(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeated and comma-separated option values as one tuple (None when absent)."""
    if not values:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r}: not a date YYYY-MM-DD", 2) from None


def access_filter(month: str | None, unit: list[str] | None, service_area: list[str] | None,
                  professional_group: list[str] | None, age_group: str | None) -> AccessFilter:
    from sotekeskus.analytics.filters import AccessFilter, FilterError

    try:
        return AccessFilter(month_from=month, month_to=month, unit_ids=split(unit),
                            service_areas=split(service_area),
                            professional_groups=split(professional_group), age_group=age_group)
    except FilterError as exc:
        raise fail(str(exc), 2) from None


def analytics(db: str | None, parquet: Path | None, engine: str) -> Analytics:
    """The analytics engine a report reads: Parquet file, store snapshot or PostgreSQL."""
    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.domain.rules import RuleError

    try:
        if parquet is not None:
            if not parquet.exists():
                raise fail(f"{parquet}: no such file")
            return Analytics.from_parquet(parquet)
        if engine == "postgres":
            return Analytics.on_postgres(db or "")
        if engine != "duckdb":
            raise fail(f"--engine {engine!r}: use duckdb or postgres", 2)
        from sotekeskus.store.database import resolve_url, sqlite_path

        path = sqlite_path(resolve_url(db))
        if path is not None and not path.exists():
            raise fail(f"no store at {path}; import episodes first "
                       "(sotekeskus import episodes FILE --db …)")
        return Analytics.open(db)
    except (RuleError, ValueError) as exc:
        raise fail(str(exc)) from None
