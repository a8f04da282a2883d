"""Typed import errors that name the line, the column and the value."""

from __future__ import annotations

from dataclasses import dataclass

MAX_REPORTED_ERRORS = 50


@dataclass(frozen=True, slots=True)
class FieldError:
    """One violation of the episode contract.

    ``line`` is the physical line in a CSV file (the header is line 1) or the 1-based row in a
    Parquet file (``line_label`` says which); ``None`` for whole-file problems.
    """

    line: int | None
    column: str | None
    value: str | None
    message: str
    line_label: str = "line"

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"{self.line_label} {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            parts.append(f"value {shown!r}")
        where = ", ".join(parts)
        return f"{where}: {self.message}" if where else self.message


class EpisodeFileError(Exception):
    """The file violates the episode contract; nothing was imported."""

    def __init__(self, path: str, errors: list[FieldError], total: int | None = None) -> None:
        self.path = path
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.path}: {self.total} error(s); nothing was imported."]
        lines += [f"  {e}" for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  ... and {self.total - len(self.errors)} more error(s)")
        return "\n".join(lines)
