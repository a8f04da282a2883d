"""The workdesk audience under ``/workdesk`` (docs/workdesk.md).

* the queue, a case, booking and the own day: professionals (``Action.WORK_CASES``);
* schedules: schedulers (``Action.MANAGE_SCHEDULES``);
* the workdesk figures and T3: unit managers and leadership (``Action.VIEW_AGGREGATES``);
* the clinical worklists (follow-up gaps, risk lists with marks): professionals of their
  own units (``Action.VIEW_CLINICAL_WORKLISTS``).

The router carries the prefix and a signed-in guard; each sub-router's routes carry their
policy guard. It never imports the app.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from sotekeskus.web.deps import require_account
from sotekeskus.web.workdesk import cases, chat, day, figures, queue, schedules, worklists

router = APIRouter(prefix="/workdesk", tags=["workdesk"],
                   dependencies=[Depends(require_account)])
router.add_api_route("", queue.queue_page, methods=["GET"])
for _module in (queue, cases, day, schedules, figures, chat, worklists):
    router.include_router(_module.router)
