"""The event log of the store: episodes and case events as ``case_id, activity, timestamp``.

* An **episode** is a case with up to three events: ``contact`` (``contact_at``),
  ``assessed`` (``assessed_at``, when recorded) and ``visit`` (``visit_at`` of a done
  episode). A cancelled episode has no cancellation time, so it ends at its last recorded
  event. Its case type is the one whose service areas include the episode's
  (``EPISODE_CASE_TYPES`` of the vocabulary: ``primary_access`` = medical, mental,
  substance; ``oral_access`` = oral); social-welfare episodes belong to no case type and
  appear only in the unfiltered flow.
* A **case event** (the case-events import, table ``case_events``) is one event of its case:
  activity = ``event``, timestamp = ``at``, case type = ``case_type``.
* Events with the same timestamp are ordered by the vocabulary's event order (``contact``
  before ``assessed`` before ``visit`` …), then by name, so the flow is reproducible.
* Without ``case_type`` the flow covers every episode and every case event.
"""

from __future__ import annotations

from sotekeskus.domain.vocabulary import EPISODE_CASE_TYPES, CaseEvent, CaseType
from sotekeskus.pathways.errors import MissingDataError, UnknownCodeError
from sotekeskus.pathways.flow import Flow, discover_flow
from sotekeskus.pathways.source import EpisodeSource

_ORDER = {e.value: i for i, e in enumerate(CaseEvent)}


def _seq(column: str) -> str:
    cases = " ".join(f"WHEN '{name}' THEN {i}" for name, i in _ORDER.items())
    return f"CASE {column} {cases} ELSE {len(_ORDER)} END"


def check_case_type(case_type: str | None) -> CaseType | None:
    if case_type is None:
        return None
    try:
        return CaseType(case_type)
    except ValueError:
        raise UnknownCodeError(
            f"--case-type {case_type!r}: unknown case type; allowed: "
            + ", ".join(c.value for c in CaseType)) from None


def build_event_log(src: EpisodeSource, case_type: str | None = None,
                    view: str = "event_log") -> None:
    """Create the temporary view ``view`` (``case_id, activity, timestamp, seq, resource``)
    on ``src.con`` from the episodes and case events of ``case_type`` (all when None)."""
    kind = check_case_type(case_type)
    parts: list[str] = []
    if kind is None or kind in EPISODE_CASE_TYPES:
        areas = (sorted(a.value for a in EPISODE_CASE_TYPES[kind]) if kind is not None
                 else None)
        where = ("" if areas is None else
                 "AND service_area IN (" + ", ".join(f"'{a}'" for a in areas) + ")")
        for activity, column, condition in (
            (CaseEvent.CONTACT, "contact_at", "contact_at IS NOT NULL"),
            (CaseEvent.ASSESSED, "assessed_at", "assessed_at IS NOT NULL"),
            (CaseEvent.VISIT, "visit_at", "status = 'done' AND visit_at IS NOT NULL"),
        ):
            parts.append(
                f"SELECT 'E:' || episode_id AS case_id, '{activity.value}' AS activity, "
                f"CAST({column} AS TIMESTAMP) AS timestamp, {_ORDER[activity.value]} AS seq, "
                f"professional_group AS resource FROM episodes WHERE {condition} {where}")
    if kind is None or kind not in EPISODE_CASE_TYPES:
        if not src.has_table("case_events"):
            if kind is not None:
                raise MissingDataError(
                    f"case type {kind.value!r} comes from case events, and {src.label} has "
                    "none; import a case-events file first")
        else:
            where = "" if kind is None else f"WHERE case_type = '{kind.value}'"
            resource = ("professional_group" if "professional_group" in
                        src.columns("case_events") else "NULL")
            parts.append(
                f"SELECT 'C:' || CAST(case_id AS VARCHAR) AS case_id, "
                f"CAST(event AS VARCHAR) AS activity, CAST(\"at\" AS TIMESTAMP) AS timestamp, "
                f"{_seq('event')} AS seq, CAST({resource} AS VARCHAR) AS resource "
                f"FROM case_events {where}")
    src.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS " + " UNION ALL ".join(parts))


def store_flow(src: EpisodeSource, case_type: str | None = None) -> Flow:
    """The patient flow of the store's episodes and case events (of ``case_type``)."""
    build_event_log(src, case_type, "event_log")
    return discover_flow(src.con, "event_log")
