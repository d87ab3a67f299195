"""Background work of certification: the assignee's and the lead's emails, the daily overdue scan.

Emails load by id and render in the recipient's language at send time, like the
staff notifications of tickets (opora/tickets/tasks.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django_tasks import task


@task(queue_name="email")
def notify_assigned(*, assignment_id: int) -> str:
    from opora.quality.models import Assignment

    assignment = Assignment.objects.select_related("test", "operator").get(pk=assignment_id)
    user = assignment.operator
    if not user.is_active:
        return "skipped: user inactive"
    if assignment.status != Assignment.Status.ASSIGNED:
        return "skipped: no longer open"
    link = settings.OPORA_BASE_URL + reverse(
        "quality:certification-assignment", args=[assignment.pk]
    )
    with translation.override(user.language):
        values = {
            "test": assignment.test.title,
            "deadline": formats.date_format(assignment.deadline, "SHORT_DATE_FORMAT"),
            "link": link,
        }
        subject = _("Certification test «%(test)s» is assigned to you") % values
        body = (
            _(
                "You have been assigned the certification test «%(test)s».\n"
                "Deadline: %(deadline)s.\n"
                "Study the material and take the test here:\n%(link)s\n"
            )
            % values
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return "sent"


@task(queue_name="email")
def notify_overdue(*, assignment_id: int, user_id: int) -> str:
    from opora.accounts.models import User
    from opora.quality.models import Assignment

    user = User.objects.get(pk=user_id)
    if not user.is_active:
        return "skipped: user inactive"
    assignment = Assignment.objects.select_related("test", "operator").get(pk=assignment_id)
    link = settings.OPORA_BASE_URL + reverse(
        "quality:certification-operator", args=[assignment.operator_id]
    )
    with translation.override(user.language):
        values = {
            "operator": str(assignment.operator),
            "test": assignment.test.title,
            "deadline": formats.date_format(assignment.deadline, "SHORT_DATE_FORMAT"),
            "link": link,
        }
        subject = _("%(operator)s has not passed «%(test)s» by the deadline") % values
        body = (
            _(
                "%(operator)s has not passed the certification test «%(test)s» "
                "by the deadline of %(deadline)s.\n"
                "Their certification history:\n%(link)s\n"
            )
            % values
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return "sent"


@task()
def assignments_overdue() -> str:
    from opora.quality.certification.services import assignments_overdue_mark

    return f"overdue {assignments_overdue_mark()}"
