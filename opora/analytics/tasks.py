"""Background work of analytics: keeping the rollups up to date."""

from __future__ import annotations

from django_tasks import task


@task()
def rollups_refresh() -> str:
    """Re-count every ticket changed since the last run (runs every 30 seconds)."""
    from opora.analytics.rollups import rollups_refresh as refresh

    result = refresh()
    return "busy" if result.busy else f"refreshed {result.refreshed}"


@task()
def reports_send() -> str:
    """Mail the monthly and weekly reports once their period is over (runs hourly)."""
    from opora.analytics.reports import MONTHLY, WEEKLY, report_send

    return "; ".join(report_send(kind) for kind in (MONTHLY, WEEKLY))
