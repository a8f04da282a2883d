"""The FHIR API's shared plumbing: errors as OperationOutcomes, the bearer-token guard, the
unit of work with its error mapping, R4-validated responses and the visibility rules of the
one access policy (docs/fhir.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from sotekeskus.domain.access_policy import Action, Resource, may
from sotekeskus.interop.fhir import api_resources as api
from sotekeskus.interop.fhir.clients import Client, authenticate
from sotekeskus.interop.fhir.validate import validate_r4

FHIR_JSON = "application/fhir+json"
PURPOSE = "fhir-api"
#: Actions whose units make a staff directory, schedule or slot visible to a client.
DIRECTORY_ACTIONS = (Action.WORK_CASES, Action.MANAGE_SCHEDULES, Action.VIEW_PERSONS,
                     Action.VIEW_AGGREGATES)


class ApiError(Exception):
    """An answer other than success: HTTP status, OperationOutcome issue code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def respond(resource: dict[str, Any], status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    validate_r4(resource)
    return Response(json.dumps(resource, ensure_ascii=False), status_code=status,
                    media_type=FHIR_JSON, headers=headers)


def error(exc: ApiError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="fhir"'} if exc.status == 401 else None
    return Response(json.dumps(api.outcome(exc.code, str(exc)), ensure_ascii=False),
                    status_code=exc.status, media_type=FHIR_JSON, headers=headers)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def now_of(request: Request) -> datetime:
    """The clock (``app.state.workdesk_now`` when a test or the demo sets one)."""
    clock = getattr(request.app.state, "workdesk_now", None)
    return (clock() if clock else datetime.now()).replace(microsecond=0)


def guard(request: Request, resource_type: str, mode: str) -> Client:
    """A valid bearer token (static or from the token endpoint) whose scopes allow ``mode``
    on ``resource_type``; 401 / 403 (audited) otherwise."""
    from sotekeskus.store import audit

    engine = request.app.state.engine
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    client = authenticate(engine, token) if token else None
    if client is None:
        raise ApiError(401, "login", "a valid bearer token of an API client is required "
                                     "(expired or revoked tokens are refused)")
    if not client.allows(resource_type, mode):
        audit.record(engine, client.actor.name, audit.DENIED, f"fhir:{resource_type}",
                     f"scope system/{resource_type}.{mode} not granted")
        raise ApiError(403, "forbidden", f"the client's scopes do not include "
                                         f"system/{resource_type}.{mode}")
    return client


@contextmanager
def work(request: Request, client: Client) -> Iterator[Any]:
    """A unit of work of the client (purpose ``fhir-api``); care errors → HTTP statuses
    (a lost race is 409 and names who was first)."""
    from sotekeskus.care.errors import Conflict, InvalidInput, NotFound
    from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork

    try:
        with UnitOfWork(request.app.state.engine, client.actor, PURPOSE) as uow:
            yield uow
    except NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except NotFound as exc:
        raise ApiError(404, "not-found", str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except InvalidInput as exc:
        raise ApiError(400, "invalid", str(exc)) from None


def person_units(client: Client, units: set[str]) -> set[str]:
    """The units among ``units`` whose person-level data the client's role may see (the
    workdesk's or a manager's person-level view)."""
    out = set()
    for unit in units:
        for action in (Action.WORK_CASES, Action.VIEW_PERSONS):
            if may(client.actor, action, Resource.units([unit])).allowed:
                out.add(unit)
                break
    return out


def directory_units(client: Client) -> frozenset[str] | None:
    """The units whose staff, schedules and slots the client may see (``None``: the whole
    region): the union of the units the policy lets its role work cases, keep schedules,
    see persons or see figures in."""
    units: set[str] = set()
    for action in DIRECTORY_ACTIONS:
        scope = may(client.actor, action)
        if scope.allowed:
            if scope.unit_ids is None:
                return None
            units |= scope.unit_ids
    return frozenset(units)


def in_directory(client: Client, units: set[str] | frozenset[str]) -> bool:
    visible = directory_units(client)
    return visible is None or bool(visible & set(units))


def person_visible(uow: Any, client: Client, person: Any) -> bool:
    from sotekeskus.store.models import CareCase

    units = set(uow.session.scalars(select(CareCase.unit_id).where(
        CareCase.person_pk == person.id)))
    return bool(person_units(client, units))


def refuse(uow: Any, what: str, why: str = "no unit of this resident is among the "
           "client's") -> None:
    """Audit the refusal in its own transaction (the unit of work rolls back) and raise."""
    from sotekeskus.store import audit

    audit.record(uow.engine, uow.actor.name, audit.DENIED, what, f"{why}; purpose={PURPOSE}")
    raise ApiError(403, "forbidden", f"the access policy does not let this client see "
                                     f"{what.removeprefix('fhir:')} ({why})")


def int_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None
