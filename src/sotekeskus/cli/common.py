"""What every command group shares: the consoles, the ``--db`` / ``--format`` / code
options, ``fail`` (error message + exit code), the progress bar and small option parsers.

Exit codes: 0 success; 1 invalid input (a file, a store, a unit id the store does not know);
2 usage error (a malformed option, or a code outside its vocabulary — the message lists the
allowed codes). Code options take their allowed values from the enums of
``domain/vocabulary.py`` (and :class:`~sotekeskus.report_output.OutputFormat`,
:class:`Engine`), never retyped strings.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sotekeskus.analytics.filters import FilterError
from sotekeskus.domain.indicators import AGE_GROUPS
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.report_output import OutputFormat

if TYPE_CHECKING:
    from rich.progress import Progress

    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.analytics.filters import AccessFilter

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 240)



class Engine(StrEnum):
    """Where a report runs: the DuckDB snapshot of the store, inside PostgreSQL, or on
    Apache Spark (local mode unless SOTEKESKUS_SPARK_MASTER names a cluster)."""

    DUCKDB = "duckdb"
    POSTGRES = "postgres"
    SPARK = "spark"


def _codes(vocabulary: type[StrEnum] | dict[str, object]) -> str:
    return ", ".join(str(v) for v in vocabulary)


DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLite file path or database URL (default: $SOTEKESKUS_DB or sotekeskus.db)")]
FormatOption = Annotated[str, typer.Option(
    "--format", "-f", help=f"Output format: {_codes(OutputFormat)}")]
EngineOption = Annotated[str, typer.Option(
    help="Where the report runs: duckdb (a snapshot of the store), postgres (inside the "
         "PostgreSQL store) or spark (Apache Spark, master from SOTEKESKUS_SPARK_MASTER)")]
UnitOption = Annotated[list[str] | None, typer.Option(
    help="Only these unit ids (repeat or comma-separate); must be units of the store")]
ServiceAreaOption = Annotated[list[str] | None, typer.Option(
    help=f"Only these service areas (repeat or comma-separate): {_codes(ServiceArea)}")]
ProfessionalGroupOption = Annotated[list[str] | None, typer.Option(
    help="Only these professional groups (repeat or comma-separate): "
         f"{_codes(ProfessionalGroup)}")]
AgeGroupOption = Annotated[str | None, typer.Option(
    help=f"Only this age group (age on the contact date): {_codes(AGE_GROUPS)}")]

#: AccessFilter field (as named in a FilterError) → the CLI option that sets it.
OPTION_OF_FIELD = {"month_from": "--month", "month_to": "--month", "unit": "--unit",
                   "service_area": "--service-area",
                   "professional_group": "--professional-group", "age_group": "--age-group"}


def cli_actor() -> str:
    """Who the CLI acts as in the audit log and import records: ``cli:<system user>``."""
    import getpass

    return f"cli:{getpass.getuser()}"


def audit_person_read(db: str | None, target: str, detail: str) -> None:
    """Write a CLI person-level read (``--persons``) to the store's audit log."""
    from sotekeskus.store import audit
    from sotekeskus.store.database import make_engine, resolve_url

    audit.record(make_engine(resolve_url(db)), cli_actor(), audit.READ_PERSONS, target, detail)


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


def check_format(fmt: str) -> OutputFormat:
    """``--format`` as an :class:`OutputFormat`; exit 2 listing the formats otherwise."""
    try:
        return OutputFormat(fmt)
    except ValueError:
        raise fail(f"--format {fmt!r}: use one of {_codes(OutputFormat)}", 2) from None


def check_engine(engine: str) -> Engine:
    """``--engine`` as an :class:`Engine`; exit 2 listing the engines otherwise."""
    try:
        return Engine(engine)
    except ValueError:
        raise fail(f"--engine {engine!r}: use one of {_codes(Engine)}", 2) from None


def filter_failure(exc: FilterError, code: int = 2) -> typer.Exit:
    """A :class:`FilterError` as a CLI error naming the option instead of the field."""
    message = str(exc)
    option = OPTION_OF_FIELD.get(exc.field)
    if option and message.startswith(exc.field + ":"):
        message = option + message[len(exc.field):]
    return fail(message, code)


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
    """The report filter from the CLI options; exit 2 naming the option on a bad value."""
    from sotekeskus.analytics.filters import AccessFilter

    try:
        return AccessFilter(month_from=month, month_to=month, unit_ids=split(unit),
                            service_areas=split(service_area),
                            professional_groups=split(professional_group), age_group=age_group)
    except FilterError as exc:
        raise filter_failure(exc) from None


def check_units(an: Analytics, flt: AccessFilter) -> None:
    """Exit 1 if ``--unit`` names a unit the store (or Parquet file) does not have."""
    if flt.unit_ids:
        check_unit_ids(flt, [u["unit_id"] for u in an.units()])


def check_unit_ids(flt: AccessFilter, known: list[str]) -> None:
    """Exit 1 if ``--unit`` names a unit not among ``known``, listing the known ones."""
    try:
        flt.check_units(known)
    except FilterError as exc:
        raise filter_failure(exc, 1) from None


def analytics(db: str | None, parquet: Path | None, engine: str) -> Analytics:
    """The analytics engine a report reads: Parquet file, store snapshot or PostgreSQL."""
    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.domain.rules import RuleError
    from sotekeskus.store.database import StoreError

    try:
        if parquet is not None and not parquet.exists():
            raise fail(f"{parquet}: no such file")
        if check_engine(engine) == Engine.SPARK:
            from sotekeskus.analytics.backends.spark import SparkError

            try:
                return Analytics.on_spark(db, parquet=parquet)
            except SparkError as exc:
                raise fail(str(exc)) from None
        if parquet is not None:
            return Analytics.from_parquet(parquet)
        if check_engine(engine) == Engine.POSTGRES:
            return Analytics.on_postgres(db or "")
        from sotekeskus.store.database import resolve_url, sqlite_path

        path = sqlite_path(resolve_url(db))
        if path is not None and not path.exists():
            raise fail(f"no store at {path}; import episodes first "
                       "(sotekeskus import episodes FILE --db …)")
        return Analytics.open(db)
    except (RuleError, StoreError, ValueError) as exc:
        raise fail(str(exc)) from None
