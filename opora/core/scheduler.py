"""The periodic scheduler: enqueues due jobs onto the durable job queue.

Periodic jobs are declared here, in code. Their state is a `ScheduledJob`
row each. Any number of schedulers may run (one per machine is typical):

1. each reads the rows that are due;
2. each tries to move a due row's `next_run_at` forward with an UPDATE
   conditioned on the value it read;
3. only the scheduler whose UPDATE changed a row enqueues the job, in the
   same transaction, so a crash between claim and enqueue loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from opora.core.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task_path: str
    every: dt.timedelta


PERIODIC_JOBS = [
    PeriodicJob("core.heartbeat", "opora.core.tasks.heartbeat", dt.timedelta(minutes=1)),
    PeriodicJob(
        "core.prune_job_results", "opora.core.tasks.prune_job_results", dt.timedelta(hours=24)
    ),
    PeriodicJob(
        "accounts.prune_login_attempts",
        "opora.accounts.tasks.prune_login_attempts",
        dt.timedelta(hours=24),
    ),
    PeriodicJob("sla.process_due", "opora.sla.tasks.process_due", dt.timedelta(minutes=1)),
    PeriodicJob("sla.check_next_year", "opora.sla.tasks.check_next_year", dt.timedelta(hours=24)),
    PeriodicJob(
        "channels.mailboxes_poll", "opora.channels.tasks.mailboxes_poll", dt.timedelta(minutes=1)
    ),
    # Chat clients expect quicker answers than email: bots are asked every 15 seconds.
    PeriodicJob(
        "channels.telegram_bots_poll",
        "opora.channels.tasks.telegram_bots_poll",
        dt.timedelta(seconds=15),
    ),
    PeriodicJob(
        "channels.deliveries_due", "opora.channels.tasks.deliveries_due", dt.timedelta(minutes=1)
    ),
    # Dashboards lag changes by at most this much (docs/metrics.md «Freshness»).
    PeriodicJob(
        "analytics.rollups_refresh",
        "opora.analytics.tasks.rollups_refresh",
        dt.timedelta(seconds=30),
    ),
    PeriodicJob(
        "analytics.reports_send", "opora.analytics.tasks.reports_send", dt.timedelta(hours=1)
    ),
    PeriodicJob(
        "quality.nps_surveys_run",
        "opora.quality.surveys.tasks.nps_surveys_run",
        dt.timedelta(hours=1),
    ),
    PeriodicJob(
        "knowledge.review_reminders",
        "opora.knowledge.tasks.review_reminders",
        dt.timedelta(hours=24),
    ),
    PeriodicJob(
        "tickets.auto_close_resolved",
        "opora.tickets.tasks.auto_close_resolved",
        dt.timedelta(minutes=15),
    ),
    PeriodicJob(
        "quality.certification_overdue",
        "opora.quality.certification.tasks.assignments_overdue",
        dt.timedelta(hours=24),
    ),
]


def scheduler_tick(
    *, now: dt.datetime | None = None, jobs: list[PeriodicJob] | None = None
) -> list[str]:
    """Enqueue each due job exactly once; return the names this call enqueued."""
    now = now or timezone.now()
    jobs = PERIODIC_JOBS if jobs is None else jobs
    rows = {row.name: row for row in ScheduledJob.objects.filter(name__in=[j.name for j in jobs])}
    enqueued: list[str] = []
    for job in jobs:
        row = rows.get(job.name)
        if row is None:
            # First sight of this job: run it now. A concurrent scheduler may
            # create it first; get_or_create then returns that row.
            row, _created = ScheduledJob.objects.get_or_create(
                name=job.name, defaults={"next_run_at": now}
            )
        if row.next_run_at > now:
            continue
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
                next_run_at=now + job.every, last_enqueued_at=now, runs=F("runs") + 1
            )
            if claimed != 1:
                continue
            import_string(job.task_path).enqueue()
        enqueued.append(job.name)
    return enqueued


def scheduler_loop(*, interval: float, stop: threading.Event) -> None:
    """Tick every `interval` seconds until `stop` is set (by SIGTERM/SIGINT)."""
    logger.info("Scheduler started, interval %.1fs", interval)
    while not stop.is_set():
        close_old_connections()
        try:
            names = scheduler_tick()
            if names:
                logger.info("Enqueued: %s", ", ".join(names))
        except Exception:
            # A database hiccup must not kill the scheduler; the next tick retries.
            logger.exception("Scheduler tick failed")
        stop.wait(interval)
    logger.info("Scheduler stopped")
