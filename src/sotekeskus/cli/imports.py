"""``sotekeskus import episodes|units``: load data files into the store (all-or-nothing)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from sotekeskus.cli.common import DbOption, cli_actor, err, fail, out, progress

app = typer.Typer(help="Import data files into the store.", no_args_is_help=True)


@app.command("episodes")
def import_episodes(
    file: Annotated[Path, typer.Argument(help="Episode file, CSV (UTF-8) or Parquet")],
    db: DbOption = None,
    quarantine: Annotated[bool, typer.Option(
        "--quarantine", help="Import the valid rows and keep every rejected row with its "
                             "reasons (see report data-quality) instead of importing nothing")
    ] = False,
) -> None:
    """Import an episode file: all-or-nothing, re-importing an episode_id updates it."""
    if quarantine:
        from sotekeskus.cli.interop import import_episodes_quarantine

        return import_episodes_quarantine(file, db)
    from sotekeskus.ingest.episode_file import EpisodeScan, open_episode_file
    from sotekeskus.ingest.errors import EpisodeFileError, StoreBusyError
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.episodes import upsert_episodes
    from sotekeskus.store.migrate import upgrade

    if not file.exists():
        raise fail(f"{file}: no such file")
    started = datetime.now()
    with progress() as bar:
        task = bar.add_task(f"Importing {file.name}", total=None)
        try:
            episode_file = open_episode_file(file)
            engine = make_engine(resolve_url(db))
            upgrade(engine)
            result = upsert_episodes(
                engine, EpisodeScan(episode_file), file_name=str(file),
                imported_by=cli_actor(),
                expected_rows=episode_file.estimated_rows(),
                progress=lambda done, total: bar.update(task, completed=done, total=total))
        except EpisodeFileError as exc:
            bar.stop()
            err.print(exc.render(), highlight=False, markup=False)
            raise typer.Exit(1) from None
        except StoreBusyError as exc:
            bar.stop()
            raise fail(f"{file}: {exc}") from None
    seconds = (datetime.now() - started).total_seconds()
    out.print(f"Imported {result.rows:,} episodes from {file} "
              f"({result.inserted:,} new, {result.updated:,} updated) in {seconds:.1f} s.",
              highlight=False)


@app.command("units")
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
        raise fail(f"{file}: no such file")
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "unit_id" not in reader.fieldnames:
                raise fail(f"{file}: line 1: a column unit_id is required")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise fail(f"{file}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    for number, row in enumerate(rows, start=2):
        if not (row.get("unit_id") or "").strip():
            raise fail(f"{file}: line {number}, column unit_id: a value is required")
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    written = upsert_units(engine, [{k: (v or "").strip() for k, v in r.items() if k}
                                    for r in rows])
    out.print(f"Imported {written} units from {file}.", highlight=False)
