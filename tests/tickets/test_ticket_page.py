"""The ticket page and queue actions, through HTTP: allowed, forbidden, bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opora.accounts.models import Team, User
from opora.clients.models import Contact
from opora.tickets import automation, services
from opora.tickets.models import (
    Attachment,
    BlockedSender,
    Category,
    CustomField,
    SavedView,
    Ticket,
    TicketLink,
    TicketType,
)

pytestmark = pytest.mark.django_db


def _url(ticket: Ticket, action: str = "") -> str:
    return f"/tickets/{ticket.reference}/{action + '/' if action else ''}"


def _other_ticket(ticket: Ticket, subject: str = "Второй вопрос") -> Ticket:
    return services.ticket_create(
        subject=subject,
        body="Ещё одна проблема",
        channel=Ticket.Channel.EMAIL,
        type=ticket.type,
        requester=ticket.requester,
    )


# --- Composer: macros, collisions, attachments --------------------------------


def test_choosing_a_macro_fills_the_composer_with_the_ticket_s_values(
    operator_client: Client, operator: User, head: User, ticket: Ticket
) -> None:
    macro = automation.macro_create(
        owner=head,
        name="Приветствие",
        body="Здравствуйте, {{ contact.first_name }}! Обращение {{ ticket.number }}.",
        is_shared=True,
    )

    response = operator_client.get(
        _url(ticket, "macro"), {"macro": macro.pk}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Здравствуйте, Павел! Обращение {ticket.reference}." in body
    assert body.lstrip().startswith('<div id="composer"')


def test_sending_a_macro_applies_its_actions(
    operator_client: Client, operator: User, ticket: Ticket
) -> None:
    macro = automation.macro_create(
        owner=operator,
        name="Ждём",
        body="Пришлите скриншот.",
        set_status="pending",
        add_tags="скриншот",
    )

    operator_client.post(
        _url(ticket, "reply"), {"body": "Пришлите скриншот, пожалуйста.", "macro": macro.pk}
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert "скриншот" in set(ticket.tags.values_list("name", flat=True))
    assert ticket.messages.last().body == "Пришлите скриншот, пожалуйста."  # type: ignore[union-attr]


def test_another_person_s_macro_cannot_be_used(
    operator_client: Client, other_operator: User, ticket: Ticket
) -> None:
    private = automation.macro_create(owner=other_operator, name="Моё", body="Текст")

    response = operator_client.get(_url(ticket, "macro"), {"macro": private.pk})

    assert response.status_code == 404


def test_a_reply_is_held_back_when_the_client_wrote_meanwhile(
    operator_client: Client, ticket: Ticket
) -> None:
    seen = ticket.messages.get().pk
    services.ticket_client_reply(ticket=ticket, contact=ticket.requester, body="Уже не актуально")

    response = operator_client.post(_url(ticket, "reply"), {"body": "Смотрим", "seen": seen})

    assert response.status_code == 400
    assert "Пока вы писали" in response.content.decode()
    assert ticket.messages.count() == 2
    assert response.context["reply_form"]["seen"].value() == str(ticket.messages.last().pk)  # type: ignore[union-attr]

    operator_client.post(
        _url(ticket, "reply"), {"body": "Смотрим", "seen": seen, "send_anyway": "1"}
    )

    assert ticket.messages.count() == 3


def test_the_activity_poll_names_who_wrote_since_the_page_loaded(
    operator_client: Client, ticket: Ticket
) -> None:
    seen = ticket.messages.get().pk
    quiet = operator_client.get(_url(ticket, "activity"), {"seen": seen}).content.decode()
    services.ticket_client_reply(ticket=ticket, contact=ticket.requester, body="Ещё деталь")

    busy = operator_client.get(_url(ticket, "activity"), {"seen": seen}).content.decode()

    assert "Павел Николаев" not in quiet
    assert "Павел Николаев" in busy


def test_an_attachment_is_stored_and_served_only_to_staff(
    operator_client: Client, analyst_client: Client, ticket: Ticket
) -> None:
    upload = SimpleUploadedFile("лог ошибки.txt", b"Traceback...", content_type="text/html")

    operator_client.post(
        _url(ticket, "reply"), {"body": "Лог во вложении", "attachments": [upload]}
    )

    attachment = Attachment.objects.get()
    assert attachment.content_type == "text/plain"  # from the name, not the browser's claim
    url = f"/tickets/attachments/{attachment.pk}/{attachment.name}"
    response = operator_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Traceback..."  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert analyst_client.get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert operator_client.get(f"/tickets/attachments/{attachment.pk}/other.txt").status_code == 404


def test_a_dangerous_attachment_is_refused_and_nothing_is_posted(
    operator_client: Client, ticket: Ticket
) -> None:
    upload = SimpleUploadedFile("invoice.exe", b"MZ...")

    response = operator_client.post(
        _url(ticket, "reply"), {"body": "Вот файл", "attachments": [upload]}
    )

    assert response.status_code == 400
    assert "invoice.exe" in response.content.decode()
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()


# --- Sidebar actions ----------------------------------------------------------


def test_custom_fields_are_saved_and_bad_values_rejected(
    operator_client: Client, ticket: Ticket, category: Category
) -> None:
    field = CustomField.objects.create(code="amount", label="Сумма", kind=CustomField.Kind.NUMBER)
    field.categories.add(category)

    bad = operator_client.post(_url(ticket, "fields"), {"amount": "много"})
    ticket.refresh_from_db()
    assert bad.status_code == 400
    assert ticket.custom_fields == {}

    operator_client.post(_url(ticket, "fields"), {"amount": "1500"})
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"amount": 1500}


def test_escalating_needs_a_reason_and_then_notifies_the_lead(
    operator_client: Client, ticket: Ticket, lead: User, mailoutbox: list[object]
) -> None:
    refused = operator_client.post(_url(ticket, "escalate"), {"target": "lead", "reason": ""})
    ticket.refresh_from_db()
    assert refused.status_code == 400
    assert not ticket.is_escalated

    operator_client.post(
        _url(ticket, "escalate"), {"target": "lead", "reason": "Клиент грозит уйти"}
    )

    ticket.refresh_from_db()
    assert ticket.is_escalated
    assert ticket.escalation_target == Ticket.EscalationTarget.LEAD
    assert lead in ticket.followers.all()
    assert len(mailoutbox) == 1


def test_escalating_to_another_queue_moves_the_ticket(
    operator_client: Client, ticket: Ticket, second_line: Team
) -> None:
    operator_client.post(
        _url(ticket, "escalate"),
        {"target": "queue", "team": second_line.pk, "reason": "Нужен инженер"},
    )

    ticket.refresh_from_db()
    assert ticket.team == second_line
    assert ticket.is_escalated


def test_tickets_are_linked_and_unlinked_from_the_page(
    operator_client: Client, ticket: Ticket
) -> None:
    other = _other_ticket(ticket)

    unknown = operator_client.post(_url(ticket, "link"), {"number": "OP-1"})
    assert unknown.status_code == 400
    operator_client.post(_url(ticket, "link"), {"number": other.reference})
    assert TicketLink.objects.filter(source=ticket, target=other).exists()
    assert other.reference in operator_client.get(_url(ticket)).content.decode()

    operator_client.post(f"{_url(ticket)}unlink/{other.reference}/")
    assert not TicketLink.objects.exists()


def test_merging_moves_the_conversation_and_closes_the_source(
    operator_client: Client, ticket: Ticket
) -> None:
    source = _other_ticket(ticket)

    response = operator_client.post(_url(source, "merge"), {"merge-number": ticket.reference})

    assert response["Location"] == _url(ticket)
    source.refresh_from_db()
    assert source.status == Ticket.Status.CLOSED
    assert source.merged_into == ticket
    assert ticket.messages.filter(body="Ещё одна проблема").exists()


def test_a_client_message_is_split_into_a_ticket_of_its_own(
    operator_client: Client, ticket: Ticket
) -> None:
    message = services.ticket_client_reply(
        ticket=ticket, contact=ticket.requester, body="И ещё: не печатаются чеки"
    )

    response = operator_client.post(f"{_url(ticket)}split/{message.pk}/")

    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"] == _url(new)
    assert list(new.messages.values_list("body", flat=True)) == ["И ещё: не печатаются чеки"]
    assert TicketLink.objects.filter(source=new, target=ticket, kind="split").exists()


def test_spam_leaves_the_queue_and_can_block_the_sender(
    operator_client: Client, ticket: Ticket
) -> None:
    operator_client.post(_url(ticket, "spam"), {"block_sender": "on"})

    ticket.refresh_from_db()
    assert ticket.is_spam
    assert BlockedSender.objects.filter(pattern="pavel@romashka.ru").exists()
    assert ticket.subject not in operator_client.get("/tickets/").content.decode()
    assert ticket.subject in operator_client.get("/tickets/", {"status": "spam"}).content.decode()

    operator_client.post(_url(ticket, "not-spam"))
    ticket.refresh_from_db()
    assert not ticket.is_spam
    assert ticket.status == Ticket.Status.OPEN


def test_followers_and_cc_are_set_and_unknown_emails_refused(
    operator_client: Client, ticket: Ticket, lead: User, contact: Contact
) -> None:
    colleague = Contact.objects.create(full_name="Анна Бухгалтер", email="anna@romashka.ru")

    bad = operator_client.post(
        _url(ticket, "people"), {"followers": [lead.pk], "cc": "nobody@x.ru"}
    )
    assert bad.status_code == 400
    assert not ticket.cc.exists()

    operator_client.post(_url(ticket, "people"), {"followers": [lead.pk], "cc": "ANNA@romashka.ru"})
    assert list(ticket.followers.all()) == [lead]
    assert list(ticket.cc.all()) == [colleague]


def test_the_ticket_page_costs_the_same_queries_for_a_short_or_long_conversation(
    operator_client: Client, ticket: Ticket, operator: User, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(60) as short:  # type: ignore[operator]
        operator_client.get(_url(ticket))
    for i in range(15):
        services.ticket_reply(
            ticket=ticket, author=operator, body=f"Ответ {i}", internal=i % 2 == 0
        )
        services.ticket_client_reply(ticket=ticket, contact=ticket.requester, body=f"Вопрос {i}")

    with django_assert_max_num_queries(len(short.captured_queries)):  # type: ignore[operator]
        operator_client.get(_url(ticket))


# --- Queue: bulk actions and saved views --------------------------------------


def test_a_lead_reassigns_tickets_in_bulk_and_sees_what_failed(
    lead_client: Client, ticket: Ticket, operator: User, standard: TicketType
) -> None:
    other = _other_ticket(ticket)  # no category: cannot be resolved

    response = lead_client.post(
        "/tickets/bulk/",
        {"tickets": [ticket.number, other.number], "status": "resolved", "assignee": operator.pk},
        follow=True,
    )

    ticket.refresh_from_db()
    other.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.RESOLVED, operator)
    assert other.status == Ticket.Status.NEW and other.assignee is None
    texts = [str(m) for m in response.context["messages"]]
    assert any(other.reference in text for text in texts)


def test_bulk_actions_are_forbidden_to_a_viewer(viewer_client: Client, ticket: Ticket) -> None:
    response = viewer_client.post("/tickets/bulk/", {"tickets": [ticket.number], "status": "open"})

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_saved_view_keeps_the_filters_and_only_its_owner_deletes_it(
    operator_client: Client, lead_client: Client, operator: User
) -> None:
    operator_client.post(
        "/tickets/views/", {"name": "Мои срочные", "query": "assignee=me&priority=urgent&before=5"}
    )
    view = SavedView.objects.get()
    assert view.query == "assignee=me&priority=urgent"
    assert "Мои срочные" in operator_client.get("/tickets/").content.decode()
    assert "Мои срочные" not in lead_client.get("/tickets/").content.decode()

    assert lead_client.post(f"/tickets/views/{view.pk}/delete/").status_code == 404
    operator_client.post(f"/tickets/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_the_queue_filters_by_tag_and_flag(operator_client: Client, ticket: Ticket) -> None:
    other = _other_ticket(ticket)
    Ticket.objects.filter(pk=other.pk).update(is_escalated=True)

    by_tag = operator_client.get("/tickets/", {"tag": "1С"}).context["page"].items
    escalated = operator_client.get("/tickets/", {"flag": "escalated"}).context["page"].items

    assert [t.pk for t in by_tag] == [ticket.pk]
    assert [t.pk for t in escalated] == [other.pk]


def test_an_operator_sets_their_availability(operator_client: Client, operator: User) -> None:
    assert operator.availability == User.Availability.OFFLINE

    operator_client.post("/account/availability/", {"availability": "online", "next": "/tickets/"})
    operator.refresh_from_db()
    assert operator.availability == User.Availability.ONLINE

    operator_client.post("/account/availability/", {"availability": "asleep"})
    operator.refresh_from_db()
    assert operator.availability == User.Availability.ONLINE


def test_staff_open_a_ticket_for_a_new_contact_from_a_phone_call(
    operator_client: Client, operator: User, standard: TicketType, client_account: object
) -> None:
    form = {
        "email": "New.Person@Romashka.ru",
        "full_name": "Ольга Новикова",
        "client": client_account.pk,  # type: ignore[attr-defined]
        "subject": "Звонок: не работает касса",
        "body": "Клиент позвонил, касса не печатает чеки.",
        "channel": "phone",
        "type": standard.pk,
        "priority": "high",
    }

    response = operator_client.post("/tickets/new/", form)

    ticket = Ticket.objects.get()
    assert response["Location"] == _url(ticket)
    assert ticket.requester is not None
    assert (ticket.requester.email, ticket.requester.full_name) == (
        "new.person@romashka.ru",
        "Ольга Новикова",
    )
    assert ticket.client == client_account
    assert ticket.channel == "phone"
    # The words are the client's; who typed them in is in the history.
    assert ticket.messages.get().author_contact == ticket.requester
    assert ticket.events.get(field="created").actor == operator


def test_a_new_ticket_with_a_bad_email_is_refused_and_nothing_is_created(
    operator_client: Client, standard: TicketType, viewer_client: Client
) -> None:
    form = {
        "email": "не почта",
        "subject": "Тема",
        "body": "Текст",
        "channel": "phone",
        "type": standard.pk,
        "priority": "normal",
    }

    response = operator_client.post("/tickets/new/", form)

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not Ticket.objects.exists()
    assert not Contact.objects.exists()
    assert viewer_client.get("/tickets/new/").status_code == 403
