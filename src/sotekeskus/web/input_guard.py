"""Malformed input never reaches a handler: a pure ASGI middleware of the shared shell.

Refused with ``400`` before any route runs (the message names the parameter):

* NUL and other control characters (``U+0000–U+001F`` except tab, line feed and carriage
  return in form fields; all of them in the query string and the path), and ``U+007F``;
* query strings over 8 KiB and form bodies over 1 MiB (``413``);
* invalid percent-encoding or UTF-8.

Typed path parameters (ids) are bounded where they are declared (:data:`Id`), so an id
beyond 64 bits is a 404 page, not a database overflow.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl, unquote

from fastapi import Path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_QUERY = 8 * 1024
MAX_FORM = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: A database id in a path: 1 … 2⁶³ − 1 (larger numbers cannot name a row).
MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class BadInput(ValueError):
    """A request parameter that no handler should see; the message names it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_pairs(pairs: list[tuple[str, str]], pattern: re.Pattern[str], where: str) -> None:
    for key, value in pairs:
        if pattern.search(key):
            raise BadInput(f"{where}: a parameter name contains a control character")
        if pattern.search(value):
            raise BadInput(f"{where} parameter {key[:40]!r}: contains a control character "
                           f"(e.g. NUL), which is not allowed")


def check_query(raw: bytes, path: str) -> None:
    if len(raw) > MAX_QUERY:
        raise BadInput(f"query string: longer than {MAX_QUERY} bytes", 413)
    if _CONTROL.search(path):
        raise BadInput("path: contains a control character")
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True,
                          errors="strict", encoding="utf-8")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput("query string: not valid percent-encoded UTF-8") from exc
    check_pairs(pairs, _CONTROL, "query")


def check_form(body: bytes) -> None:
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict",
                          encoding="utf-8")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput("form: not valid percent-encoded UTF-8") from exc
    check_pairs(pairs, _CONTROL_FORM, "form")


class InputGuard:
    """ASGI middleware: refuse malformed input with ``on_error(scope, BadInput)``'s response."""

    def __init__(self, app: ASGIApp, on_error: object) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_query(scope.get("query_string", b""), unquote(scope.get("path", "")))
        except BadInput as exc:
            await self._refuse(scope, receive, send, exc)
            return
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope.get("method") != "POST" or ctype != b"application/x-www-form-urlencoded":
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM:
                await self._refuse(scope, receive, send,
                                   BadInput(f"form: larger than {MAX_FORM} bytes", 413))
                return
        try:
            check_form(body)
        except BadInput as exc:
            await self._refuse(scope, receive, send, exc)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: BadInput) -> None:
        response = self.on_error(scope, exc)  # type: ignore[operator]
        await response(scope, receive, send)
