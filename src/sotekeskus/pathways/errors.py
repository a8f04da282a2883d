"""Typed errors of the pathways analyses, each with an actionable message."""

from __future__ import annotations

from sotekeskus.ingest.errors import MAX_REPORTED_ERRORS, FieldError

__all__ = ["EventLogError", "FieldError", "MissingDataError", "PathwaysError",
           "RuleTableError", "UnknownCodeError"]


class PathwaysError(ValueError):
    """Base class: bad input to a pathways analysis (the CLI exits with 1)."""


class EventLogError(PathwaysError):
    """An event-log file violates its format; each error names the line, column and value."""

    def __init__(self, path: str, errors: list[FieldError], total: int | None = None) -> None:
        self.path = path
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.path}: {self.total} error(s) in the event log."]
        lines += [f"  {e}" for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  ... and {self.total - len(self.errors)} more error(s)")
        return "\n".join(lines)


class MissingDataError(PathwaysError):
    """The analysis needs data the source does not have (e.g. contract-v2 ``professional_id``)."""


class RuleTableError(PathwaysError):
    """A rule table (segments, conditions, instruments) in YAML is invalid."""


class UnknownCodeError(PathwaysError):
    """A code outside its vocabulary (the message lists the allowed codes); a usage error."""

    exit_code = 2
