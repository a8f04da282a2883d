"""Typed import errors that name the line, the episode, the column and the value."""

from __future__ import annotations

from dataclasses import dataclass

MAX_REPORTED_ERRORS = 50


def shown(text: str, limit: int = 60) -> str:
    """``text`` as a message shows it: quoted, control characters escaped, long text cut."""
    cut = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(cut)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One violation of the episode contract.

    ``line`` is the physical line in a CSV file (the header is line 1; every line break —
    LF, CR LF or a lone CR — starts a new line, also inside a quoted value) or the 1-based
    row in a Parquet file (``line_label`` says which); ``None`` for whole-file problems.
    ``episode_id`` is the row's id, when it has one.
    """

    line: int | None
    column: str | None
    value: str | None
    message: str
    line_label: str = "line"
    episode_id: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"{self.line_label} {self.line}")
        if self.episode_id:
            ident = self.episode_id
            parts.append(f"episode {ident if ident.isprintable() else shown(ident)}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.value is not None:
            parts.append(f"value {shown(self.value)}")
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


class StoreBusyError(Exception):
    """Another writer held the store for longer than the import waits; nothing was imported."""
