"""Command-line interface: ``sotekeskus import|report|synth|serve|demo|rules``.

The commands are thin: they parse options, call the ingest / analytics / synth layers and
render the rows. Exit codes: 0 success, 1 invalid input (file, option), 2 usage error.
"""

from __future__ import annotations

import getpass
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from sotekeskus.analytics.filters import AccessFilter, FilterError
from sotekeskus.analytics.suppression import SUPPRESSED, is_small, public, suppress_rows
from sotekeskus.domain.indicators import ACCESS_FIELDS, TARGET_FIELDS
from sotekeskus.domain.rules import RuleError
from sotekeskus.ingest.errors import EpisodeFileError
from sotekeskus.report_output import FORMATS, emit, plain

app = typer.Typer(help="sotekeskus: care guarantee, care debt and knowledge-based management.",
                  no_args_is_help=True, add_completion=False)
import_app = typer.Typer(help="Import data files into the store.", no_args_is_help=True)
report_app = typer.Typer(help="Reports computed from the store.", no_args_is_help=True)
rules_app = typer.Typer(help="Care-guarantee rules and regional targets.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")
app.add_typer(rules_app, name="rules")

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 240)

DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLite file path or database URL (default: $SOTEKESKUS_DB or sotekeskus.db)")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, csv or json")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), console=err, transient=True,
                    disable=not err.is_terminal)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise _fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}", 2)


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} {value!r}: not a date YYYY-MM-DD", 2) from None


@import_app.command("episodes")
def import_episodes(
    file: Annotated[Path, typer.Argument(help="Episode file, CSV (UTF-8) or Parquet")],
    db: DbOption = None,
) -> None:
    """Import an episode file: all-or-nothing, re-importing an episode_id updates it."""
    from sotekeskus.ingest.episode_file import read_episode_file
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.episodes import upsert_episodes
    from sotekeskus.store.migrate import upgrade

    if not file.exists():
        raise _fail(f"{file}: no such file")
    started = datetime.now()
    with _progress() as progress:
        task = progress.add_task(f"Validating {file.name}", total=None)
        try:
            batch = read_episode_file(file)
        except EpisodeFileError as exc:
            progress.stop()
            err.print(exc.render(), highlight=False, markup=False)
            raise typer.Exit(1) from None
        engine = make_engine(resolve_url(db))
        upgrade(engine)
        progress.update(task, description=f"Writing {batch.table.num_rows:,} episodes",
                        total=batch.table.num_rows, completed=0)
        result = upsert_episodes(
            engine, batch.table, file_name=str(file), sha256=batch.sha256,
            imported_by=f"cli:{getpass.getuser()}",
            progress=lambda done, total: progress.update(task, completed=done))
    seconds = (datetime.now() - started).total_seconds()
    out.print(f"Imported {result.rows:,} episodes from {file} "
              f"({result.inserted:,} new, {result.updated:,} updated) in {seconds:.1f} s.",
              highlight=False)


def _access_filter(month: str | None, unit: list[str] | None, service_area: list[str] | None,
                   professional_group: list[str] | None, age_group: str | None) -> AccessFilter:
    try:
        return AccessFilter(month_from=month, month_to=month, unit_ids=_split(unit),
                            service_areas=_split(service_area),
                            professional_groups=_split(professional_group), age_group=age_group)
    except FilterError as exc:
        raise _fail(str(exc), 2) from None


def _analytics(db: str | None, parquet: Path | None, engine: str):  # type: ignore[no-untyped-def]
    from sotekeskus.analytics.engine import Analytics

    try:
        if parquet is not None:
            if not parquet.exists():
                raise _fail(f"{parquet}: no such file")
            return Analytics.from_parquet(parquet)
        if engine == "postgres":
            return Analytics.on_postgres(db or "")
        if engine != "duckdb":
            raise _fail(f"--engine {engine!r}: use duckdb or postgres", 2)
        from sotekeskus.store.database import resolve_url, sqlite_path

        path = sqlite_path(resolve_url(db))
        if path is not None and not path.exists():
            raise _fail(f"no store at {path}; import episodes first "
                        "(sotekeskus import episodes FILE --db …)")
        return Analytics.open(db)
    except (RuleError, ValueError) as exc:
        raise _fail(str(exc)) from None


@report_app.command("access")
def report_access(
    db: DbOption = None,
    month: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM")] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Only these unit ids")] = None,
    service_area: Annotated[list[str] | None, typer.Option(help="Only these areas")] = None,
    professional_group: Annotated[list[str] | None, typer.Option(help="Only these groups")] = None,
    age_group: Annotated[str | None, typer.Option(help="0-22, 23-64 or 65+")] = None,
    by_unit: Annotated[bool, typer.Option("--by-unit", help="One row per unit too")] = False,
    fmt: FormatOption = "table",
    no_suppress: Annotated[bool, typer.Option(
        "--no-suppress", help="Exact small counts (unit-level detail)")] = False,
    with_targets: Annotated[bool, typer.Option(
        "--with-targets", help="Add regional-target misses")] = False,
    parquet: Annotated[Path | None, typer.Option(
        help="Read this episode Parquet file instead of the store")] = None,
    engine: Annotated[str, typer.Option(help="duckdb (snapshot) or postgres (in-database)")
                      ] = "duckdb",
) -> None:
    """Care-guarantee access report per month × service area × professional group."""
    _check_format(fmt)
    flt = _access_filter(month, unit, service_area, professional_group, age_group)
    rows = _analytics(db, parquet, engine).access_report(flt, by_unit=by_unit)
    if not no_suppress:
        rows = suppress_rows(rows)
    rows = [public(r) for r in rows]
    keys = ["month", "service_area", "professional_group"] + (["unit_id"] if by_unit else [])
    columns = keys + list(ACCESS_FIELDS) + (list(TARGET_FIELDS) if with_targets else [])
    emit(rows, columns, fmt, console=out, title="Access report (hoitoonpääsy)")


@import_app.command("units")
def import_units(
    file: Annotated[Path, typer.Argument(help="CSV with unit_id, name, municipality")],
    db: DbOption = None,
) -> None:
    """Import unit names and municipalities (upsert by unit_id)."""
    import csv

    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.units import upsert_units

    if not file.exists():
        raise _fail(f"{file}: no such file")
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "unit_id" not in reader.fieldnames:
                raise _fail(f"{file}: line 1: a column unit_id is required")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise _fail(f"{file}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    for number, row in enumerate(rows, start=2):
        if not (row.get("unit_id") or "").strip():
            raise _fail(f"{file}: line {number}, column unit_id: a value is required")
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    written = upsert_units(engine, [{k: (v or "").strip() for k, v in r.items() if k}
                                    for r in rows])
    out.print(f"Imported {written} units from {file}.", highlight=False)


WAITING_COLUMNS = ["episode_id", "person_id", "unit_id", "service_area", "professional_group",
                   "assessed_on", "days_waited", "legal_deadline", "days_to_deadline"]
SUMMARY_COLUMNS = ["unit_id", "professional_group", "waiting", "past_deadline", "due_today",
                   "due_within_7d", "longest_wait_days"]


@report_app.command("waiting")
def report_waiting(
    db: DbOption = None,
    on: Annotated[str | None, typer.Option(help="Date D, YYYY-MM-DD (default today)")] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Only these unit ids")] = None,
    service_area: Annotated[list[str] | None, typer.Option(help="Only these areas")] = None,
    professional_group: Annotated[list[str] | None, typer.Option(help="Only these groups")] = None,
    persons: Annotated[bool, typer.Option(
        "--persons", help="List the waiting persons too (audited)")] = False,
    limit: Annotated[int, typer.Option(help="At most this many persons, nearest deadline first")
                     ] = 100,
    fmt: FormatOption = "table",
    no_suppress: Annotated[bool, typer.Option(
        "--no-suppress", help="Exact small counts in the summary (unit-level detail)")] = False,
) -> None:
    """Waiting list on a date: who waits, for how long, and how close the legal deadline is."""
    _check_format(fmt)
    day = _parse_date(on, "--on") or date.today()
    flt = _access_filter(None, unit, service_area, professional_group, None)
    an = _analytics(db, None, "duckdb")
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
        from sotekeskus.store import audit
        from sotekeskus.store.database import make_engine, resolve_url

        person_rows = sorted(wl.rows, key=lambda r: (
            r["days_to_deadline"] if r["days_to_deadline"] is not None else 10**6,
            r["episode_id"]))[:limit]
        audit.record(make_engine(resolve_url(db)), f"cli:{getpass.getuser()}",
                     audit.READ_PERSONS, "waiting_list",
                     f"on={day}; units={','.join(flt.unit_ids or ()) or 'all'}; "
                     f"persons={len(person_rows)}")
    if fmt == "json":
        import json

        body = {**{k: plain(v) for k, v in totals.items()},
                "summary": [{c: plain(r.get(c)) for c in SUMMARY_COLUMNS} for r in summary]}
        if persons:
            body["persons"] = [{c: plain(r.get(c)) for c in WAITING_COLUMNS}
                               for r in person_rows]
        out.file.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        emit(person_rows if persons else summary,
             WAITING_COLUMNS if persons else SUMMARY_COLUMNS, "csv", console=out)
        return
    emit(summary, SUMMARY_COLUMNS, "table", console=out,
         title=f"Waiting list on {day.isoformat()} by unit and professional group")
    out.print(f"Waiting: {totals['waiting']}   past the legal deadline: "
              f"{totals['past_deadline']}   deadline within 7 days: "
              f"{totals['due_within_7d']}", highlight=False)
    if persons:
        emit(person_rows, WAITING_COLUMNS, "table", console=out,
             title="Waiting persons, nearest deadline first")


@rules_app.command("list")
def rules_list(
    on: Annotated[str | None, typer.Option(help="Only rules in force on this date")] = None,
    fmt: FormatOption = "table",
) -> None:
    """The dated care-guarantee rules and regional targets, with their sources."""
    from sotekeskus.rules import default_rulebook

    _check_format(fmt)
    day = _parse_date(on, "--on")
    try:
        book = default_rulebook()
    except RuleError as exc:
        raise _fail(str(exc)) from None
    rows = [
        {"id": r.id, "kind": r.kind.value, "leg": r.leg.value,
         "effective_from": r.effective_from, "effective_to": r.effective_to,
         "service_areas": ",".join(sorted(a.value for a in r.service_areas)),
         "age": (f"{r.age_from}+" if r.age_from is not None else
                 f"<{r.age_below}" if r.age_below is not None else "all"),
         "limit": r.limit.describe(), "source": r.source}
        for r in sorted(book.rules, key=lambda r: (r.kind, r.leg, r.effective_from, r.id))
        if day is None or r.in_force_on(day)
    ]
    emit(rows, list(rows[0]) if rows else ["id"], fmt, console=out, title="Rules")


@app.command()
def synth(
    out_file: Annotated[Path, typer.Option("--out", help="Episode file to write (.csv/.parquet)")],
    residents: Annotated[int, typer.Option(help="Population of the region")] = 126_000,
    date_from: Annotated[str, typer.Option("--from", help="First contact date")] = "2019-01-01",
    date_to: Annotated[str, typer.Option("--to", help="Last date (the data's 'today')")
                       ] = "2025-12-31",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same region)")] = 1,
) -> None:
    """Generate a synthetic region: episodes, plus units beside them (<out>.units.csv)."""
    start = _parse_date(date_from, "--from")
    end = _parse_date(date_to, "--to")
    assert start is not None and end is not None
    if end < start:
        raise _fail("--to is before --from", 2)
    if residents < 100:
        raise _fail("--residents must be at least 100", 2)
    if out_file.suffix.lower() not in (".csv", ".parquet"):
        raise _fail(f"--out {out_file}: use a .csv or .parquet file name", 2)
    region = _generate(residents, start, end, seed)
    units_file = out_file.with_name(out_file.stem + ".units.csv")
    _write_region(region, out_file, units_file)
    out.print(f"Wrote {region.episodes.num_rows:,} episodes to {out_file} and "
              f"{region.units.num_rows} units to {units_file}.", highlight=False)


def _generate(residents: int, start: date, end: date, seed: int):  # type: ignore[no-untyped-def]
    from sotekeskus.synth import generate_region

    with _progress() as progress:
        task = progress.add_task(f"Generating {residents:,} residents", total=None)
        return generate_region(residents=residents, start=start, end=end, seed=seed,
                               progress=lambda d, t: progress.update(task, completed=d,
                                                                     total=t))


def _write_region(region, episodes_file: Path, units_file: Path) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.synth import write_episodes, write_units

    episodes_file.parent.mkdir(parents=True, exist_ok=True)
    write_episodes(region.episodes, episodes_file)
    write_units(region.units, units_file)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Allow the session cookie over plain HTTP (not localhost)")
    ] = False,
) -> None:
    """Serve the web app (management views) over the store."""
    import uvicorn

    from sotekeskus.store.database import resolve_url
    from sotekeskus.web.app import create_app

    url = resolve_url(db)
    web = create_app(url, secure_cookies=not insecure_cookies, warm_up=True)
    out.print(f"Serving on http://{host}:{port}  (Ctrl+C stops)", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option("--dir", help="Where the demo region lives")
                        ] = Path("demo-data"),
    residents: Annotated[int, typer.Option(help="Population of the demo region")] = 126_000,
    date_from: Annotated[str, typer.Option("--from")] = "2019-01-01",
    date_to: Annotated[str | None, typer.Option("--to", help="Default: today")] = None,
    serve_app: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Generate a synthetic region (if absent), import it, print the report and serve the app."""
    from sqlalchemy import select

    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.analytics.filters import AccessFilter
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.models import ImportRun

    episodes_file = data_dir / "region.parquet"
    units_file = data_dir / "region.units.csv"
    db_path = data_dir / "sotekeskus.db"
    if not episodes_file.exists():
        start = _parse_date(date_from, "--from")
        end = _parse_date(date_to, "--to") or date.today()
        assert start is not None
        out.print(f"Generating a synthetic region of {residents:,} residents, "
                  f"{start} – {end} …", highlight=False)
        region = _generate(residents, start, end, 1)
        _write_region(region, episodes_file, units_file)
    url = resolve_url(str(db_path))
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        imported = conn.execute(select(ImportRun.id)).first() is not None
    if not imported:
        import_units(units_file, str(db_path))
        import_episodes(episodes_file, str(db_path))
    from sotekeskus.store.monitoring import seed_region_indicators
    from sotekeskus.store.users import seed_demo_users

    accounts = seed_demo_users(engine)
    seed_region_indicators(engine)
    an = Analytics.open(str(db_path))
    first, last = an.date_range()
    if last is not None:
        prev = last.replace(day=1)  # the last full month before the data's last day
        month = date(prev.year - (prev.month == 1), (prev.month - 2) % 12 + 1, 1).strftime("%Y-%m")
        rows = [public(r) for r in suppress_rows(an.access_report(AccessFilter.for_month(month)))]
        emit(rows, ["month", "service_area", "professional_group", *ACCESS_FIELDS], "table",
             console=out, title=f"Access report, {month} (synthetic region, {first} – {last})")
        on = min(last, date.today())
        wl = an.waiting_list(on)
        out.print(f"Waiting on {on}: {len(wl.rows):,}; past the legal deadline: "
                  f"{wl.past_deadline:,}; deadline within 7 days: {wl.due_within_7d:,}",
                  highlight=False)
    if not serve_app:
        return
    out.print("\nDemo accounts (user / password / role):", highlight=False)
    for username, password, role, units in accounts:
        extra = f"  units {', '.join(units)}" if units else ""
        out.print(f"  {username} / {password} / {role}{extra}", highlight=False)
    serve(str(db_path), "127.0.0.1", port, False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
