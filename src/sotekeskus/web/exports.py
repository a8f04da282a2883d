"""HTTP responses for downloads: tables as CSV / Excel, charts as PNG / SVG.

Tables are written through :mod:`sotekeskus.spreadsheet`, so no downloaded cell can be a
formula (CSV: text starting with ``= + - @`` tab CR LF gets a leading ``'``; numbers stay
numbers; Excel: strings are string cells, characters Excel cannot store are replaced).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from fastapi.responses import Response

from sotekeskus.spreadsheet import Sheet, write_csv, write_xlsx
from sotekeskus.web.tables import Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def table_csv(table: Table) -> str:
    """The table as CSV text: header of column keys, raw values, formula-safe cells."""
    return write_csv(table.header(), table.raw_rows())


def tables_xlsx(tables: Sequence[Table]) -> bytes:
    """An Excel workbook, one sheet per table, header of column keys, formula-safe cells."""
    return write_xlsx([
        Sheet(t.name, t.header(), t.raw_rows(), [max(12, len(c.key) + 2) for c in t.columns])
        for t in tables
    ])


def table_response(tables: Sequence[Table], name: str, fmt: str, stem: str = "") -> Response:
    """One table by ``name`` as ``fmt`` (csv, xlsx); 404 when unknown."""
    table = next((t for t in tables if t.name == name), None)
    if table is None or fmt not in ("csv", "xlsx"):
        return Response("unknown export", status_code=404, media_type="text/plain")
    filename = f"{stem or table.name}.{fmt}"
    if fmt == "csv":
        return Response(table_csv(table), media_type="text/csv; charset=utf-8",
                        headers=attachment(filename))
    return Response(tables_xlsx([table]), media_type=XLSX, headers=attachment(filename))


@lru_cache(maxsize=1024)
def _svg(spec_json: str) -> str:
    """A chart drawn once per spec (the same figures in the same language): drawing takes
    ~50 ms of CPU, and every dashboard view asks for five charts (~25 KB each kept)."""
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(json.loads(spec_json)))


@lru_cache(maxsize=32)
def _png(spec_json: str) -> bytes:
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(json.loads(spec_json), scale=2))


def chart_response(spec: dict, fmt: str, filename: str, download: bool) -> Response:
    if fmt == "svg":
        body: bytes | str = _svg(json.dumps(spec, sort_keys=True))
        media = "image/svg+xml"
    elif fmt == "png":
        body = _png(json.dumps(spec, sort_keys=True))
        media = "image/png"
    elif fmt == "json":
        body = json.dumps(spec, ensure_ascii=False, indent=1)
        media = "application/json"
    else:
        return Response("unknown format", status_code=404, media_type="text/plain")
    headers = attachment(f"{filename}.{fmt}") if download else {"Cache-Control": "no-store"}
    return Response(body, media_type=media, headers=headers)
