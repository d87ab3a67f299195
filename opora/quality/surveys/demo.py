"""Demo surveys: NPS answers by client account, follow-ups of low scores, a CSAT link.

Idempotent: the survey is found by name and its past runs are written only
when it has no invitations yet; follow-ups of low CSAT only for answers that
have none; the CSAT link reuses the request of a resolved demo ticket.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import User
from opora.analytics.facts import company_zone
from opora.clients.models import Contact
from opora.quality.models import (
    CsatRequest,
    CsatResponse,
    FollowUp,
    NpsInvitation,
    NpsResponse,
    NpsSurvey,
)
from opora.quality.surveys.services import (
    CSAT_LOW,
    FOLLOW_UP_WITHIN,
    NPS_DETRACTOR,
    add_months,
    csat_url,
    token_new,
)
from opora.tickets.models import Ticket

SURVEY_NAME = "NPS клиентов — ежеквартальный"
QUESTION_RU = "Насколько вероятно, что вы порекомендуете нашу поддержку коллегам или партнёрам?"
QUESTION_EN = "How likely are you to recommend our support to a colleague or partner?"
# Contacts asked per run, and the share who answer.
PER_RUN = 32
ANSWERED = 0.85
# 60 % promoters, 10 % detractors: NPS about 50.
SCORES = [10] * 8 + [9] * 10 + [8] * 6 + [7] * 3 + [6, 5, 3]
COMMENTS = {
    10: ["Всегда быстро и по делу.", "Спасибо Елене — решили за час."],
    9: ["В целом всё хорошо.", ""],
    8: ["Хорошо, но иногда ждём ответа долго.", ""],
    7: ["Нормально.", ""],
    6: ["Вторая линия отвечает слишком долго."],
    5: ["Пришлось трижды объяснять одно и то же."],
    3: ["Проблему с выгрузкой решали две недели."],
}
CSAT_FOLLOW_UPS = 4


def seed_surveys() -> None:
    """Idempotent: running the demo seed again adds nothing."""
    with transaction.atomic():
        survey = _survey()
        if not survey.invitations.exists():
            _past_runs(survey)
        _csat_follow_ups()
        _demo_csat_request()


def _leads() -> list[User]:
    leads = list(User.objects.filter(role=User.Role.LEAD, is_active=True).order_by("pk"))
    return leads or list(User.objects.filter(role=User.Role.HEAD, is_active=True)[:1])


def _survey() -> NpsSurvey:
    now = timezone.localtime(timezone.now(), company_zone())
    quarter = dt.datetime(now.year, (now.month - 1) // 3 * 3 + 1, 1, 10, tzinfo=company_zone())
    survey, _created = NpsSurvey.objects.get_or_create(
        name=SURVEY_NAME,
        defaults={
            "question_ru": QUESTION_RU,
            "question_en": QUESTION_EN,
            "every_months": 3,
            "next_run_at": add_months(quarter, 3),
            "created_by": User.objects.filter(role=User.Role.HEAD).first(),
        },
    )
    return survey


def _audience() -> list[tuple[int, int]]:
    """(contact, account) of active people with an email at active accounts, one account each."""
    through = cast(Any, Contact.accounts).through
    chosen: dict[int, int] = {}
    for contact_id, account_id in (
        through.objects.filter(clientaccount__is_active=True, contact__is_blocked=False)
        .exclude(contact__email="")
        .order_by("contact_id", "clientaccount_id")
        .values_list("contact_id", "clientaccount_id")
    ):
        chosen.setdefault(contact_id, account_id)
    return sorted(chosen.items())


def _past_runs(survey: NpsSurvey) -> None:
    """Two quarterly runs in the past, answered over the following days."""
    rng = random.Random(20261)  # noqa: S311 -- fixed demo data, not security
    audience = _audience()
    if not audience:
        return
    now = timezone.now()
    leads = _leads()
    # The first run about five months ago, the second three months later.
    starts = [now - dt.timedelta(days=152), now - dt.timedelta(days=61)]
    scores = SCORES * 2
    rng.shuffle(scores)
    done_one = False
    for run, start in enumerate(starts, start=1):
        asked = rng.sample(audience, min(PER_RUN, len(audience)))
        for contact_id, account_id in asked:
            invitation = NpsInvitation.objects.create(
                survey=survey,
                run=run,
                contact_id=contact_id,
                account_id=account_id,
                token=token_new(),
                sent_at=start,
            )
            if rng.random() > ANSWERED or not scores:
                continue
            score = scores.pop()
            at = start + dt.timedelta(hours=rng.randint(1, 24 * 6))
            comment = rng.choice(COMMENTS[score])
            invitation.answered_at = at
            invitation.save(update_fields=["answered_at"])
            response = NpsResponse.objects.create(
                invitation=invitation,
                contact_id=contact_id,
                account_id=account_id,
                score=score,
                comment=comment,
                created_at=at,
            )
            if score <= NPS_DETRACTOR:
                lead = leads[len(scores) % len(leads)] if leads else None
                follow_up = FollowUp.objects.create(
                    kind=FollowUp.Kind.NPS,
                    nps=response,
                    account_id=account_id,
                    contact_id=contact_id,
                    score=score,
                    comment=comment,
                    assignee=lead,
                    created_at=at,
                    due_at=at + FOLLOW_UP_WITHIN,
                )
                if run == 1 and not done_one:
                    # One is already handled: the screen shows what «done» looks like.
                    done_one = True
                    follow_up.status = FollowUp.Status.DONE
                    follow_up.resolution = (
                        "Созвонились с клиентом, разобрали задержки второй линии, "
                        "договорились о еженедельном статусе."
                    )
                    follow_up.closed_by = lead
                    follow_up.closed_at = at + dt.timedelta(hours=5)
                    follow_up.save()
    survey.runs = len(starts)
    survey.last_run_at = starts[-1]
    survey.save(update_fields=["runs", "last_run_at"])


def _csat_follow_ups() -> None:
    """Follow-ups for the latest low CSAT answers of the history that have none."""
    if FollowUp.objects.filter(kind=FollowUp.Kind.CSAT).exists():
        return
    low = (
        CsatResponse.objects.filter(score__lte=CSAT_LOW, follow_up__isnull=True)
        .select_related("ticket__team__lead", "ticket__client")
        .order_by("-created_at")[:CSAT_FOLLOW_UPS]
    )
    leads = _leads()
    for index, answer in enumerate(low):
        ticket = answer.ticket
        lead = ticket.team.lead if ticket.team and ticket.team.lead else None
        FollowUp.objects.create(
            kind=FollowUp.Kind.CSAT,
            csat=answer,
            ticket=ticket,
            account=ticket.client,
            contact_id=answer.contact_id,
            score=answer.score,
            comment=answer.comment,
            assignee=lead or (leads[index % len(leads)] if leads else None),
            created_at=answer.created_at,
            due_at=answer.created_at + FOLLOW_UP_WITHIN,
        )


def _demo_csat_request() -> CsatRequest | None:
    """A resolved demo ticket waiting for its client's CSAT (made if the hook did not)."""
    waiting = (
        CsatRequest.objects.filter(ticket__status=Ticket.Status.RESOLVED, ticket__csat__isnull=True)
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        return waiting
    ticket = (
        Ticket.objects.filter(
            status=Ticket.Status.RESOLVED,
            csat__isnull=True,
            csat_request__isnull=True,
            requester__isnull=False,
        )
        .order_by("-pk")
        .first()
    )
    if ticket is None:
        return None
    return CsatRequest.objects.create(
        ticket=ticket,
        contact=ticket.requester,
        token=token_new(),
        channel=CsatRequest.Channel.EMAIL,
        sent_at=timezone.now(),
    )


def demo_csat_link() -> str:
    """The relative URL a person opens to rate a demo ticket in one click ("" if none)."""
    request = _demo_csat_request()
    return csat_url(request.token) if request is not None else ""
