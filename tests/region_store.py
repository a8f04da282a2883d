"""A small synthetic region imported into a SQLite store, for engine tests that need volume
(many units, groups, ages and months) rather than hand-picked rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

START, END = date(2023, 1, 1), date(2025, 6, 30)


def region_files(workdir: Path, residents: int = 1500, seed: int = 3,
                 start: date = START, end: date = END) -> tuple[Path, Path]:
    """Episodes (Parquet) of a generated region, split in two files by contact order: the
    first ~85 % and the rest (a second import that changes every figure)."""
    from sotekeskus.synth import generate_region, write_episodes

    table = generate_region(residents, start, end, seed=seed).episodes
    cut = int(table.num_rows * 0.85)
    first = write_episodes(table.slice(0, cut), workdir / "region_a.parquet")
    second = write_episodes(table.slice(cut), workdir / "region_b.parquet")
    return first, second


def import_file(path: Path, db: str) -> None:
    from sotekeskus.cli import app

    result = CliRunner().invoke(app, ["import", "episodes", str(path), "--db", db])
    assert result.exit_code == 0, result.output
