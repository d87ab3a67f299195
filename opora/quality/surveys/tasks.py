"""Background work of the surveys: asking for CSAT, running NPS surveys, telling assignees."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from opora.quality.models import FollowUp


@task(queue_name="email")
def csat_ask(*, request_id: int) -> str:
    from opora.quality.surveys.services import csat_request_send

    return csat_request_send(request_id=request_id)


@task()
def nps_surveys_run() -> str:
    """Every due survey, each claimed by its own conditional UPDATE (safe to run twice)."""
    from opora.quality.surveys.services import nps_survey_run, nps_surveys_due

    invited = runs = 0
    for survey_id, due_at in nps_surveys_due():
        invitations = nps_survey_run(survey_id=survey_id, due_at=due_at)
        if invitations is not None:
            runs += 1
            invited += len(invitations)
    return f"runs {runs}, invited {invited}"


@task(queue_name="email")
def follow_up_notify(*, follow_up_id: int) -> str:
    from opora.quality.surveys.services import follow_up_email

    follow_up = (
        FollowUp.objects.select_related("assignee", "ticket", "account", "contact")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None or follow_up.assignee is None or not follow_up.assignee.is_active:
        return "skipped: nobody to tell"
    subject, body = follow_up_email(follow_up, follow_up.assignee)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [follow_up.assignee.email])
    return "sent"
