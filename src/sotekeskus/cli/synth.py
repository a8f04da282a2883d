"""``sotekeskus synth``: generate a synthetic region (episodes + units files)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sotekeskus.cli.common import fail, out, parse_date, progress

if TYPE_CHECKING:
    from sotekeskus.synth import SyntheticRegion as Region


def synth(
    out_file: Annotated[Path, typer.Option("--out", help="Episode file to write (.csv/.parquet)")],
    residents: Annotated[int, typer.Option(help="Population of the region")] = 126_000,
    date_from: Annotated[str, typer.Option("--from", help="First contact date")] = "2019-01-01",
    date_to: Annotated[str, typer.Option("--to", help="Last date (the data's 'today')")
                       ] = "2025-12-31",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same region)")] = 1,
) -> None:
    """Generate a synthetic region: episodes, plus units (<out>.units.csv) and the
    social-welfare and specialist case events (<out>.events.csv|.parquet) beside them."""
    start = parse_date(date_from, "--from")
    end = parse_date(date_to, "--to")
    assert start is not None and end is not None
    if end < start:
        raise fail("--to is before --from", 2)
    if residents < 100:
        raise fail("--residents must be at least 100", 2)
    if out_file.suffix.lower() not in (".csv", ".parquet"):
        raise fail(f"--out {out_file}: use a .csv or .parquet file name", 2)
    region = generate(residents, start, end, seed)
    units_file = out_file.with_name(out_file.stem + ".units.csv")
    write_region(region, out_file, units_file)
    events_file = events_file_of(out_file)
    out.print(f"Wrote {region.episodes.num_rows:,} episodes to {out_file}, "
              f"{region.units.num_rows} units to {units_file} and "
              f"{region.case_events.num_rows if region.case_events else 0:,} case events to "
              f"{events_file}.", highlight=False)


def generate(residents: int, start: date, end: date, seed: int) -> Region:
    from sotekeskus.synth import generate_region

    with progress() as bar:
        task = bar.add_task(f"Generating {residents:,} residents", total=None)
        return generate_region(residents=residents, start=start, end=end, seed=seed,
                               progress=lambda d, t: bar.update(task, completed=d, total=t))


def events_file_of(episodes_file: Path) -> Path:
    """The case-events file written beside an episode file (same format)."""
    return episodes_file.with_name(episodes_file.stem + ".events" + episodes_file.suffix)


def write_region(region: Region, episodes_file: Path, units_file: Path) -> None:
    from sotekeskus.synth import write_episodes, write_units

    episodes_file.parent.mkdir(parents=True, exist_ok=True)
    write_episodes(region.episodes, episodes_file)
    write_units(region.units, units_file)
    if region.case_events is not None:
        write_episodes(region.case_events, events_file_of(episodes_file))
