"""The department's KPI goals: read by every dashboard and report, changed by a head."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opora.accounts.models import User
from opora.analytics.models import KpiGoals
from opora.core.audit import audit_record, diff, snapshot

GOAL_FIELDS = ("sla_emergency", "sla_default", "csat", "nps", "iqs", "repeat_quarterly_change")


def goals_current() -> KpiGoals:
    """The goals in force; the defaults until a head saves the first change."""
    return KpiGoals.objects.filter(pk=1).first() or KpiGoals(pk=1)


@transaction.atomic
def goals_update(*, actor: User, values: dict[str, Any]) -> KpiGoals:
    goals = KpiGoals.objects.select_for_update().filter(pk=1).first() or KpiGoals(pk=1)
    before = snapshot(goals, GOAL_FIELDS)
    for name in GOAL_FIELDS:
        setattr(goals, name, values[name])
    goals.updated_by = actor
    goals.full_clean()
    goals.save()
    audit_record(
        actor=actor,
        action="analytics.goals_update",
        target=goals,
        changes=diff(before, snapshot(goals, GOAL_FIELDS)),
    )
    return goals
