"""Read and search of units and episodes for the FHIR API's table (``fhir_search.KINDS``):
Organization, Location (``units``), EpisodeOfCare and Encounter (``episodes``).

Visibility, by the one access policy:

* Organization, Location (the region's units: names and municipalities, public facts like
  the service catalogue): every client with the scope;
* EpisodeOfCare, Encounter (person-level): only episodes of units where the client's role
  may work cases or see persons (a professional or manager of the unit); a role with no
  such unit (leadership, analyst, administrator, scheduler) is refused (403) — they read
  figures (MeasureReport) or the pseudonymised ``$export``, never episodes one by one.

The resources are the bulk export's (:mod:`sotekeskus.interop.fhir.api_episodes`); every
episode read is audited with the episode's person as subject.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select

from sotekeskus.domain.access_policy import Action, may
from sotekeskus.interop.fhir import api_episodes as episodes
from sotekeskus.interop.fhir import resources as r
from sotekeskus.web.api.fhir_common import ApiError, refuse
from sotekeskus.web.api.fhir_query import (
    Ctx,
    Found,
    Kind,
    Query,
    _date_filter,
    _not_found,
    _page,
    _ref,
)

#: Actions whose units make episodes (person-level data) visible to a client.
PERSON_ACTIONS = (Action.WORK_CASES, Action.VIEW_PERSONS)


# ---- Organization, Location ----------------------------------------------------------------
def _units(ctx: Ctx) -> list[Any]:
    from sotekeskus.store.models import Unit

    return list(ctx.uow.session.scalars(select(Unit).order_by(Unit.unit_id)))


def _unit_of_id(ctx: Ctx, rid: str, make_id: Callable[[str], str]) -> Any:
    from sotekeskus.store.models import Unit

    direct = ctx.uow.session.get(Unit, rid.removeprefix("loc-"))
    if direct is not None and make_id(direct.unit_id) == rid:
        return direct
    return next((u for u in _units(ctx) if make_id(u.unit_id) == rid), None)


def _organization(unit: Any) -> dict[str, Any]:
    return r.organization(unit.unit_id, unit.name or "", unit.municipality or "")


def _location(unit: Any) -> dict[str, Any]:
    return r.location(unit.unit_id, unit.name or "")


def _unit_value(value: str, param: str) -> str:
    """``urn:sotekeskus:unit|U1`` or ``U1`` → ``U1``; another system is a 400."""
    system, bar, code = value.rpartition("|")
    if bar and system and system != r.SYS_UNIT:
        raise ApiError(400, "value", f"{param}: use {r.SYS_UNIT}|<unit id>")
    return code


def read_organization(ctx: Ctx, rid: str) -> Found:
    unit = _unit_of_id(ctx, rid, r.fhir_id)
    if unit is None:
        raise _not_found("Organization", rid)
    return Found(_organization(unit))


def _match_units(ctx: Ctx, query: Query, make_id: Callable[[str], str], *,
                 by_org: str | None = None) -> list[Any]:
    identifier, name, rid = query.one("identifier"), query.one("name"), query.one("_id")
    out = []
    for unit in _units(ctx):
        if identifier is not None and unit.unit_id != _unit_value(identifier, "identifier"):
            continue
        if name is not None and name.casefold() not in (unit.name or unit.unit_id).casefold():
            continue
        if by_org is not None and r.fhir_id(unit.unit_id) != by_org:
            continue
        if rid is not None and rid != make_id(unit.unit_id):
            continue
        out.append(unit)
    return out


def search_organization(ctx: Ctx, query: Query) -> list[Found]:
    return [Found(_organization(u)) for u in _match_units(ctx, query, r.fhir_id)]


def read_location(ctx: Ctx, rid: str) -> Found:
    unit = _unit_of_id(ctx, rid, episodes.location_id)
    if unit is None:
        raise _not_found("Location", rid)
    return Found(_location(unit))


def search_location(ctx: Ctx, query: Query) -> list[Found]:
    organization = query.one("organization")
    by_org = _ref(organization, "Organization", "organization") if organization else None
    return [Found(_location(u)) for u in _match_units(ctx, query, episodes.location_id,
                                                      by_org=by_org)]


# ---- EpisodeOfCare, Encounter ---------------------------------------------------------------
def person_scope(ctx: Ctx) -> frozenset[str] | None:
    """The units whose episodes the client may see (``None``: the whole region)."""
    units: set[str] = set()
    for action in PERSON_ACTIONS:
        scope = may(ctx.client.actor, action)
        if scope.allowed:
            if scope.unit_ids is None:
                return None
            units |= scope.unit_ids
    return frozenset(units)


def _episode_scope(ctx: Ctx, what: str) -> frozenset[str] | None:
    visible = person_scope(ctx)
    if visible is not None and not visible:
        refuse(ctx.uow, what, f"role {ctx.client.role.value} sees no person-level data "
               "(figures: MeasureReport)")
    return visible


def _operational(ctx: Ctx, episode_ids: list[str]) -> set[str]:
    """The episodes among ``episode_ids`` that are workdesk cases."""
    from sotekeskus.store.models import CareCase

    if not episode_ids:
        return set()
    return set(ctx.uow.session.scalars(select(CareCase.episode_id).where(
        CareCase.episode_id.in_(episode_ids))))


def _episode_by_id(ctx: Ctx, rid: str, make_id: Callable[[str], str],
                   prefix: str = "") -> Any:
    """The episode whose resource id (``make_id(episode_id)``) is ``rid``; an id that was
    hashed (``h-…``) or cut to length is looked up among the episodes of the client's
    units."""
    from sotekeskus.store.models import Episode

    candidate = rid.removeprefix(prefix)
    direct = ctx.uow.session.get(Episode, candidate) if candidate else None
    if direct is not None and make_id(direct.episode_id) == rid:
        return direct
    if not (candidate.startswith("h-") or len(candidate) >= 60):
        return None
    stmt = select(Episode)
    visible = person_scope(ctx)
    if visible is not None:
        stmt = stmt.where(Episode.unit_id.in_(sorted(visible)))
    if not candidate.startswith("h-"):
        stmt = stmt.where(Episode.episode_id.startswith(candidate, autoescape=True))
    for row in ctx.uow.session.execute(stmt.execution_options(yield_per=2000)).scalars():
        if make_id(row.episode_id) == rid:
            return row
    return None


def _hilmo() -> dict[str, str]:
    from sotekeskus.interop.fhir.bulk_export import hilmo_codes

    return hilmo_codes()


def _eoc(row: Any, operational: bool) -> Found:
    return Found(episodes.episode_of_care(episodes.episode_dict(row), operational),
                 row.person_id)


def _enc(row: Any, operational: bool, hilmo: dict[str, str]) -> Found:
    return Found(episodes.encounter(episodes.episode_dict(row), hilmo, operational),
                 row.person_id)


def _read_episode(ctx: Ctx, kind: str, rid: str, make_id: Callable[[str], str],
                  prefix: str = "") -> Any:
    row = _episode_by_id(ctx, rid, make_id, prefix)
    if row is None or (kind == "Encounter" and not r.needs_encounter(
            episodes.episode_dict(row))):
        raise _not_found(kind, rid)
    visible = person_scope(ctx)
    if visible is not None and row.unit_id not in visible:
        refuse(ctx.uow, f"fhir:{kind}/{rid}", "the episode's unit is not among the units "
               "whose persons the client's role may see")
    return row


def read_episode_of_care(ctx: Ctx, rid: str) -> Found:
    row = _read_episode(ctx, "EpisodeOfCare", rid, r.fhir_id)
    return _eoc(row, bool(_operational(ctx, [row.episode_id])))


def read_encounter(ctx: Ctx, rid: str) -> Found:
    row = _read_episode(ctx, "Encounter", rid, episodes.encounter_id, "enc-")
    return _enc(row, bool(_operational(ctx, [row.episode_id])), _hilmo())


def _episode_query(ctx: Ctx, query: Query, what: str) -> Any:
    """The episodes of the client's units matching the common parameters (patient,
    organization, identifier)."""
    from sotekeskus.store.models import Episode, Unit

    stmt = select(Episode)
    visible = _episode_scope(ctx, what)
    if visible is not None:
        stmt = stmt.where(Episode.unit_id.in_(sorted(visible)))
    patient = query.one("patient")
    if patient is not None:
        stmt = stmt.where(Episode.person_id == _ref(patient, "Patient", "patient"))
    organization = query.one("organization")
    if organization is not None:
        rid = _ref(organization, "Organization", "organization")
        units = [u for u in ctx.uow.session.scalars(select(Unit.unit_id))
                 if r.fhir_id(u) == rid]
        stmt = stmt.where(Episode.unit_id.in_(units))
    identifier = query.one("identifier")
    if identifier is not None:
        system, bar, value = identifier.rpartition("|")
        if bar and system and system != r.SYS_EPISODE:
            raise ApiError(400, "value", f"identifier: use {r.SYS_EPISODE}|<episode id>")
        stmt = stmt.where(Episode.episode_id == value)
    return stmt


def _codes(query: Query, name: str) -> list[str]:
    return [c for v in query.values.get(name) or [] for c in v.split(",") if c]


def search_episode_of_care(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import Episode

    stmt = _episode_query(ctx, query, "fhir:EpisodeOfCare")
    statuses = _codes(query, "status")
    if statuses:
        back = {v: k for k, v in r.EPISODE_STATUS.items()}
        bad = [s for s in statuses if s not in back]
        if bad:
            raise ApiError(400, "value", f"status: {bad[0][:40]!r} is not an episode status; "
                           "allowed: " + ", ".join(back))
        stmt = stmt.where(Episode.status.in_([back[s] for s in statuses]))
    conditions = _date_filter(Episode.contact_at, query.values.get("date") or [], "date")
    if conditions:
        stmt = stmt.where(*conditions)
    rows = _page(ctx, query, stmt.order_by(Episode.contact_at, Episode.episode_id))
    operational = _operational(ctx, [e.episode_id for e in rows])
    return [_eoc(e, e.episode_id in operational) for e in rows]


def _type_condition(value: str, hilmo: dict[str, str]) -> Any:
    """``type``: a Hilmo Yhteystapa code, our contact-mode code or a visit nature, with or
    without its system; an unknown code is a 400 listing the allowed ones."""
    from sotekeskus.domain.vocabulary import ContactMode, VisitNature
    from sotekeskus.store.models import Episode

    system, _, code = value.rpartition("|")
    by_hilmo = {c: [m for m, h in hilmo.items() if h == c] for c in set(hilmo.values())}
    tables: dict[str, dict[str, Any]] = {
        r.SYS_HILMO_CONTACT_MODE: {c: Episode.contact_mode.in_(m) for c, m in by_hilmo.items()},
        r.SYS_CONTACT_MODE: {m.value: Episode.contact_mode == m.value for m in ContactMode},
        r.SYS_VISIT_NATURE: {n.value: Episode.visit_nature == n.value for n in VisitNature},
    }
    if system and system not in tables:
        raise ApiError(400, "value", f"type: system {system[:80]!r} is not one of "
                       + ", ".join(tables))
    for sys_name, table in tables.items():
        if (not system or system == sys_name) and code in table:
            return table[code]
    allowed = sorted({c for s, t in tables.items() if not system or s == system for c in t})
    raise ApiError(400, "value", f"type: unknown code {code[:40]!r}; allowed: "
                   + ", ".join(allowed))


def search_encounter(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import Episode

    stmt = _episode_query(ctx, query, "fhir:Encounter").where(or_(
        Episode.visit_at.is_not(None), Episode.contact_mode.is_not(None),
        Episode.visit_nature.is_not(None)))
    episode = query.one("episode-of-care")
    if episode is not None:
        rid = _ref(episode, "EpisodeOfCare", "episode-of-care")
        row = _episode_by_id(ctx, rid, r.fhir_id)
        stmt = stmt.where(Episode.episode_id == (row.episode_id if row else rid))
    classes = _codes(query, "class")
    if classes:
        bad = [c for c in classes if c.rpartition("|")[2] not in episodes.CLASS_MODES]
        if bad:
            raise ApiError(400, "value", f"class: {bad[0][:40]!r} is not a class of these "
                           "encounters; allowed: " + ", ".join(episodes.CLASS_MODES))
        conds = []
        for value in classes:
            code = value.rpartition("|")[2]
            conds.append(Episode.contact_mode.in_(episodes.CLASS_MODES[code]))
            if code == "AMB":
                conds.append(Episode.contact_mode.is_(None))
        stmt = stmt.where(or_(*conds))
    hilmo = _hilmo()
    types = _codes(query, "type")
    if types:
        stmt = stmt.where(or_(*(_type_condition(t, hilmo) for t in types)))
    conditions = _date_filter(Episode.visit_at, query.values.get("date") or [], "date")
    if conditions:
        stmt = stmt.where(*conditions)
    rows = _page(ctx, query, stmt.order_by(Episode.visit_at, Episode.episode_id))
    operational = _operational(ctx, [e.episode_id for e in rows])
    return [_enc(e, e.episode_id in operational, hilmo) for e in rows]


KINDS: tuple[Kind, ...] = (
    Kind("Organization", read_organization, search_organization,
         (("_id", "token"), ("identifier", "token"), ("name", "string")),
         notes={"name": "contains, case-insensitive"}),
    Kind("Location", read_location, search_location,
         (("_id", "token"), ("identifier", "token"), ("name", "string"),
          ("organization", "reference")),
         notes={"name": "contains, case-insensitive"}),
    Kind("EpisodeOfCare", read_episode_of_care, search_episode_of_care,
         (("patient", "reference"), ("organization", "reference"), ("status", "token"),
          ("date", "date"), ("identifier", "token")),
         notes={"date": "period.start (the contact time); eq ge le gt lt",
                "patient": "Patient/<id>: the resident (workdesk cases) or the "
                           "pseudonym of an imported episode"}),
    Kind("Encounter", read_encounter, search_encounter,
         (("patient", "reference"), ("episode-of-care", "reference"), ("date", "date"),
          ("class", "token"), ("type", "token"), ("organization", "reference"),
          ("identifier", "token")),
         notes={"date": "period.start (the visit time); eq ge le gt lt",
                "type": "Hilmo Yhteystapa (R10 …), contact mode or visit nature code",
                "organization": "local: the serviceProvider (the episode's unit)"}),
)
