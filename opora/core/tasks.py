"""Housekeeping jobs of the job layer itself."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from opora.core.selectors import FINISHED_STATUSES


@task()
def heartbeat() -> str:
    """Proves the scheduler → queue → worker path works; /healthz reports its age."""
    return timezone.now().isoformat()


@task()
def prune_job_results(days: int = 30) -> int:
    """Delete records of jobs that finished more than `days` ago."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=FINISHED_STATUSES, finished_at__lt=cutoff
    ).delete()
    # Idempotency keys outlive any sensible retry of an API call by far.
    from opora.core.idempotency import idempotency_keys_prune

    return deleted + idempotency_keys_prune()
