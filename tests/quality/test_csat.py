"""CSAT: asked once when a ticket is resolved, answered in one click, a low score followed up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from opora.accounts.models import Team, User
from opora.clients.models import Contact
from opora.core.models import AuditEntry
from opora.quality.models import CsatRequest, CsatResponse, FollowUp
from opora.quality.services import csat_record
from opora.quality.surveys import services
from opora.tickets import services as tickets
from opora.tickets.models import Ticket
from tests.quality.surveys_factories import (
    account_with_contact,
    links_in_last_email,
    resolve,
    ticket_for,
)

pytestmark = pytest.mark.django_db


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


@pytest.fixture
def contact(db: None) -> Contact:
    return account_with_contact()[1]


@pytest.fixture
def ticket(contact: Contact, first_line: Team, lead: User) -> Ticket:
    return ticket_for(contact, team=first_line)


@pytest.fixture
def resolved(ticket: Ticket, operator: User) -> Ticket:
    mail.outbox.clear()
    return resolve(ticket, operator)


@pytest.fixture
def anonymous() -> Client:
    # A client's browser: no staff session, and CSRF checked as in production.
    return Client(enforce_csrf_checks=True)


def post_with_csrf(client: Client, url: str, data: dict[str, str] | None = None) -> object:
    """GET the page (which sets the CSRF cookie), then POST its form with the token."""
    client.get(url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {"csrfmiddlewaretoken": token, **(data or {})})


# --- Asking -------------------------------------------------------------------------


def test_resolving_a_ticket_emails_the_client_five_one_click_links(
    ticket: Ticket, operator: User, contact: Contact
) -> None:
    mail.outbox.clear()
    assert not CsatRequest.objects.exists()

    resolve(ticket, operator)

    request = CsatRequest.objects.get(ticket=ticket)
    assert (request.channel, request.contact) == ("email", contact)
    assert request.sent_at is not None
    assert len(request.token) >= 32
    email = mail.outbox[-1]
    assert email.to == [contact.email]
    assert ticket.reference in email.subject
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    links = links_in_last_email("csat")
    assert links == [f"/quality/csat/{request.token}/{n}/" for n in range(1, 6)]
    for word in ("Bad", "Excellent"):
        assert ru(word) in email.body


def test_the_email_speaks_the_contacts_language(ticket: Ticket, operator: User) -> None:
    Contact.objects.filter(pk=ticket.requester_id).update(language="en")
    mail.outbox.clear()

    resolve(ticket, operator)

    assert "How do you rate our answer?" in mail.outbox[-1].body


def test_a_reopened_and_resolved_again_ticket_is_not_asked_twice(
    resolved: Ticket, operator: User, contact: Contact
) -> None:
    tickets.ticket_client_reply(ticket=resolved, contact=contact, body="Опять не работает")
    resolved.refresh_from_db()
    assert resolved.status == Ticket.Status.OPEN
    mail.outbox.clear()

    resolve(resolved, operator)

    assert CsatRequest.objects.filter(ticket=resolved).count() == 1
    assert links_in_last_email("csat") == [], "no second CSAT email"


def test_nobody_is_asked_without_an_address_or_for_spam(
    first_line: Team, operator: User, ticket: Ticket
) -> None:
    silent = Contact.objects.create(full_name="Без почты")
    resolve(ticket_for(silent, team=first_line), operator)
    Ticket.objects.filter(pk=ticket.pk).update(is_spam=True)
    ticket.refresh_from_db()

    assert services.csat_request_on_resolve(ticket=ticket) is None

    assert not CsatRequest.objects.exists()


def test_sending_twice_sends_once(resolved: Ticket) -> None:
    request = CsatRequest.objects.get(ticket=resolved)
    sent = len(mail.outbox)

    assert services.csat_request_send(request_id=request.pk) == "skipped: already sent"

    assert len(mail.outbox) == sent


# --- Answering by link --------------------------------------------------------------


def test_opening_a_link_records_nothing_until_the_page_posts(
    resolved: Ticket, anonymous: Client
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token

    page = anonymous.get(f"/quality/csat/{token}/4/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="survey-score chosen" aria-current="true"><b>4</b>' in html
    assert "data-survey-autosubmit" in html
    assert "quality/survey-answer" in html and "<script>" not in html
    assert not CsatResponse.objects.exists(), "a link scanner's GET records nothing"


def test_one_click_records_the_score_then_takes_an_optional_comment(
    resolved: Ticket, anonymous: Client, contact: Contact
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token

    answer = post_with_csrf(anonymous, f"/quality/csat/{token}/5/")

    assert answer.status_code == 302  # type: ignore[attr-defined]
    assert answer["Location"] == f"/quality/csat/{token}/"  # type: ignore[index]
    recorded = CsatResponse.objects.get(ticket=resolved)
    assert (recorded.score, recorded.channel, recorded.contact, recorded.comment) == (
        5,
        "email",
        contact,
        "",
    )
    assert not FollowUp.objects.exists()

    thanks = anonymous.get(f"/quality/csat/{token}/")
    assert ru("Thank you for your rating!") in thanks.content.decode()
    commented = post_with_csrf(anonymous, f"/quality/csat/{token}/", {"comment": "Быстро помогли"})

    assert commented.status_code == 302  # type: ignore[attr-defined]
    recorded.refresh_from_db()
    assert recorded.comment == "Быстро помогли"


def test_a_second_answer_changes_nothing(resolved: Ticket, anonymous: Client) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token
    post_with_csrf(anonymous, f"/quality/csat/{token}/2/")

    again = post_with_csrf(anonymous, f"/quality/csat/{token}/5/")

    assert again.status_code == 200  # type: ignore[attr-defined]
    assert ru("You have already rated this request.") in again.content.decode()  # type: ignore[attr-defined]
    assert CsatResponse.objects.get(ticket=resolved).score == 2
    assert FollowUp.objects.count() == 1


def test_without_a_csrf_token_nothing_is_recorded(resolved: Ticket, anonymous: Client) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token

    refused = anonymous.post(f"/quality/csat/{token}/5/")

    assert refused.status_code == 403
    assert not CsatResponse.objects.exists()


@pytest.mark.parametrize("path", ["/quality/csat/{token}x/3/", "/quality/csat/{token}/6/"])
def test_an_unknown_token_or_score_is_a_clear_404(
    resolved: Ticket, anonymous: Client, path: str
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token

    page = anonymous.get(path.format(token=token))

    assert page.status_code == 404
    assert ru("The link does not work") in page.content.decode()
    assert anonymous.post(path.format(token=token)).status_code in (403, 404)
    assert not CsatResponse.objects.exists()


def test_an_expired_link_is_a_404(resolved: Ticket, anonymous: Client) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token
    later = timezone.now() + dt.timedelta(days=services.CSAT_LINK_DAYS + 1)

    with time_machine.travel(later, tick=False):
        page = anonymous.get(f"/quality/csat/{token}/5/")

    assert page.status_code == 404


def test_a_comment_over_the_limit_is_refused_and_the_score_kept(
    resolved: Ticket, anonymous: Client
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token
    post_with_csrf(anonymous, f"/quality/csat/{token}/4/")

    refused = post_with_csrf(anonymous, f"/quality/csat/{token}/", {"comment": "х" * 2001})

    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "2000" in refused.content.decode()  # type: ignore[attr-defined]
    assert CsatResponse.objects.get(ticket=resolved).comment == ""


def test_a_ticket_reopened_before_the_click_cannot_be_rated_yet(
    resolved: Ticket, anonymous: Client, contact: Contact
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token
    tickets.ticket_client_reply(ticket=resolved, contact=contact, body="Не помогло")

    page = post_with_csrf(anonymous, f"/quality/csat/{token}/5/")

    assert page.status_code == 400  # type: ignore[attr-defined]
    assert ru("A ticket can be rated once it is resolved.") in page.content.decode()  # type: ignore[attr-defined]
    assert not CsatResponse.objects.exists()


# --- Low scores and the ticket page ---------------------------------------------------


def test_a_low_score_opens_a_follow_up_for_the_teams_lead_who_hears_by_email(
    resolved: Ticket, lead: User, contact: Contact
) -> None:
    mail.outbox.clear()

    answer = csat_record(
        ticket=resolved, contact=contact, score=3, comment="Долго", channel="portal"
    )

    follow_up = FollowUp.objects.get()
    assert (follow_up.kind, follow_up.csat, follow_up.ticket, follow_up.assignee) == (
        "csat",
        answer,
        resolved,
        lead,
    )
    assert (follow_up.score, follow_up.comment, follow_up.status) == (3, "Долго", "open")
    assert follow_up.account == resolved.client
    assert (
        dt.timedelta(hours=23) < follow_up.due_at - follow_up.created_at <= dt.timedelta(hours=24)
    )
    assert mail.outbox[-1].to == [lead.email]
    assert resolved.reference in mail.outbox[-1].subject
    assert AuditEntry.objects.filter(action="quality.follow_up.open").exists()


def test_without_a_team_lead_a_head_of_support_gets_it(
    contact: Contact, second_line: Team, head: User, operator: User
) -> None:
    ticket = resolve(ticket_for(contact, team=second_line), operator)

    csat_record(ticket=ticket, contact=contact, score=1, comment="", channel="portal")

    assert FollowUp.objects.get().assignee == head


def test_a_good_score_opens_no_follow_up(resolved: Ticket, contact: Contact) -> None:
    csat_record(ticket=resolved, contact=contact, score=4, comment="", channel="portal")

    assert not FollowUp.objects.exists()


def test_the_service_refuses_a_score_out_of_range_and_a_long_comment(
    resolved: Ticket, contact: Contact
) -> None:
    from django.core.exceptions import ValidationError

    for score, comment in ((0, ""), (6, ""), (5, "я" * 2001)):
        with pytest.raises(ValidationError):
            csat_record(
                ticket=resolved, contact=contact, score=score, comment=comment, channel="portal"
            )

    assert not CsatResponse.objects.exists()


def test_the_ticket_page_shows_the_answer(
    resolved: Ticket, contact: Contact, operator_client: Client
) -> None:
    url = reverse("tickets:detail", args=[resolved.number])
    page = operator_client.get(url)
    assert 'id="csat"' in page.content.decode()
    csat_record(ticket=resolved, contact=contact, score=2, comment="Не помогли", channel="email")

    page = operator_client.get(url)

    html = page.content.decode()
    assert "2 / 5" in html
    assert "Не помогли" in html
