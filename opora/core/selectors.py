"""Reads shared by the health check, the jobs page and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from opora.core.models import AuditEntry

FINISHED_STATUSES = [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
HEARTBEAT_TASK = "opora.core.tasks.heartbeat"


def database_ok(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
            return row is not None and row[0] == 1
    except Exception:
        return False


def job_summary() -> dict[str, Any]:
    """Queue depth and when the worker last proved alive (its last heartbeat)."""
    counts = DBTaskResult.objects.aggregate(
        ready=Count("id", filter=Q(status=TaskResultStatus.READY)),
        running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("id", filter=Q(status=TaskResultStatus.FAILED)),
    )
    last_beat: dt.datetime | None = (
        DBTaskResult.objects.filter(task_path=HEARTBEAT_TASK, status=TaskResultStatus.SUCCESSFUL)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return {**counts, "last_heartbeat_at": last_beat}


def job_list(*, status: str = "") -> QuerySet[DBTaskResult[Any, Any]]:
    jobs = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        jobs = jobs.filter(status=status)
    return jobs.defer("args_kwargs", "return_value")


def audit_entry_list(
    *, action: str = "", target_type: str = "", actor_id: int | None = None
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor")
    if action:
        entries = entries.filter(action=action)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if actor_id:
        entries = entries.filter(actor_id=actor_id)
    return entries
