"""The «Follow-ups» screen: leads see theirs (or everyone's) and close them with a note."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from opora.accounts.models import Team, User
from opora.core.models import AuditEntry
from opora.quality.models import FollowUp
from opora.quality.services import csat_record
from tests.quality.surveys_factories import account_with_contact, resolve, ticket_for

pytestmark = pytest.mark.django_db


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


@pytest.fixture
def mine(first_line: Team, lead: User, operator: User) -> FollowUp:
    """A CSAT of 2 on a ticket of the lead's team."""
    _account, contact = account_with_contact()
    ticket = resolve(ticket_for(contact, team=first_line), operator)
    csat_record(ticket=ticket, contact=contact, score=2, comment="Не помогли", channel="email")
    return FollowUp.objects.get(ticket=ticket)


@pytest.fixture
def theirs(second_line: Team, head: User, operator: User) -> FollowUp:
    """A CSAT of 1 on a ticket of a team without a lead: the head's."""
    _account, contact = account_with_contact("АО «Сфера»", "Ирина Белова", "belova@sfera.ru")
    ticket = resolve(ticket_for(contact, team=second_line), operator)
    csat_record(ticket=ticket, contact=contact, score=1, comment="Ужасно", channel="email")
    return FollowUp.objects.get(ticket=ticket)


def test_a_lead_sees_their_own_by_default_and_everyones_on_request(
    lead_client: Client, mine: FollowUp, theirs: FollowUp, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(3):
        page = lead_client.get("/quality/follow-ups/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="followup-{mine.pk}"' in html
    assert f'id="followup-{theirs.pk}"' not in html
    everyone = lead_client.get("/quality/follow-ups/?who=all").content.decode()
    assert f'id="followup-{theirs.pk}"' in everyone


def test_a_lead_closes_a_follow_up_with_a_note_and_it_is_audited(
    lead_client: Client, lead: User, mine: FollowUp
) -> None:
    page = lead_client.post(
        f"/quality/follow-ups/{mine.pk}/close/", {"resolution": "Позвонила, извинилась."}
    )

    assert page.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.resolution, mine.closed_by) == (
        "done",
        "Позвонила, извинилась.",
        lead,
    )
    assert mine.closed_at is not None
    assert AuditEntry.objects.filter(action="quality.follow_up.close", actor=lead).count() == 1
    done = lead_client.get("/quality/follow-ups/?status=done").content.decode()
    assert "Позвонила, извинилась." in done


@pytest.mark.parametrize("note", ["", "   ", "я" * 2001])
def test_closing_needs_a_sensible_note(lead_client: Client, mine: FollowUp, note: str) -> None:
    page = lead_client.post(
        f"/quality/follow-ups/{mine.pk}/close/", {"resolution": note}, follow=True
    )

    assert page.status_code == 200
    assert '<li class="error">' in page.content.decode()
    mine.refresh_from_db()
    assert (mine.status, mine.resolution) == ("open", "")


def test_closing_twice_keeps_the_first_note(lead_client: Client, mine: FollowUp) -> None:
    lead_client.post(f"/quality/follow-ups/{mine.pk}/close/", {"resolution": "Первый"})

    page = lead_client.post(
        f"/quality/follow-ups/{mine.pk}/close/", {"resolution": "Второй"}, follow=True
    )

    assert ru("This follow-up is already closed.") in page.content.decode()
    mine.refresh_from_db()
    assert mine.resolution == "Первый"


def test_operators_and_viewers_may_not_see_or_close(
    operator_client: Client, viewer_client: Client, mine: FollowUp
) -> None:
    for client in (operator_client, viewer_client):
        assert client.get("/quality/follow-ups/").status_code == 403
        assert (
            client.post(f"/quality/follow-ups/{mine.pk}/close/", {"resolution": "x"}).status_code
            == 403
        )
    mine.refresh_from_db()
    assert mine.status == "open"


def test_an_unknown_follow_up_is_a_404(lead_client: Client) -> None:
    assert (
        lead_client.post("/quality/follow-ups/999/close/", {"resolution": "x"}).status_code == 404
    )


def test_closing_only_by_post(lead_client: Client, mine: FollowUp) -> None:
    assert lead_client.get(f"/quality/follow-ups/{mine.pk}/close/").status_code == 405
