"""The management audience: situation picture, care-guarantee dashboard, monitoring,
statutory deadlines, capacity planning, clients and pathways.

Guard: a signed-in staff account that the access policy allows to see management figures
(``Action.VIEW_AGGREGATES``); each view narrows further to the policy's scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from sotekeskus.web.deps import require_management
from sotekeskus.web.manage import (
    access,
    data_quality,
    deadlines,
    monitoring,
    pathways,
    pathways_models,
    pathways_outcomes,
    planning,
    situation,
)

router = APIRouter(tags=["manage"], dependencies=[Depends(require_management)])
for _module in (situation, access, monitoring, deadlines, data_quality, planning, pathways_models,
                pathways_outcomes, pathways):  # pathways last: its /pathways/{section} routes
    router.include_router(_module.router)
