"""Typed errors of the operational use cases; the web maps each to an HTTP status.

* :class:`Conflict` (409): somebody else was first — the message names who (a claim lost to
  another professional, a slot already booked, a case changed meanwhile);
* :class:`NotFound` (404); :class:`InvalidInput` (400, names the field and allowed codes);
* :class:`~sotekeskus.care.unit_of_work.NotAllowed` (403) comes from the access policy.
"""

from __future__ import annotations


class CareError(ValueError):
    """Base class of the operational errors."""

    status = 400


class InvalidInput(CareError):
    status = 400


class NotFound(CareError):
    status = 404


class Conflict(CareError):
    """Another actor got there first; ``holder`` names them when known."""

    status = 409

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder
