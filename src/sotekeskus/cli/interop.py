"""``sotekeskus import avohilmo``: an Avohilmo-style extract through the code maps
(docs/avohilmo.md). Registered on the ``import`` group by ``cli/__init__.py``."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from sotekeskus.cli.common import DbOption, err, fail, out, progress

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
                         imported_by=f"cli:{getpass.getuser()}",
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
