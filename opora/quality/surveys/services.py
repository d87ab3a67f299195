"""Changes to survey data: asking for CSAT and NPS, recording answers, following up low ones.

How a client is asked for CSAT:
1. the tickets services call `csat_request_on_resolve` when a ticket becomes
   resolved, inside that transaction: a `CsatRequest` row (one per ticket,
   ever) and the `csat_ask` job;
2. the job (`csat_request_send`) queues the question on the ticket's channel
   through the outbox: five links in an email, or five buttons in Telegram;
3. the answer (`csat_answer`, from the public page or a button) records the
   score through `csat_record`, which also opens a follow-up for a low one.

A ticket reopened and resolved again is not asked a second time: the client
already has the question (its link works for `CSAT_LINK_DAYS`), and a
second letter about the same ticket reads as nagging.

NPS: a periodic job claims each due survey by moving its `next_run_at` with a
conditional UPDATE (as `core/scheduler.py` does), and only the claimer
creates the run's invitations and their emails, in the claim's transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.analytics.rollups import tickets_stale
from opora.clients.models import ClientAccount, Contact
from opora.core.audit import audit_record, diff, snapshot
from opora.quality.models import (
    CsatRequest,
    CsatResponse,
    FollowUp,
    NpsInvitation,
    NpsResponse,
    NpsSurvey,
)
from opora.tickets.models import Ticket

RATABLE = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
CSAT_SCORES = range(1, 6)
NPS_SCORES = range(0, 11)
# A CSAT of 3 or less, an NPS of 6 or less (a detractor): someone calls back.
CSAT_LOW = 3
NPS_DETRACTOR = 6
COMMENT_MAX = 2000
# How long the links in a letter answer; after that the page says the link is stale.
CSAT_LINK_DAYS = 30
NPS_LINK_DAYS = 30
FOLLOW_UP_WITHIN = dt.timedelta(hours=24)
# Telegram limits callback_data to 64 bytes: «csat:» + a 32-character token + «:5».
BUTTON_PREFIX = "csat"


class SurveyLinkInvalid(Exception):
    """The token is unknown, or its link has expired."""


class AlreadyAnswered(Exception):
    """The question was answered before; the first answer stands."""


def token_new() -> str:
    """A link's key: 192 random bits, URL-safe, short enough for a Telegram button."""
    return secrets.token_urlsafe(24)


def _comment_clean(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {
                "comment": _("The comment is too long: at most %(limit)s characters.")
                % {"limit": COMMENT_MAX}
            }
        )
    return comment


# --- CSAT ------------------------------------------------------------------------


def csat_record(
    *, ticket: Ticket, contact: Contact | None, score: int, comment: str, channel: str
) -> CsatResponse:
    """The client's rating of the answer: once per ticket, after it is resolved.

    A score of `CSAT_LOW` or less opens a follow-up for the team's lead in the
    same transaction. Raises ValidationError for a ticket not yet resolved, a
    score outside 1–5, a comment too long, or a second answer.
    """
    if ticket.status not in RATABLE:
        raise ValidationError(_("A ticket can be rated once it is resolved."))
    if score not in CSAT_SCORES:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    comment = _comment_clean(comment)
    try:
        with transaction.atomic():
            answer = CsatResponse.objects.create(
                ticket=ticket, contact=contact, score=score, comment=comment, channel=channel
            )
            tickets_stale([ticket.pk])
            if score <= CSAT_LOW:
                follow_up_open(
                    kind=FollowUp.Kind.CSAT,
                    csat=answer,
                    ticket=ticket,
                    account=ticket.client,
                    contact=contact or ticket.requester,
                    score=score,
                    comment=comment,
                    assignee=_lead_for(ticket),
                )
            return answer
    except IntegrityError as error:
        raise ValidationError(_("This ticket has already been rated. Thank you!")) from error


def csat_request_on_resolve(*, ticket: Ticket) -> CsatRequest | None:
    """The tickets services' hook: `ticket` has just become resolved (call in that transaction).

    Asks once per ticket: nothing happens when it was asked or answered before,
    for spam, or when the client can be reached neither in Telegram nor by email.
    """
    from opora.channels.telegram.outbound import telegram_chat
    from opora.quality.surveys.tasks import csat_ask

    requester = ticket.requester
    if ticket.is_spam or requester is None or requester.is_blocked:
        return None
    if (
        CsatRequest.objects.filter(ticket=ticket).exists()
        or CsatResponse.objects.filter(ticket=ticket).exists()
    ):
        return None
    if ticket.channel == Ticket.Channel.TELEGRAM and telegram_chat(ticket) is not None:
        channel = CsatRequest.Channel.TELEGRAM
    elif requester.email:
        channel = CsatRequest.Channel.EMAIL
    else:
        return None
    request = CsatRequest.objects.create(
        ticket=ticket, contact=requester, token=token_new(), channel=channel
    )
    csat_ask.enqueue(request_id=request.pk)
    return request


def csat_url(token: str, score: int | None = None) -> str:
    """The public page of a CSAT link, relative; with a score it records that score."""
    if score is None:
        return reverse("quality:csat-comment", args=[token])
    return reverse("quality:csat-answer", args=[token, score])


def nps_url(token: str, score: int | None = None) -> str:
    if score is None:
        return reverse("quality:nps-comment", args=[token])
    return reverse("quality:nps-answer", args=[token, score])


def _csat_links(token: str) -> list[dict[str, Any]]:
    words = {1: _("Bad"), 2: _("Poor"), 3: _("Fair"), 4: _("Good"), 5: _("Excellent")}
    return [
        {"score": n, "word": words[n], "url": settings.OPORA_BASE_URL + csat_url(token, n)}
        for n in CSAT_SCORES
    ]


@transaction.atomic
def csat_request_send(*, request_id: int) -> str:
    """Queue the CSAT question of one request on its channel; once, whatever retries happen."""
    from opora.channels.mail.outbound import email_queue
    from opora.channels.telegram.outbound import chat_queue, telegram_chat

    request = (
        CsatRequest.objects.select_for_update(of=("self",))
        .select_related("ticket__requester", "contact")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.sent_at is not None:
        return "skipped: already sent"
    ticket = request.ticket
    if CsatResponse.objects.filter(ticket=ticket).exists():
        return "skipped: already answered"
    language = request.contact.language if request.contact else settings.LANGUAGE_CODE
    delivery = None
    if request.channel == CsatRequest.Channel.TELEGRAM:
        chat = telegram_chat(ticket)
        if chat is not None:
            bot, chat_id = chat
            with translation.override(language):
                text = _(
                    "How do you rate the answer to your request %(reference)s? "
                    "1 — bad, 5 — excellent."
                ) % {"reference": ticket.reference}
            buttons = [
                {"text": str(n), "callback_data": f"{BUTTON_PREFIX}:{request.token}:{n}"}
                for n in CSAT_SCORES
            ]
            delivery = chat_queue(
                bot=bot,
                chat_id=chat_id,
                ticket=ticket,
                text=text,
                reply_markup={"inline_keyboard": [buttons]},
            )
    else:
        with translation.override(language):
            links = _csat_links(request.token)
        delivery = email_queue(
            ticket=ticket,
            message=None,
            template="csat",
            template_dir="quality/surveys/email",
            extra={"links": links},
            language=language,
            auto_submitted="auto-generated",
        )
    if delivery is None:
        return "skipped: no way to reach the client"
    request.sent_at = timezone.now()
    request.save(update_fields=["sent_at"])
    return "sent"


def csat_request_get(token: str, *, now: dt.datetime | None = None) -> CsatRequest:
    """The request behind a link; SurveyLinkInvalid when unknown or expired."""
    now = now or timezone.now()
    request = (
        CsatRequest.objects.select_related("ticket", "contact").filter(token=token).first()
        if token
        else None
    )
    if request is None or request.created_at < now - dt.timedelta(days=CSAT_LINK_DAYS):
        raise SurveyLinkInvalid
    return request


@transaction.atomic
def csat_answer(*, token: str, score: int, channel: str, comment: str = "") -> CsatResponse:
    """A client's one-click answer from a link or a button.

    Raises SurveyLinkInvalid (unknown or expired token), AlreadyAnswered, or
    ValidationError (score out of range, ticket reopened meanwhile).
    """
    request = csat_request_get(token)
    # The ticket row is the lock: two clicks at once record one answer.
    ticket = Ticket.objects.select_for_update().get(pk=request.ticket_id)
    if CsatResponse.objects.filter(ticket=ticket).exists():
        raise AlreadyAnswered
    return csat_record(
        ticket=ticket, contact=request.contact, score=score, comment=comment, channel=channel
    )


@transaction.atomic
def csat_comment_add(*, token: str, comment: str) -> CsatResponse:
    """The optional words after the click: added once, to an answer without a comment."""
    request = csat_request_get(token)
    answer = CsatResponse.objects.select_for_update().filter(ticket_id=request.ticket_id).first()
    if answer is None:
        raise ValidationError(_("Choose a score first."))
    if answer.comment:
        raise AlreadyAnswered
    comment = _comment_clean(comment)
    if not comment:
        raise ValidationError({"comment": _("Write a few words, or just close the page.")})
    answer.comment = comment
    answer.save(update_fields=["comment"])
    FollowUp.objects.filter(csat=answer).update(comment=comment)
    return answer


@dataclass(frozen=True)
class ButtonPress:
    """What a pressed CSAT button did: the ticket, the notice and the message's new text."""

    ticket: Ticket
    notice: str
    confirm: str


def csat_telegram_press(*, data: str, user_id: int | None) -> ButtonPress | None:
    """A CSAT button was pressed in Telegram; None when the data is not a CSAT button's.

    Call inside a transaction (the update's import).
    """
    prefix, _sep, rest = data.partition(":")
    token, _sep, raw_score = rest.rpartition(":")
    if prefix != BUTTON_PREFIX or not token or not raw_score.isdigit():
        return None
    try:
        request = csat_request_get(token)
    except SurveyLinkInvalid:
        return None
    language = request.contact.language if request.contact else settings.LANGUAGE_CODE
    owner = request.contact.telegram_user_id if request.contact else None
    if owner is not None and user_id != owner:
        # A forwarded question: only the client who was asked may answer it.
        return None
    with translation.override(language):
        try:
            with transaction.atomic():
                csat_answer(
                    token=token, score=int(raw_score), channel=CsatResponse.Channel.TELEGRAM
                )
        except AlreadyAnswered:
            notice = _("You have already rated this request.")
            return ButtonPress(request.ticket, notice, notice)
        except ValidationError as error:
            return ButtonPress(request.ticket, error.messages[0], "")
        thanks = _("Thank you for your rating!")
        return ButtonPress(request.ticket, thanks, thanks)


# --- Follow-ups ------------------------------------------------------------------


def _head_of_support() -> User | None:
    return User.objects.filter(role=User.Role.HEAD, is_active=True).order_by("pk").first()


def _lead_for(ticket: Ticket) -> User | None:
    """The lead of the ticket's team, else a head of support."""
    team = ticket.team
    lead = team.lead if team is not None else None
    if lead is not None and lead.is_active:
        return lead
    return _head_of_support()


def _curator_for(account: ClientAccount | None) -> User | None:
    """An NPS detractor goes to the account's backup curator if they lead, else a head."""
    curator = account.backup_curator if account is not None else None
    if (
        curator is not None
        and curator.is_active
        and curator.role in (User.Role.LEAD, User.Role.HEAD, User.Role.ADMIN)
    ):
        return curator
    return _head_of_support()


def follow_up_open(
    *,
    kind: str,
    score: int,
    comment: str,
    assignee: User | None,
    contact: Contact | None,
    account: ClientAccount | None = None,
    ticket: Ticket | None = None,
    csat: CsatResponse | None = None,
    nps: NpsResponse | None = None,
    now: dt.datetime | None = None,
) -> FollowUp:
    """A low score someone must act on; the assignee hears by email. Call inside the answer's transaction."""
    from opora.quality.surveys.tasks import follow_up_notify

    now = now or timezone.now()
    follow_up = FollowUp.objects.create(
        kind=kind,
        csat=csat,
        nps=nps,
        ticket=ticket,
        account=account,
        contact=contact,
        score=score,
        comment=comment,
        assignee=assignee,
        due_at=now + FOLLOW_UP_WITHIN,
        created_at=now,
    )
    audit_record(actor=None, action="quality.follow_up.open", target=follow_up)
    if assignee is not None:
        follow_up_notify.enqueue(follow_up_id=follow_up.pk)
    return follow_up


@transaction.atomic
def follow_up_close(*, follow_up: FollowUp, actor: User, resolution: str) -> FollowUp:
    """Done: the client was called back; what was done is required and audited."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.status == FollowUp.Status.DONE:
        raise ValidationError(_("This follow-up is already closed."))
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say what was done.")})
    if len(resolution) > COMMENT_MAX:
        raise ValidationError(
            {
                "resolution": _("The note is too long: at most %(limit)s characters.")
                % {"limit": COMMENT_MAX}
            }
        )
    follow_up.status = FollowUp.Status.DONE
    follow_up.resolution = resolution
    follow_up.closed_by = actor
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["status", "resolution", "closed_by", "closed_at"])
    audit_record(
        actor=actor,
        action="quality.follow_up.close",
        target=follow_up,
        changes={"status": [FollowUp.Status.OPEN, FollowUp.Status.DONE], "resolution": resolution},
    )
    return follow_up


def follow_up_email(follow_up: FollowUp, user: User) -> tuple[str, str]:
    """The assignee's notification: subject and body, in their language."""
    link = settings.OPORA_BASE_URL + reverse("quality:followup-list")
    ctx = {"follow_up": follow_up, "user": user, "link": link}
    with translation.override(user.language):
        subject = render_to_string("quality/surveys/email/follow_up_subject.txt", ctx).strip()
        body = render_to_string("quality/surveys/email/follow_up.txt", ctx)
    return " ".join(subject.split()), body


# --- NPS surveys -----------------------------------------------------------------

SURVEY_FIELDS = (
    "name",
    "question_ru",
    "question_en",
    "audience",
    "every_months",
    "cooldown_days",
    "is_active",
    "next_run_at",
)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@transaction.atomic
def nps_survey_save(
    *,
    actor: User,
    survey: NpsSurvey | None = None,
    accounts: Iterable[ClientAccount] = (),
    **fields: Any,
) -> NpsSurvey:
    """Create or change a survey; audited. The rules: a question, months ≥ 1, chosen accounts."""
    unknown = set(fields) - set(SURVEY_FIELDS)
    if unknown:
        raise TypeError(f"nps_survey_save cannot change {sorted(unknown)}")
    creating = survey is None
    survey = (
        NpsSurvey(created_by=actor)
        if survey is None
        else NpsSurvey.objects.select_for_update().get(pk=survey.pk)
    )
    before = snapshot(survey, SURVEY_FIELDS)
    before_accounts = [] if creating else sorted(survey.accounts.values_list("pk", flat=True))
    for name, value in fields.items():
        setattr(survey, name, value.strip() if isinstance(value, str) else value)
    accounts = list(accounts)
    errors: dict[str, str] = {}
    if not survey.name:
        errors["name"] = _("Name the survey.")
    if not survey.question_ru:
        errors["question_ru"] = _("Write the question in Russian.")
    if survey.every_months is None or survey.every_months < 1:
        errors["every_months"] = _("Months between runs: 1 or more.")
    if survey.audience == NpsSurvey.Audience.CHOSEN and not accounts:
        errors["accounts"] = _("Choose at least one client account.")
    if errors:
        raise ValidationError(errors)
    if survey.is_active and survey.next_run_at is None:
        survey.next_run_at = timezone.now()
    survey.save()
    survey.accounts.set(accounts if survey.audience == NpsSurvey.Audience.CHOSEN else [])
    changes = diff(before, snapshot(survey, SURVEY_FIELDS))
    after_accounts = sorted(a.pk for a in survey.accounts.all())
    if after_accounts != before_accounts:
        changes["accounts"] = [before_accounts, after_accounts]
    if creating or changes:
        audit_record(
            actor=actor,
            action="quality.nps_survey.create" if creating else "quality.nps_survey.update",
            target=survey,
            changes=changes,
        )
    return survey


def nps_surveys_due(*, now: dt.datetime | None = None) -> list[tuple[int, dt.datetime]]:
    """Active surveys whose time has come: (id, the next_run_at read) for the claim."""
    now = now or timezone.now()
    return [
        (pk, at)
        for pk, at in NpsSurvey.objects.filter(is_active=True, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("pk", "next_run_at")
        if at is not None
    ]


@transaction.atomic
def nps_survey_run(
    *, survey_id: int, due_at: dt.datetime, now: dt.datetime | None = None
) -> list[NpsInvitation] | None:
    """Run a due survey once: claim it, invite its audience, queue the emails.

    1. Move `next_run_at` from the value read (`due_at`) to the next period's
       with a conditional UPDATE; a second worker, or a repeat of this call,
       changes no row and returns None.
    2. In the same transaction, create the run's invitations and their
       deliveries: a crash before commit undoes the claim too, so the next
       tick runs it again; nothing is ever sent twice.
    """
    now = now or timezone.now()
    survey = NpsSurvey.objects.filter(pk=survey_id).first()
    if survey is None:
        return None
    upcoming = add_months(due_at, survey.every_months)
    while upcoming <= now:
        # After a long stop, skip the periods missed rather than run them all.
        upcoming = add_months(upcoming, survey.every_months)
    claimed = NpsSurvey.objects.filter(pk=survey_id, is_active=True, next_run_at=due_at).update(
        next_run_at=upcoming, runs=F("runs") + 1, last_run_at=now
    )
    if claimed != 1:
        return None
    survey.refresh_from_db()
    return _invite(survey, now=now)


@transaction.atomic
def nps_survey_send_now(*, survey: NpsSurvey, actor: User) -> list[NpsInvitation]:
    """«Send now»: an extra run at once; the schedule stays as it was. Audited."""
    NpsSurvey.objects.filter(pk=survey.pk).update(runs=F("runs") + 1, last_run_at=timezone.now())
    survey = NpsSurvey.objects.select_for_update().get(pk=survey.pk)
    invitations = _invite(survey, now=timezone.now())
    audit_record(
        actor=actor,
        action="quality.nps_survey.send_now",
        target=survey,
        changes={"invited": len(invitations)},
    )
    return invitations


def nps_audience(survey: NpsSurvey, *, now: dt.datetime) -> list[tuple[int, int]]:
    """(contact id, account id) for everyone this run should ask, one account per contact.

    Active contacts with an email, of active accounts (the chosen ones, if so),
    not asked by any survey within the survey's cool-down.
    """
    through = cast(Any, Contact.accounts).through
    rows = through.objects.filter(clientaccount__is_active=True, contact__is_blocked=False).exclude(
        contact__email=""
    )
    if survey.audience == NpsSurvey.Audience.CHOSEN:
        rows = rows.filter(clientaccount__in=survey.accounts.all())
    recently = NpsInvitation.objects.filter(
        sent_at__gt=now - dt.timedelta(days=survey.cooldown_days)
    ).values("contact_id")
    rows = rows.exclude(contact_id__in=recently)
    chosen: dict[int, int] = {}
    for contact_id, account_id in rows.order_by("contact_id", "clientaccount_id").values_list(
        "contact_id", "clientaccount_id"
    ):
        chosen.setdefault(contact_id, account_id)
    return list(chosen.items())


def _invite(survey: NpsSurvey, *, now: dt.datetime) -> list[NpsInvitation]:
    """Create the run's invitations (`survey.runs` is the run) and queue their emails."""
    invitations = NpsInvitation.objects.bulk_create(
        [
            NpsInvitation(
                survey=survey,
                run=survey.runs,
                contact_id=contact_id,
                account_id=account_id,
                token=token_new(),
                sent_at=now,
            )
            for contact_id, account_id in nps_audience(survey, now=now)
        ]
    )
    contacts = Contact.objects.in_bulk([i.contact_id for i in invitations])
    for invitation in invitations:
        _nps_email_queue(survey, invitation, contacts[invitation.contact_id])
    return invitations


def _nps_email_queue(survey: NpsSurvey, invitation: NpsInvitation, contact: Contact) -> None:
    from opora.channels.mail.outbound import signature_of
    from opora.channels.models import Delivery, Mailbox
    from opora.channels.outbox import delivery_queue

    mailbox = Mailbox.objects.filter(is_active=True).order_by("pk").first()
    sender = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    links = [
        {"score": n, "url": settings.OPORA_BASE_URL + nps_url(invitation.token, n)}
        for n in NPS_SCORES
    ]
    ctx = {
        "contact": contact,
        "question": survey.question(contact.language),
        "links": links,
        "signature": signature_of(mailbox),
    }
    with translation.override(contact.language):
        subject = render_to_string("quality/surveys/email/nps_subject.txt", ctx).strip()
        text = render_to_string("quality/surveys/email/nps.txt", ctx)
        html = render_to_string("quality/surveys/email/nps.html", ctx)
    delivery_queue(
        channel=Delivery.Channel.EMAIL,
        mailbox=mailbox,
        recipient=contact.email,
        payload={
            "from": sender,
            "to": [contact.email],
            "cc": [],
            "subject": " ".join(subject.split()),
            "text": text,
            "html": html,
            "headers": {"Auto-Submitted": "auto-generated"},
            "attachments": [],
        },
    )


def nps_invitation_get(token: str, *, now: dt.datetime | None = None) -> NpsInvitation:
    now = now or timezone.now()
    invitation = (
        NpsInvitation.objects.select_related("survey", "contact").filter(token=token).first()
        if token
        else None
    )
    if invitation is None or invitation.sent_at < now - dt.timedelta(days=NPS_LINK_DAYS):
        raise SurveyLinkInvalid
    return invitation


@transaction.atomic
def nps_answer(*, token: str, score: int, comment: str = "") -> NpsResponse:
    """A contact's one-click NPS answer; a detractor's opens a follow-up in the same transaction."""
    invitation = nps_invitation_get(token)
    invitation = NpsInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered_at is not None:
        raise AlreadyAnswered
    if score not in NPS_SCORES:
        raise ValidationError({"score": _("Choose a score from 0 to 10.")})
    comment = _comment_clean(comment)
    now = timezone.now()
    response = NpsResponse.objects.create(
        invitation=invitation,
        contact=invitation.contact,
        account=invitation.account,
        score=score,
        comment=comment,
        created_at=now,
    )
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    if score <= NPS_DETRACTOR:
        follow_up_open(
            kind=FollowUp.Kind.NPS,
            nps=response,
            account=invitation.account,
            contact=invitation.contact,
            score=score,
            comment=comment,
            assignee=_curator_for(invitation.account),
            now=now,
        )
    return response


@transaction.atomic
def nps_comment_add(*, token: str, comment: str) -> NpsResponse:
    """The optional words after the click, once."""
    invitation = nps_invitation_get(token)
    response = NpsResponse.objects.select_for_update().filter(invitation=invitation).first()
    if response is None:
        raise ValidationError(_("Choose a score first."))
    if response.comment:
        raise AlreadyAnswered
    comment = _comment_clean(comment)
    if not comment:
        raise ValidationError({"comment": _("Write a few words, or just close the page.")})
    response.comment = comment
    response.save(update_fields=["comment"])
    FollowUp.objects.filter(nps=response).update(comment=comment)
    return response
