from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from opora.core import scheduler
from opora.core.models import ScheduledJob
from opora.core.scheduler import PeriodicJob, scheduler_tick

pytestmark = pytest.mark.django_db

RUNS: list[str] = []
EVERY_MINUTE = [
    PeriodicJob("test.every_minute", "opora.core.tasks.heartbeat", dt.timedelta(minutes=1))
]


def test_it_enqueues_a_new_job_at_once_and_then_only_when_due() -> None:
    now = timezone.now()

    assert scheduler_tick(now=now, jobs=EVERY_MINUTE) == ["test.every_minute"]
    assert scheduler_tick(now=now + dt.timedelta(seconds=30), jobs=EVERY_MINUTE) == []
    assert scheduler_tick(now=now + dt.timedelta(seconds=61), jobs=EVERY_MINUTE) == [
        "test.every_minute"
    ]

    row = ScheduledJob.objects.get(name="test.every_minute")
    assert row.runs == 2
    assert row.next_run_at == now + dt.timedelta(seconds=121)


def test_two_schedulers_that_saw_the_same_due_row_enqueue_it_once() -> None:
    now = timezone.now()
    scheduler_tick(now=now, jobs=EVERY_MINUTE)
    stale = ScheduledJob.objects.get(name="test.every_minute")
    later = now + dt.timedelta(minutes=2)

    # The first scheduler wins the conditional update...
    assert scheduler_tick(now=later, jobs=EVERY_MINUTE) == ["test.every_minute"]
    # ...the second read the row before that and must lose it.
    claimed = ScheduledJob.objects.filter(pk=stale.pk, next_run_at=stale.next_run_at).update(
        next_run_at=later
    )
    assert claimed == 0
    assert ScheduledJob.objects.get(pk=stale.pk).runs == 2


def test_every_declared_periodic_job_points_at_a_real_task() -> None:
    enqueued = scheduler_tick(now=timezone.now())

    assert enqueued == [job.name for job in scheduler.PERIODIC_JOBS]


def test_the_loop_survives_a_failing_tick_and_stops_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop = threading.Event()
    calls: list[int] = []

    def flaky_tick() -> list[str]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        stop.set()
        return []

    monkeypatch.setattr(scheduler, "scheduler_tick", flaky_tick)
    scheduler.scheduler_loop(interval=0.01, stop=stop)

    assert len(calls) == 2
