from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opora.core import selectors
from opora.core.access import Perm, ensure_perm
from opora.core.pagination import keyset_page

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    changes: dict[str, Any]


class AuditPageOut(Schema):
    items: list[AuditEntryOut]
    next_before: int | None


@router.get("/audit", response=AuditPageOut, summary="The audit trail, newest first (keyset pages)")
def audit_list(
    request: HttpRequest, action: str = "", target_type: str = "", before: str | None = None
) -> Any:
    ensure_perm(request.user, Perm.VIEW_AUDIT)
    return keyset_page(
        selectors.audit_entry_list(action=action, target_type=target_type), before=before
    )
