"""Stored model runs and the professionals' justified / not-justified marks (migration 0011).

* A **run** is what ``sotekeskus models evaluate --db …`` fitted and measured for one model:
  the parameters the professional's list applies, the evaluation's figures (JSON) and the
  model card it printed. The latest run of a model is the one in use; the model card page
  reads it (nothing is hard-coded in the web).
* A **mark** is a professional's judgement of one listed person on one list day: the
  listing was *justified* (the person was worth considering) or *not justified*, with an
  optional note. Marks are only appended; a later mark of the same model, person and list
  day supersedes the earlier one (both stay, with who and when).
* **Justified share** of a model = justified ÷ marked over the *current* marks (the latest
  per model × person × list day) whose list day lies in the period asked, as a percentage
  with one decimal (half up). Persons listed but never marked are not in the denominator.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import pct
from sotekeskus.pathways.errors import PathwaysError, UnknownCodeError
from sotekeskus.pathways.models.cohorts import MODELS
from sotekeskus.store import audit
from sotekeskus.store.models import AuditEvent, RiskMark, RiskModelRun

NOTE_MAX = 1000
MARK_TARGET = "risk_mark"
SHARE_COLUMNS = ("model", "marked", "justified", "not_justified", "justified_pct")


def check_model(name: str) -> str:
    """``name`` if it is one of :data:`MODELS`, else an error listing them."""
    if name not in MODELS:
        raise UnknownCodeError(f"model {name!r}: unknown model; allowed: " + ", ".join(MODELS))
    return name


@dataclass(frozen=True)
class StoredRun:
    id: int
    model: str
    created_at: datetime
    created_by: str
    parameters: dict[str, Any]
    evaluation: dict[str, Any]
    card: str


def save_run(engine: Engine, run: Any, *, created_by: str) -> dict[str, int]:
    """Store each model of a :class:`~sotekeskus.pathways.models.cards.Run`; returns the
    new run id per model."""
    from sotekeskus.pathways.models.cards import card

    ids: dict[str, int] = {}
    meta = {"residents": run.residents, "from": run.start.isoformat(),
            "to": run.end.isoformat(), "seed": run.seed, "bootstrap": run.bootstrap}
    with Session(engine) as session, session.begin():
        for name, ev in run.evaluations.items():
            figures = {k: v for k, v in asdict(ev).items() if k != "parameters"}
            row = RiskModelRun(model=name, created_at=datetime.now(), created_by=created_by,
                               parameters=json.dumps(ev.parameters),
                               evaluation=json.dumps({**figures, "run": meta}),
                               card=card(run, name))
            session.add(row)
            session.flush()
            ids[name] = row.id
    return ids


def latest_run(engine: Engine, model: str) -> StoredRun | None:
    """The model's latest stored run (None when ``models evaluate --db`` has not run)."""
    check_model(model)
    with Session(engine) as session:
        row = session.scalars(select(RiskModelRun).where(RiskModelRun.model == model)
                              .order_by(RiskModelRun.id.desc()).limit(1)).first()
        if row is None:
            return None
        return StoredRun(row.id, row.model, row.created_at, row.created_by,
                         json.loads(row.parameters), json.loads(row.evaluation), row.card)


def record_mark(engine: Engine, *, model: str, run_id: int, person_id: str, unit_id: str,
                list_day: date, justified: bool, note: str | None, marked_by: str,
                at: datetime | None = None) -> int:
    """Append one mark (and its audit row, in the same transaction); returns its id.

    The caller has checked that ``marked_by`` may see ``person_id`` of ``unit_id`` and that
    the person is on the model's list of ``list_day``."""
    check_model(model)
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise PathwaysError(f"note: {len(text)} characters; at most {NOTE_MAX}")
    if not person_id or not unit_id:
        raise PathwaysError("a mark needs the person and the unit")
    when = at or datetime.now()
    with Session(engine) as session, session.begin():
        row = RiskMark(model=model, run_id=run_id, person_id=person_id, unit_id=unit_id,
                       list_day=list_day, justified=justified, note=text or None,
                       marked_by=marked_by, marked_at=when)
        session.add(row)
        session.add(AuditEvent(
            at=when, actor=marked_by[:100], action=audit.ADMIN_CHANGE,
            target=f"{MARK_TARGET}:{model}",
            detail=f"list_day={list_day.isoformat()}; unit={unit_id}; "
                   f"justified={'yes' if justified else 'no'}",
            purpose="mark the listing justified or not", subject_person_id=person_id))
        session.flush()
        return row.id


def _current(model: str | None = None, date_from: date | None = None,
             date_to: date | None = None) -> Any:
    """The latest mark per model × person × list day (a subquery of mark ids)."""
    stmt = select(func.max(RiskMark.id).label("id"))
    if model is not None:
        stmt = stmt.where(RiskMark.model == model)
    if date_from is not None:
        stmt = stmt.where(RiskMark.list_day >= date_from)
    if date_to is not None:
        stmt = stmt.where(RiskMark.list_day <= date_to)
    return stmt.group_by(RiskMark.model, RiskMark.person_id, RiskMark.list_day).subquery()


def current_marks(engine: Engine, model: str, list_day: date,
                  person_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The current mark of each person on the list of ``list_day`` (person id → mark)."""
    check_model(model)
    latest = _current(model, list_day, list_day)
    stmt = select(RiskMark).join(latest, RiskMark.id == latest.c.id)
    if person_ids is not None:
        stmt = stmt.where(RiskMark.person_id.in_(person_ids))
    with Session(engine) as session:
        return {m.person_id: {"justified": m.justified, "note": m.note,
                              "marked_by": m.marked_by, "marked_at": m.marked_at}
                for m in session.scalars(stmt)}


def justified_share(engine: Engine, model: str | None = None, *, date_from: date | None = None,
                    date_to: date | None = None,
                    unit_ids: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Per model (every model of :data:`MODELS`, or ``model``): current marks, justified,
    not justified and the justified share (module docstring). ``unit_ids``: only marks of
    persons listed in those units."""
    names = [check_model(model)] if model is not None else list(MODELS)
    latest = _current(model, date_from, date_to)
    stmt = (select(RiskMark.model, RiskMark.justified, func.count())
            .join(latest, RiskMark.id == latest.c.id)
            .group_by(RiskMark.model, RiskMark.justified))
    if unit_ids is not None:
        stmt = stmt.where(RiskMark.unit_id.in_(unit_ids))
    counts: dict[tuple[str, bool], int] = {}
    with Session(engine) as session:
        for name, justified, n in session.execute(stmt):
            counts[(name, bool(justified))] = int(n)
    rows = []
    for name in names:
        yes, no = counts.get((name, True), 0), counts.get((name, False), 0)
        rows.append({"model": name, "marked": yes + no, "justified": yes,
                     "not_justified": no,
                     "justified_pct": pct(yes, yes + no) if yes + no else None})
    return rows


def suppress_share(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts below 5 are ``<5``, and the share is hidden when any of its counts is small
    (with ``marked`` it would reveal the suppressed count)."""
    out = []
    for r in rows:
        small = any(is_small(r[k]) for k in ("marked", "justified", "not_justified"))
        out.append({**r, **{k: SUPPRESSED for k in ("marked", "justified", "not_justified")
                            if is_small(r[k])},
                    "justified_pct": None if small else r["justified_pct"]})
    return out
