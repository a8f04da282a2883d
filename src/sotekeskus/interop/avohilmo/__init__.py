"""Avohilmo-style extracts: read with the code maps, import as episodes (docs/avohilmo.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sotekeskus.interop.avohilmo.extract import (
    EXTRACT_COLUMNS,
    Extract,
    ExtractBatches,
    read_extract,
)
from sotekeskus.interop.codes import load_maps

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sotekeskus.store.episodes import ImportResult, Progress

__all__ = ["EXTRACT_COLUMNS", "AvohilmoResult", "Extract", "import_avohilmo", "read_extract"]


@dataclass(frozen=True)
class AvohilmoResult:
    """``rows`` data rows read; ``imported`` episodes written (``inserted`` + ``updated``);
    ``excluded`` rows that are not episodes, by reason; ``quarantined`` rejected rows kept
    with their reasons (quarantine mode only)."""

    rows: int
    imported: ImportResult
    excluded: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0


def import_avohilmo(engine: Engine, path: str | Path, *, map_dir: str | Path | None = None,
                    imported_by: str = "cli", progress: Progress | None = None,
                    quarantine: bool = False) -> AvohilmoResult:
    """Import an extract: all-or-nothing (any rejected row: nothing is written), or with
    ``quarantine`` the accepted rows and every rejected row with its reasons."""
    from sotekeskus.store.episodes import upsert_episodes

    maps = load_maps(map_dir)
    extract = read_extract(path, maps)
    try:
        if quarantine:
            from sotekeskus.interop.quarantine import import_extract_with_quarantine

            return import_extract_with_quarantine(engine, extract, imported_by=imported_by,
                                                  progress=progress)
        extract.raise_adapter_errors()
        result = upsert_episodes(engine, ExtractBatches(extract), file_name=str(path),
                                 imported_by=imported_by, progress=progress,
                                 expected_rows=extract.episodes)
        return AvohilmoResult(extract.rows, result, dict(extract.excluded))
    finally:
        extract.close()
