"""``sotekeskus import avohilmo``: an Avohilmo-style extract through the code maps
(docs/avohilmo.md). Registered on the ``import`` group by ``cli/__init__.py``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from sotekeskus.cli.common import DbOption, cli_actor, err, fail, out, progress

MapOption = Annotated[Path | None, typer.Option(
    "--map", help="Folder of code-map CSV files replacing the shipped tables of the same name "
                  "(contact_mode, service_type, visit_nature, booking_status, professional, "
                  "urgency)")]
QuarantineOption = Annotated[bool, typer.Option(
    "--quarantine", help="Import the valid rows and keep every rejected row with its reasons "
                         "(see report data-quality) instead of importing nothing")]


def import_avohilmo(
    file: Annotated[Path, typer.Argument(help="Avohilmo-style extract, CSV (UTF-8)")],
    map_dir: MapOption = None,
    db: DbOption = None,
    quarantine: QuarantineOption = False,
) -> None:
    """Import an Avohilmo-style extract: codes mapped by the code tables, all-or-nothing
    (or --quarantine), re-importing a KAYNTI_TUNNISTE updates its episode."""
    from sotekeskus.ingest.errors import EpisodeFileError, StoreBusyError
    from sotekeskus.interop.avohilmo import import_avohilmo as run
    from sotekeskus.interop.codes import CodeMapError
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    if not file.exists():
        raise fail(f"{file}: no such file")
    started = datetime.now()
    with progress() as bar:
        task = bar.add_task(f"Importing {file.name}", total=None)
        try:
            engine = make_engine(resolve_url(db))
            upgrade(engine)
            result = run(engine, file, map_dir=map_dir, quarantine=quarantine,
                         imported_by=cli_actor(),
                         progress=lambda done, total: bar.update(task, completed=done,
                                                                 total=total))
        except EpisodeFileError as exc:
            bar.stop()
            err.print(exc.render(), highlight=False, markup=False)
            raise typer.Exit(1) from None
        except (CodeMapError, StoreBusyError) as exc:
            bar.stop()
            raise fail(str(exc)) from None
    seconds = (datetime.now() - started).total_seconds()
    imported = result.imported
    out.print(f"Imported {imported.rows:,} episodes from {file} ({imported.inserted:,} new, "
              f"{imported.updated:,} updated) in {seconds:.1f} s.", highlight=False)
    for reason, count in result.excluded.items():
        out.print(f"Left out {count:,} rows: {reason}.", highlight=False)
    if quarantine:
        out.print(f"Quarantined {result.quarantined:,} rows with their reasons "
                  "(sotekeskus report data-quality).", highlight=False)


def import_episodes_quarantine(file: Path, db: str | None) -> None:
    """``import episodes --quarantine`` (called by ``cli/imports.py``)."""
    from sotekeskus.ingest.episode_file import open_episode_file
    from sotekeskus.ingest.errors import EpisodeFileError, StoreBusyError
    from sotekeskus.interop.quarantine import import_episodes_with_quarantine
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    if not file.exists():
        raise fail(f"{file}: no such file")
    started = datetime.now()
    with progress() as bar:
        task = bar.add_task(f"Importing {file.name}", total=None)
        try:
            episode_file = open_episode_file(file)  # a bad header still stops everything
            engine = make_engine(resolve_url(db))
            upgrade(engine)
            result = import_episodes_with_quarantine(
                engine, episode_file, imported_by=cli_actor(),
                progress=lambda done, total: bar.update(task, completed=done, total=total))
        except EpisodeFileError as exc:
            bar.stop()
            err.print(exc.render(), highlight=False, markup=False)
            raise typer.Exit(1) from None
        except StoreBusyError as exc:
            bar.stop()
            raise fail(f"{file}: {exc}") from None
    seconds = (datetime.now() - started).total_seconds()
    imported = result.imported
    out.print(f"Imported {imported.rows:,} episodes from {file} ({imported.inserted:,} new, "
              f"{imported.updated:,} updated) in {seconds:.1f} s.", highlight=False)
    out.print(f"Quarantined {result.rejected_rows:,} rows with their reasons "
              "(sotekeskus report data-quality).", highlight=False)


def report_data_quality(
    db: DbOption = None,
    by: Annotated[str, typer.Option(
        help="unit-month: figures per unit and month; unit-group: rejected rows per unit and "
             "professional group; reason: rejected rows per unit and reason")] = "unit-month",
    unit: Annotated[list[str] | None, typer.Option(
        help="Only these unit ids (repeat or comma-separate)")] = None,
    month: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: table, csv, json")
                   ] = "table",
    no_suppress: Annotated[bool, typer.Option(
        "--no-suppress", help="Exact small counts (unit-level detail)")] = False,
) -> None:
    """Data quality per unit and month: assessment coverage, missing contact modes, rejected
    rows by reason (invalid codes, missing values, bad dates, order, duplicates)."""
    import re

    from sotekeskus.analytics.suppression import suppress_rows
    from sotekeskus.cli.common import check_format, split
    from sotekeskus.interop.quality import (
        BY,
        GROUP_COLUMNS,
        REASON_COLUMNS,
        SUPPRESSION,
        UNIT_MONTH_COLUMNS,
        data_quality,
    )
    from sotekeskus.report_output import emit
    from sotekeskus.store.database import StoreError, make_engine, resolve_url, sqlite_path
    from sotekeskus.store.migrate import require_current

    output = check_format(fmt)
    if by not in BY:
        raise fail(f"--by {by!r}: use one of {', '.join(BY)}", 2)
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise fail(f"--month {month!r}: not a month YYYY-MM", 2)
    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"no store at {path}; import episodes first")
    engine = make_engine(url)
    try:
        require_current(engine)
        rows = data_quality(engine, by, split(unit), month)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    if not no_suppress:
        rows = suppress_rows(rows, SUPPRESSION)
    columns = {"unit-month": UNIT_MONTH_COLUMNS, "unit-group": GROUP_COLUMNS,
               "reason": REASON_COLUMNS}[by]
    emit(rows, list(columns), output, console=out, title="Data quality")


export_app = typer.Typer(help="Export the store in interchange formats.", no_args_is_help=True)


@export_app.command("fhir")
def export_fhir(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the NDJSON files")],
    db: DbOption = None,
    map_dir: MapOption = None,
) -> None:
    """FHIR R4 bulk export: NDJSON per resource type (Organization, Location, Patient
    pseudonymised, EpisodeOfCare, Encounter with Hilmo contact-mode codes), every resource
    validated against R4."""
    from sotekeskus.interop.codes import CodeMapError
    from sotekeskus.interop.fhir.bulk_export import export_fhir as run
    from sotekeskus.interop.fhir.validate import R4ValidationError
    from sotekeskus.store.database import StoreError, make_engine, resolve_url, sqlite_path
    from sotekeskus.store.migrate import require_current

    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"no store at {path}; import episodes first")
    engine = make_engine(url)
    try:
        require_current(engine)
        result = run(engine, out_dir, map_dir=map_dir)
    except (StoreError, CodeMapError, R4ValidationError) as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    counts = ", ".join(f"{n:,} {kind}" for kind, n in result.counts.items())
    out.print(f"Wrote {counts} to {result.folder} (FHIR R4 NDJSON).", highlight=False)


def import_fhir(
    folder: Annotated[Path, typer.Argument(help="Folder of a FHIR R4 bulk NDJSON export")],
    db: DbOption = None,
) -> None:
    """Import a FHIR R4 bulk export (Organization, Patient, EpisodeOfCare, Encounter NDJSON):
    every resource validated against R4, all-or-nothing, re-importing updates."""
    from sotekeskus.ingest.errors import EpisodeFileError, StoreBusyError
    from sotekeskus.interop.fhir.bulk_import import import_fhir as run
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    if not folder.exists():
        raise fail(f"{folder}: no such folder")
    started = datetime.now()
    try:
        engine = make_engine(resolve_url(db))
        upgrade(engine)
        result = run(engine, folder, imported_by=cli_actor())
    except EpisodeFileError as exc:
        err.print(exc.render(), highlight=False, markup=False)
        raise typer.Exit(1) from None
    except StoreBusyError as exc:
        raise fail(f"{folder}: {exc}") from None
    seconds = (datetime.now() - started).total_seconds()
    imported = result.imported
    out.print(f"Imported {imported.rows:,} episodes and {result.units:,} units from {folder} "
              f"({imported.inserted:,} new, {imported.updated:,} updated) in {seconds:.1f} s.",
              highlight=False)


clients_app = typer.Typer(help="Clients of the FHIR API: scoped bearer tokens and OAuth2 "
                               "client credentials.",
                          no_args_is_help=True)


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Argument(help="Client name (letters, digits, _ . -)")],
    role: Annotated[str, typer.Option(help="Role under the access policy (e.g. professional, "
                                           "manager, leadership)")],
    scope: Annotated[list[str], typer.Option(help="SMART-style scope, repeatable: "
                                                  "system/<Type>.<read|write|*>")],
    unit: Annotated[list[str] | None, typer.Option(help="Unit id of the client, repeatable")
                    ] = None,
    db: DbOption = None,
) -> None:
    """Create an API client; prints its bearer token once (only a digest is stored)."""
    from sotekeskus.interop.fhir.clients import ClientError, create_client
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    engine = make_engine(resolve_url(db))
    try:
        upgrade(engine)
        client, token = create_client(engine, name, role, unit or [], scope)
    except ClientError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    out.print(f"Created API client {client.name} (role {client.role.value}). Its token, shown "
              "only now:", highlight=False)
    out.print(token, highlight=False, markup=False)


@clients_app.command("list")
def clients_list(db: DbOption = None) -> None:
    """List API clients (never their tokens)."""
    from sotekeskus.interop.fhir.clients import list_clients
    from sotekeskus.report_output import emit
    from sotekeskus.store.database import make_engine, resolve_url

    engine = make_engine(resolve_url(db))
    try:
        rows = [{"name": c.name, "role": c.role.value, "units": ",".join(sorted(c.units)),
                 "scopes": " ".join(sorted(c.scopes)), "active": not c.revoked}
                for c in list_clients(engine)]
    finally:
        engine.dispose()
    emit(rows, ["name", "role", "units", "scopes", "active"], "table", console=out,
         title="API clients")


@clients_app.command("revoke")
def clients_revoke(name: Annotated[str, typer.Argument(help="Client name")],
                   db: DbOption = None) -> None:
    """Revoke an API client: its static token and its access tokens stop working at once."""
    from sotekeskus.interop.fhir.clients import ClientError, revoke_client
    from sotekeskus.store.database import make_engine, resolve_url

    engine = make_engine(resolve_url(db))
    try:
        revoke_client(engine, name)
    except ClientError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    out.print(f"Revoked API client {name}.", highlight=False)


@clients_app.command("secret")
def clients_secret(name: Annotated[str, typer.Argument(help="Client name")],
                   db: DbOption = None) -> None:
    """Set a new client secret for the OAuth2 token endpoint (POST /fhir/auth/token,
    grant_type=client_credentials; client id = the client's name); prints it once (only an
    argon2 hash is stored) and replaces any earlier secret."""
    from sotekeskus.interop.fhir.clients import ClientError
    from sotekeskus.interop.fhir.oauth import set_secret
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    engine = make_engine(resolve_url(db))
    try:
        upgrade(engine)
        secret = set_secret(engine, name)
    except ClientError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    out.print(f"New client secret of API client {name}, shown only now:", highlight=False)
    out.print(secret, highlight=False, markup=False)
