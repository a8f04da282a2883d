"""The web's typed refusals; the app turns each into a page (403, redirect to sign-in)."""

from __future__ import annotations


class Forbidden(Exception):
    """The account may not see what was asked for (the message says what, for the log)."""


class NotAuthenticated(Exception):
    """No (valid) session: the app redirects to the sign-in page."""
