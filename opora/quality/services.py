"""Changes to quality data: a client's CSAT answer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from opora.analytics.rollups import tickets_stale
from opora.clients.models import Contact
from opora.quality.models import CsatResponse
from opora.tickets.models import Ticket

RATABLE = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def csat_record(
    *, ticket: Ticket, contact: Contact | None, score: int, comment: str, channel: str
) -> CsatResponse:
    """The client's rating of the answer: once per ticket, after it is resolved."""
    if ticket.status not in RATABLE:
        raise ValidationError(_("A ticket can be rated once it is resolved."))
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    try:
        with transaction.atomic():
            answer = CsatResponse.objects.create(
                ticket=ticket,
                contact=contact,
                score=score,
                comment=comment.strip()[:2000],
                channel=channel,
            )
            tickets_stale([ticket.pk])
            return answer
    except IntegrityError as error:
        raise ValidationError(_("This ticket has already been rated. Thank you!")) from error
