"""The risk models' list of persons to consider as one audience reads and marks it.

Shared by every page that shows the list (the management web ``/pathways/models/<model>/list``
and the workdesk ``/workdesk/risk/<model>``), so the two cannot drift:

* :func:`read_list` — the persons of ``units`` among those the stored run lists on a day,
  **audited before they are returned** (one summary row and one row per person shown, with
  the purpose and ``subject_person_id``: :func:`~sotekeskus.pathways.models.scoring.audit_list`),
  each with the current justified / not-justified mark (the latest per model × person × list
  day: :func:`~sotekeskus.pathways.models.stored.current_marks`);
* :func:`listed_person` — the row of a person on that day's list, or :class:`NotOnList`
  (a mark is accepted only for a listed person; the caller then asks the access policy for
  the person's unit before :func:`~sotekeskus.pathways.models.stored.record_mark`).

The caller has asked the access policy (``Action.VIEW_CLINICAL_WORKLISTS``) which units
the reader may see; ``units`` = ``None`` means the whole region (the CLI operator).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Engine

from sotekeskus.pathways.errors import PathwaysError
from sotekeskus.pathways.models.scoring import audit_list
from sotekeskus.pathways.models.stored import StoredRun, current_marks


class NotOnList(PathwaysError):
    """The person is not on the model's list of that day (nothing is marked)."""


def read_list(engine: Engine, run: StoredRun, every: Iterable[dict[str, Any]], on: date, *,
              units: tuple[str, ...] | None, actor: str, purpose: str
              ) -> list[dict[str, Any]]:
    """``every`` (the run's listed persons on ``on``, all units) narrowed to ``units``,
    audited, with ``mark`` (``"yes"`` / ``"no"`` / ``None``), ``mark_note`` and
    ``marked_by`` of the current mark. An empty ``actor`` or ``purpose`` is an error and
    nothing is returned."""
    rows = [dict(r) for r in every if units is None or r["unit_id"] in units]
    audit_list(engine, rows, model=run.model, on=on, actor=actor, purpose=purpose,
               units=units)
    marks = current_marks(engine, run.model, on, [r["person_id"] for r in rows])
    for r in rows:
        m = marks.get(r["person_id"])
        r["mark"] = None if m is None else ("yes" if m["justified"] else "no")
        r["mark_note"] = None if m is None else m["note"]
        r["marked_by"] = None if m is None else m["marked_by"]
    return rows


def listed_person(every: Iterable[dict[str, Any]], person_id: str, model: str,
                  on: date) -> dict[str, Any]:
    """The row of ``person_id`` on ``model``'s list of ``on``; :class:`NotOnList` else."""
    for r in every:
        if r["person_id"] == person_id:
            return r
    raise NotOnList(f"person_id: {person_id!r} is not on the {model} list of {on}")
