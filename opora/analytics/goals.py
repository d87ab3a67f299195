"""The department's KPI goals: read by every dashboard and report, changed by a head."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opora.accounts.models import User
from opora.analytics.models import KpiGoals
from opora.core.audit import audited_update

GOAL_FIELDS = ("sla_emergency", "sla_default", "csat", "nps", "iqs", "repeat_quarterly_change")


def goals_current() -> KpiGoals:
    """The goals in force; the defaults until a head saves the first change."""
    return KpiGoals.objects.filter(pk=1).first() or KpiGoals(pk=1)


@transaction.atomic
def goals_update(*, actor: User, values: dict[str, Any]) -> KpiGoals:
    goals = KpiGoals.objects.select_for_update().filter(pk=1).first() or KpiGoals(pk=1)
    return audited_update(
        instance=goals,
        fields={**{name: values[name] for name in GOAL_FIELDS}, "updated_by": actor},
        allowed=(*GOAL_FIELDS, "updated_by"),
        audited=GOAL_FIELDS,
        actor=actor,
        action="analytics.goals_update",
    )
