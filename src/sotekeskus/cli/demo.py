"""``sotekeskus demo``: generate a synthetic region (if absent), import it, print the
report and serve the app — the orchestration of the other commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from sotekeskus.cli.common import out, parse_date
from sotekeskus.cli.imports import import_episodes, import_units
from sotekeskus.cli.serve import serve
from sotekeskus.cli.synth import events_file_of, generate, write_region


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
    from sotekeskus.analytics.suppression import public, suppress_rows
    from sotekeskus.domain.indicators import ACCESS_FIELDS
    from sotekeskus.report_output import OutputFormat, emit
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.models import ImportRun

    episodes_file = data_dir / "region.parquet"
    units_file = data_dir / "region.units.csv"
    db_path = data_dir / "sotekeskus.db"
    if not episodes_file.exists():
        start = parse_date(date_from, "--from")
        end = parse_date(date_to, "--to") or date.today()
        assert start is not None
        out.print(f"Generating a synthetic region of {residents:,} residents, "
                  f"{start} – {end} …", highlight=False)
        region = generate(residents, start, end, 1)
        write_region(region, episodes_file, units_file)
    url = resolve_url(str(db_path))
    engine = make_engine(url)
    upgrade(engine)
    from sotekeskus.care.questionnaires.examples import seed_examples

    seed_examples(engine)  # the shipped example questionnaires (idempotent)
    with engine.connect() as conn:
        imported = conn.execute(select(ImportRun.id)).first() is not None
    if not imported:
        import_units(units_file, str(db_path))
        import_episodes(episodes_file, str(db_path))
    from sotekeskus.store.case_events import count_events

    if events_file_of(episodes_file).exists() and not count_events(engine):
        from sotekeskus.cli.deadlines import import_events

        import_events(events_file_of(episodes_file), str(db_path))
    from sotekeskus.store.monitoring import seed_region_indicators
    from sotekeskus.store.users import seed_demo_users

    accounts = seed_demo_users(engine)
    from sotekeskus.synth.operations import live_moment, seed_operations

    # the workdesk: staff, schedules and a live morning on the region's last day
    accounts += seed_operations(engine, live_moment(parse_date(date_to, "--to")))
    seed_region_indicators(engine)
    an = Analytics.open(str(db_path))
    first, last = an.date_range()
    if last is not None:
        prev = last.replace(day=1)  # the last full month before the data's last day
        month = date(prev.year - (prev.month == 1), (prev.month - 2) % 12 + 1, 1).strftime("%Y-%m")
        rows = [public(r) for r in suppress_rows(an.access_report(AccessFilter.for_month(month)))]
        emit(rows, ["month", "service_area", "professional_group", *ACCESS_FIELDS],
             OutputFormat.TABLE, console=out,
             title=f"Access report, {month} (synthetic region, {first} – {last})")
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
    _print_front_door(engine, port)
    serve(str(db_path), "127.0.0.1", port, False)


def _print_front_door(engine: object, port: int) -> None:
    """How to sign in as a synthetic resident (test identity provider) and where the same
    live case is on the front door, the workdesk and the management web."""
    from sotekeskus.care.catalogue import default_catalogue
    from sotekeskus.care.front_door_demo import demo_residents

    base = f"http://127.0.0.1:{port}"
    residents = demo_residents(engine, dict(default_catalogue().services))  # type: ignore[arg-type]
    out.print(f"\nResident front door: {base}/asiointi/ → Tunnistaudu → the TEST identity "
              "provider → pick or type one of these synthetic residents:", highlight=False)
    for r in residents:
        book = ", can book a time" if r.can_book else ""
        out.print(f"  {r.hetu}  {r.name}  case {r.case_id} ({r.state}{book})", highlight=False)
        out.print(f"    front door: {base}/asiointi/omat/{r.case_id}   workdesk (hoitaja): "
                  f"{base}/workdesk/cases/{r.case_id}   management: {base}/situation",
                  highlight=False)
