"""The administration audience under ``/admin``: users, staff profiles, the service catalogue
and routing rules, the indicator registry, the audit log, questionnaires.

Guard: the access policy's administrator actions.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from sotekeskus.web.admin import indicators, questionnaires, services, staff, users
from sotekeskus.web.deps import require_admin

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])
for _module in (users, indicators, staff, services, questionnaires):
    router.include_router(_module.router)
