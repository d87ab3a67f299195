"""The monthly KPI report for the CEO and the weekly team-meeting report.

Both are built from the metrics layer (the same numbers as the dashboards),
rendered as a page and as a PDF from one template body, and mailed on
schedule: the monthly one on the 1st to heads and admins, the weekly one on
Monday to heads and team leads. A `ReportDelivery` row per report and period
makes the mailing happen once, even when the job runs again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.accounts.models import User
from opora.analytics import dashboards, metrics
from opora.analytics.facts import company_today, company_zone
from opora.analytics.goals import goals_current
from opora.analytics.metrics import Filters
from opora.analytics.models import ProductRequest, ReportDelivery, ReportNote
from opora.tickets.models import Category

MONTHLY, WEEKLY = "monthly", "weekly"
TREND_MONTHS = 6


# (label, metric, kind, higher is better, goal name), as dashboards.cards_for takes them.
KPI_LINES = (
    (gettext_lazy("Tickets in"), "created", "number", True, None),
    (gettext_lazy("Resolved"), "resolved", "number", True, None),
    (
        gettext_lazy("Within SLA, all targets"),
        "sla_percent",
        "percent",
        True,
        "sla_default",
    ),
    (
        gettext_lazy("First response, median (business)"),
        "frt_median_business",
        "duration",
        False,
        None,
    ),
    (gettext_lazy("First response, p90 (business)"), "frt_p90_business", "duration", False, None),
    (
        gettext_lazy("Resolution, median (business)"),
        "resolution_median_business",
        "duration",
        False,
        None,
    ),
    (
        gettext_lazy("Resolution, p90 (business)"),
        "resolution_p90_business",
        "duration",
        False,
        None,
    ),
    (gettext_lazy("First contact resolution"), "fcr_rate", "percent", True, None),
    (gettext_lazy("Repeat contacts"), "repeat_rate", "percent", False, None),
    (gettext_lazy("Reopened"), "reopen_rate", "percent", False, None),
    (gettext_lazy("Escalated"), "escalation_rate", "percent", False, None),
    (gettext_lazy("CSAT"), "csat_average", "score", True, "csat"),
    (gettext_lazy("CSAT answers"), "csat_count", "number", True, None),
)


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def last_complete(kind: str, *, today: dt.date | None = None) -> dt.date:
    """The start of the last finished month or week."""
    today = today or company_today()
    if kind == MONTHLY:
        return month_of(today.replace(day=1) - dt.timedelta(days=1))[0]
    return week_of(today - dt.timedelta(days=7))[0]


def period_of(kind: str, start: dt.date) -> Filters:
    first, last = month_of(start) if kind == MONTHLY else week_of(start)
    return Filters(start=first, end=last)


def monthly(start: dt.date) -> dict[str, Any]:
    """The CEO's monthly KPI report (seed 001): goals against actuals, the trend, commentary."""
    filters = period_of(MONTHLY, start)
    previous = Filters(*month_of(filters.start - dt.timedelta(days=1)))
    trend_start = filters.start
    for _month in range(TREND_MONTHS - 1):
        trend_start = month_of(trend_start - dt.timedelta(days=1))[0]
    trend = dashboards.trend_table(Filters(start=trend_start, end=filters.end), "month")
    reasons = dashboards.reasons(filters, top=5)
    goals = goals_current()
    return {
        "kind": MONTHLY,
        "title": _("Support KPI report for %(month)s")
        % {"month": formats.date_format(filters.start, "F Y")},
        "filters": filters,
        "previous": previous,
        "lines": [
            *dashboards.cards_for(
                metrics.summary(filters), metrics.summary(previous), KPI_LINES, goals
            ),
            dashboards.iqs_card(filters, goals, previous),
            dashboards.nps_card(filters, goals, previous),
        ],
        "sla_rows": dashboards.sla_by_type(filters, goals),
        "trend": trend,
        "reasons": reasons["rows"],
        "note": ReportNote.objects.filter(kind=MONTHLY, period_start=filters.start).first(),
    }


def weekly(start: dt.date) -> dict[str, Any]:
    """The weekly team meeting: the week's numbers per operator, backlog now, breaches, reasons."""
    filters = period_of(WEEKLY, start)
    current, previous = metrics.summary(filters), metrics.summary(filters.previous())
    goals = goals_current()
    return {
        "kind": WEEKLY,
        "title": _("Team report for the week of %(start)s – %(end)s")
        % {
            "start": formats.date_format(filters.start, "d.m"),
            "end": formats.date_format(filters.end, "d.m.Y"),
        },
        "filters": filters,
        "previous": filters.previous(),
        "lines": dashboards.cards_for(current, previous, dashboards.TRAFFIC_CARDS, goals)
        + dashboards.cards_for(current, previous, dashboards.QUALITY_CARDS, goals)
        + [dashboards.iqs_card(filters, goals)],
        "team": dashboards.team(filters)["rows"],
        "backlog": metrics.backlog(filters),
        "sla_rows": dashboards.sla_by_type(filters, goals),
        "reasons": dashboards.reasons(filters, top=5)["rows"],
        "note": ReportNote.objects.filter(kind=WEEKLY, period_start=filters.start).first(),
    }


BUILDERS = {MONTHLY: monthly, WEEKLY: weekly}


def report_note_save(*, kind: str, start: dt.date, text: str, author: User) -> ReportNote:
    """The head's commentary on a report period (shown on the page, the PDF and the email)."""
    from opora.core.audit import audit_record

    note, _created = ReportNote.objects.update_or_create(
        kind=kind, period_start=start, defaults={"text": text.strip()[:5000], "author": author}
    )
    audit_record(actor=author, action="analytics.report_note", target=note, changes={"text": text})
    return note


def report_html(report: dict[str, Any], *, pdf: bool) -> str:
    template = "analytics/reports/pdf.html" if pdf else "analytics/reports/body.html"
    return render_to_string(template, {"report": report, "company": settings.OPORA_COMPANY_NAME})


def report_pdf(report: dict[str, Any]) -> bytes:
    from opora.core.pdf import html_to_pdf

    return html_to_pdf(report_html(report, pdf=True))


def recipients(kind: str) -> list[User]:
    roles = (
        [User.Role.HEAD, User.Role.ADMIN] if kind == MONTHLY else [User.Role.HEAD, User.Role.LEAD]
    )
    return list(User.objects.filter(is_active=True, role__in=roles).order_by("email"))


def report_send(kind: str, *, today: dt.date | None = None) -> str:
    """Mail the last finished period's report once (the scheduled job calls this daily)."""
    start = last_complete(kind, today=today)
    try:
        with transaction.atomic():
            delivery = ReportDelivery.objects.create(kind=kind, period_start=start)
    except IntegrityError:
        return f"{kind} {start}: already sent"
    people = recipients(kind)
    try:
        for language in sorted({person.language or settings.LANGUAGE_CODE for person in people}):
            group = [p.email for p in people if (p.language or settings.LANGUAGE_CODE) == language]
            with translation.override(language):
                report = BUILDERS[kind](start)
                message = EmailMessage(
                    subject=str(report["title"]),
                    body=render_to_string("analytics/reports/email.txt", {"report": report}),
                    to=group,
                )
                message.attach(
                    f"opora-{kind}-{start.isoformat()}.pdf", report_pdf(report), "application/pdf"
                )
                message.send()
    except Exception:
        # Not sent: let tomorrow's run (or a retry) try again.
        delivery.delete()
        raise
    ReportDelivery.objects.filter(pk=delivery.pk).update(recipients=len(people))
    return f"{kind} {start}: sent to {len(people)}"


SAMPLES = 20


@transaction.atomic
def product_request_create(
    *, filters: Filters, category_id: int, actor: User, note: str = ""
) -> ProductRequest:
    """Hand a contact reason to development: the period's count and the latest tickets."""
    from opora.core.audit import audit_record

    category = Category.objects.filter(pk=category_id).first() if category_id else None
    zone = company_zone()
    tickets = metrics.tickets_matching(filters).filter(
        created_at__gte=dt.datetime.combine(filters.start, dt.time(), tzinfo=zone),
        created_at__lt=dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(), zone),
    )
    if category_id:
        tickets = tickets.filter(category_id=category_id)
    else:
        tickets = tickets.filter(category__isnull=True)
    tickets = tickets.order_by("-created_at")
    counts = {r["category_id"]: r["created"] for r in metrics.category_counts(filters)}
    request = ProductRequest.objects.create(
        title=_("Contact reason «%(reason)s»: %(count)s tickets in %(start)s – %(end)s")
        % {
            "reason": category or _("No category"),
            "count": counts.get(category_id, 0),
            "start": formats.date_format(filters.start, "d.m.Y"),
            "end": formats.date_format(filters.end, "d.m.Y"),
        },
        category=category,
        period_start=filters.start,
        period_end=filters.end,
        tickets_in_period=counts.get(category_id, 0),
        note=note.strip()[:5000],
        created_by=actor,
    )
    request.samples.set(list(tickets[:SAMPLES]))
    audit_record(actor=actor, action="analytics.product_request", target=request)
    return request
