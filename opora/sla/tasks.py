"""Background work of the SLA app: warnings and breaches, recompute, the yearly decree check."""

from __future__ import annotations

from django_tasks import task


@task()
def process_due() -> str:
    from opora.sla.services import sla_breaches_escalate, sla_warnings_send

    warned = sla_warnings_send()
    breached = sla_breaches_escalate()
    return f"warned {warned}, breached {breached}"


@task()
def recompute(*, calendar_ids: list[int] | None = None, rematch: bool = False) -> str:
    from opora.sla.services import sla_recompute, sla_rematch

    rematched = sla_rematch() if rematch else 0
    recomputed = sla_recompute(calendar_ids=calendar_ids, workers=2)
    return f"rematched {rematched}, recomputed {recomputed}"


@task()
def check_next_year() -> str:
    from opora.sla.config_services import calendar_years_check

    return f"provisional {len(calendar_years_check())}"


@task(queue_name="email")
def warn_provisional_year(*, calendar_year_id: int) -> str:
    """Tell administrators that next year's decree is not loaded into a calendar."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from opora.accounts.models import User
    from opora.sla.models import CalendarYear

    row = CalendarYear.objects.select_related("calendar").get(pk=calendar_year_id)
    link = settings.OPORA_BASE_URL + reverse("sla:calendar-year", args=[row.calendar_id, row.year])
    sent = 0
    for user in User.objects.filter(role=User.Role.ADMIN, is_active=True):
        with translation.override(user.language):
            subject = _("Production calendar %(year)s is not loaded") % {"year": row.year}
            body = _(
                "The calendar «%(calendar)s» has no decree for %(year)s yet, so SLA deadlines "
                "in %(year)s count only public holidays (no moved or shortened days). "
                "Load the decree (xmlcalendar or isdayoff) or mark the days by hand:\n%(link)s"
            ) % {"calendar": row.calendar.name, "year": row.year, "link": link}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        sent += 1
    return f"sent {sent}"
