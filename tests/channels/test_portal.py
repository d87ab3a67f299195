"""The client portal, told from the clients' side.

Павел works at ООО «Ромашка» and sees his own tickets; his colleague Мария sees
every ticket of the company; Олег is at another company, ООО «Лютик».
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opora.accounts.models import User
from opora.channels.portal import services as portal
from opora.clients.models import ClientAccount, Contact
from opora.quality.models import CsatResponse
from opora.tickets import services as tickets
from opora.tickets.models import Attachment, Category, Message, ResolutionCode, Ticket, TicketType

pytestmark = pytest.mark.django_db

PASSWORD = "Ромашка-полевая-2024"
LOGIN = "/portal/login/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def romashka() -> ClientAccount:
    return ClientAccount.objects.create(name="ООО «Ромашка»")


@pytest.fixture
def lutik() -> ClientAccount:
    return ClientAccount.objects.create(name="ООО «Лютик»")


def _contact(email: str, name: str, account: ClientAccount, **fields: Any) -> Contact:
    contact = Contact.objects.create(email=email, full_name=name, **fields)
    contact.accounts.add(account)
    return contact


@pytest.fixture
def pavel(romashka: ClientAccount) -> Contact:
    return _contact(
        "pavel@romashka.ru",
        "Павел Николаев",
        romashka,
        portal_password=make_password(PASSWORD),
    )


@pytest.fixture
def maria(romashka: ClientAccount) -> Contact:
    return _contact(
        "maria@romashka.ru",
        "Мария Петрова",
        romashka,
        portal_scope=Contact.PortalScope.COMPANY,
    )


@pytest.fixture
def oleg(lutik: ClientAccount) -> Contact:
    return _contact("oleg@lutik.ru", "Олег Лютиков", lutik)


def _ticket(contact: Contact, subject: str = "Не выгружаются заказы в 1С") -> Ticket:
    return tickets.ticket_create(
        subject=subject,
        body="Со вчерашнего дня заказы не уходят в 1С.",
        channel=Ticket.Channel.PORTAL,
        type=TicketType.objects.get(code="standard"),
        requester=contact,
    )


def _resolve(ticket: Ticket, operator: User) -> Ticket:
    return tickets.ticket_update(
        ticket=ticket,
        actor=operator,
        category=Category.objects.get_or_create(name="Интеграции")[0],
        resolution=ResolutionCode.objects.get_or_create(name="Ошибка исправлена")[0],
        status=Ticket.Status.RESOLVED,
    )


def _url(name: str, ticket: Ticket) -> str:
    return reverse(f"portal:{name}", args=[ticket.number])


def _signed_in(contact: Contact) -> Client:
    """A browser in which `contact` followed a sign-in link."""
    contact.refresh_from_db()  # a link made before the last sign-in no longer works
    client = Client()
    response = client.post(reverse("portal:link-use", args=[portal.magic_link_token(contact)]))
    assert response.status_code == 302
    return client


def _link_in(message: mail.EmailMessage) -> str:
    """The path of the sign-in link in the email (the test client needs no host)."""
    match = re.search(r"https?://[^/\s]+(/portal/link/\S+/)", str(message.body))
    assert match is not None, message.body
    return match.group(1)


def _file(name: str, content: bytes = b"%PDF-1.4 test") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- Signing in by a link ------------------------------------------------------------


def test_a_magic_link_signs_the_contact_in_once(
    pavel: Contact, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:link-request"), {"link-email": "Pavel@Romashka.ru"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:link-sent")
    assert [m.to for m in mail.outbox] == [["pavel@romashka.ru"]]
    link = _link_in(mail.outbox[0])

    assert client.get(reverse("portal:ticket-list")).status_code == 302
    confirm = client.get(link)  # a mail scanner opening the link spends nothing
    assert "Павел Николаев" in confirm.content.decode()
    assert client.post(link)["Location"] == reverse("portal:ticket-list")
    assert client.get(reverse("portal:ticket-list")).status_code == 200
    pavel.refresh_from_db()
    assert pavel.portal_last_login is not None

    again = Client().post(link)
    assert again.status_code == 400
    assert "portal_contact_id" not in again.client.session


def test_an_expired_link_does_not_sign_in(
    pavel: Contact, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(reverse("portal:link-request"), {"link-email": pavel.email})
        link = _link_in(mail.outbox[0])
    with time_machine.travel(start + dt.timedelta(minutes=21), tick=False):
        client = Client()
        assert client.get(link).status_code == 400
        assert client.post(link).status_code == 400
        assert client.get(reverse("portal:ticket-list")).status_code == 302


@pytest.mark.parametrize(
    "email", ["nobody@romashka.ru", "off@romashka.ru", "blocked@romashka.ru", "staff@example.com"]
)
def test_an_address_that_may_not_sign_in_gets_the_same_answer_and_no_email(
    email: str,
    romashka: ClientAccount,
    pavel: Contact,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _contact("off@romashka.ru", "Выключен", romashka, portal_enabled=False)
    _contact("blocked@romashka.ru", "Заблокирован", romashka, is_blocked=True)
    User.objects.create_user(email="staff@example.com", full_name="Сотрудник", password=PASSWORD)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("portal:link-request"), {"link-email": pavel.email})
        unknown = client.post(reverse("portal:link-request"), {"link-email": email})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [[pavel.email]]


def test_link_requests_are_limited_per_address(
    pavel: Contact, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(portal.LINK_LIMIT_PER_EMAIL):
            assert (
                client.post(reverse("portal:link-request"), {"link-email": pavel.email}).status_code
                == 302
            )
        refused = client.post(reverse("portal:link-request"), {"link-email": pavel.email})
    assert refused.status_code == 200
    assert "слишком много ссылок" in refused.content.decode()
    assert len(mail.outbox) == portal.LINK_LIMIT_PER_EMAIL


def test_the_email_speaks_the_contacts_language(
    pavel: Contact, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    pavel.language = "en"
    pavel.save()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("portal:link-request"), {"link-email": pavel.email})
    assert mail.outbox[0].subject == "Your sign-in link to the client portal"
    assert "Hello, Павел!" in str(mail.outbox[0].body)


# --- Signing in by a password --------------------------------------------------------


def _password_login(client: Client, email: str, password: str) -> Any:
    return client.post(LOGIN, {"password-email": email, "password-password": password})


def test_a_contact_signs_in_with_a_password_and_lands_where_they_were_going(
    pavel: Contact,
) -> None:
    client = Client()
    ticket = _ticket(pavel)
    target = _url("ticket-detail", ticket)
    assert client.get(target)["Location"] == f"{LOGIN}?next=%2Fportal%2FOP-{ticket.number}%2F"

    response = client.post(
        LOGIN, {"password-email": pavel.email, "password-password": PASSWORD, "next": target}
    )

    assert response["Location"] == target
    assert client.get(target).status_code == 200


def test_a_foreign_next_url_is_ignored(pavel: Contact) -> None:
    response = Client().post(
        LOGIN,
        {
            "password-email": pavel.email,
            "password-password": PASSWORD,
            "next": "https://evil.example/portal/",
        },
    )
    assert response["Location"] == reverse("portal:ticket-list")


@pytest.mark.parametrize(
    ("email", "password"),
    [("pavel@romashka.ru", "wrong"), ("maria@romashka.ru", ""), ("nobody@x.ru", PASSWORD)],
)
def test_a_wrong_password_or_unknown_address_gets_one_error(
    email: str, password: str, pavel: Contact, maria: Contact
) -> None:
    client = Client()
    response = _password_login(client, email, password or "anything")
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert client.get(reverse("portal:ticket-list")).status_code == 302


def test_failed_passwords_are_limited_per_address_and_ip(pavel: Contact) -> None:
    client = Client()
    for _attempt in range(portal.PASSWORD_FAILURE_LIMIT):
        _password_login(client, pavel.email, "wrong")
    refused = _password_login(client, pavel.email, PASSWORD)
    assert refused.status_code == 200
    assert "15" in refused.content.decode()
    assert client.get(reverse("portal:ticket-list")).status_code == 302

    cache.clear()  # the window has passed
    assert _password_login(client, pavel.email, PASSWORD).status_code == 302


def test_a_staff_session_does_not_open_the_portal_and_a_portal_session_not_the_staff_side(
    operator_client: Client, pavel: Contact
) -> None:
    response = operator_client.get(reverse("portal:ticket-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)

    client = _signed_in(pavel)
    assert client.get(reverse("tickets:queue"))["Location"].startswith("/login/")


def test_signing_out_ends_the_portal_session(pavel: Contact) -> None:
    client = _signed_in(pavel)
    assert client.post(reverse("portal:logout"))["Location"] == LOGIN
    assert client.get(reverse("portal:ticket-list")).status_code == 302


def test_a_contact_blocked_after_signing_in_is_let_out(pavel: Contact) -> None:
    client = _signed_in(pavel)
    pavel.is_blocked = True
    pavel.save()
    assert client.get(reverse("portal:ticket-list")).status_code == 302


def test_forms_need_the_csrf_token(pavel: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    response = _password_login(client, pavel.email, PASSWORD)
    assert response.status_code == 403


# --- The password page ----------------------------------------------------------------


def test_a_contact_without_a_password_sets_one_and_signs_in_with_it(maria: Contact) -> None:
    client = _signed_in(maria)
    response = client.post(
        reverse("portal:password-set"),
        {"new_password": "Лето-в-Ромашке-77", "new_password_again": "Лето-в-Ромашке-77"},
    )
    assert response.status_code == 302
    maria.refresh_from_db()
    assert check_password("Лето-в-Ромашке-77", maria.portal_password)
    assert client.get(reverse("portal:ticket-list")).status_code == 200  # this session stays
    assert _password_login(Client(), maria.email, "Лето-в-Ромашке-77").status_code == 302


def test_changing_a_password_needs_the_current_one_and_a_good_new_one(pavel: Contact) -> None:
    client = _signed_in(pavel)
    other_browser = _signed_in(pavel)
    old_hash = pavel.portal_password
    bad = [
        {
            "current_password": "wrong",
            "new_password": "Новый-пароль-9",
            "new_password_again": "Новый-пароль-9",
        },
        {
            "current_password": PASSWORD,
            "new_password": "12345678",
            "new_password_again": "12345678",
        },
        {
            "current_password": PASSWORD,
            "new_password": "Новый-пароль-9",
            "new_password_again": "другой",
        },
        {"new_password": "Новый-пароль-9", "new_password_again": "Новый-пароль-9"},
    ]
    for data in bad:
        response = client.post(reverse("portal:password-set"), data)
        assert response.status_code == 200
        assert (
            'class="errorlist"' in response.content.decode()
            or "form-errors" in response.content.decode()
        )
    pavel.refresh_from_db()
    assert pavel.portal_password == old_hash

    good = {
        "current_password": PASSWORD,
        "new_password": "Новый-пароль-9",
        "new_password_again": "Новый-пароль-9",
    }
    assert client.post(reverse("portal:password-set"), good).status_code == 302
    assert client.get(reverse("portal:ticket-list")).status_code == 200
    assert other_browser.get(reverse("portal:ticket-list")).status_code == 302


# --- What a contact sees ----------------------------------------------------------------


def test_the_list_shows_own_tickets_or_the_whole_company(
    pavel: Contact, maria: Contact, oleg: Contact
) -> None:
    own = _ticket(pavel, "Павла вопрос")
    colleague = _ticket(maria, "Марии вопрос")
    foreign = _ticket(oleg, "Олега вопрос")

    pavel_sees = _signed_in(pavel).get(reverse("portal:ticket-list")).content.decode()
    maria_sees = _signed_in(maria).get(reverse("portal:ticket-list")).content.decode()

    assert own.subject in pavel_sees
    assert colleague.subject not in pavel_sees
    assert foreign.subject not in pavel_sees
    assert own.subject in maria_sees and colleague.subject in maria_sees
    assert foreign.subject not in maria_sees


def test_the_list_filters_open_and_closed_newest_first(pavel: Contact, operator: User) -> None:
    first = _ticket(pavel, "Первый вопрос")
    second = _ticket(pavel, "Второй вопрос")
    done = _resolve(_ticket(pavel, "Решённый вопрос"), operator)
    client = _signed_in(pavel)

    everything = client.get(reverse("portal:ticket-list")).content.decode()
    open_only = client.get(reverse("portal:ticket-list") + "?state=open").content.decode()
    closed_only = client.get(reverse("portal:ticket-list") + "?state=closed").content.decode()

    assert (
        everything.index(done.subject)
        < everything.index(second.subject)
        < everything.index(first.subject)
    )
    assert done.subject not in open_only and first.subject in open_only
    assert done.subject in closed_only and first.subject not in closed_only


def test_the_list_page_costs_the_same_queries_for_3_and_20_tickets(
    pavel: Contact, maria: Contact, django_assert_num_queries: Callable[..., Any]
) -> None:
    client = _signed_in(maria)  # company scope: the requester column too
    for number in range(3):
        _ticket(pavel if number % 2 else maria, f"Вопрос {number}")
    with CaptureQueriesContext(connection) as three:
        assert client.get(reverse("portal:ticket-list")).status_code == 200
    for number in range(17):
        _ticket(pavel if number % 2 else maria, f"Ещё вопрос {number}")
    with django_assert_num_queries(len(three)):
        response = client.get(reverse("portal:ticket-list"))
    assert response.content.decode().count("/portal/OP-") >= 40


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "ticket-detail"),
        ("post", "ticket-reply"),
        ("post", "ticket-close"),
        ("post", "ticket-rate"),
    ],
)
def test_someone_elses_ticket_is_a_404(
    method: str, name: str, pavel: Contact, maria: Contact, oleg: Contact
) -> None:
    colleague = _ticket(maria)
    foreign = _ticket(oleg)
    client = _signed_in(pavel)
    data = {"body": "Чужое", "score": "5"}
    for ticket in (colleague, foreign):
        response = getattr(client, method)(_url(name, ticket), data)
        assert response.status_code == 404
    assert _signed_in(maria).get(_url("ticket-detail", foreign)).status_code == 404
    assert Message.objects.filter(body="Чужое").count() == 0
    assert CsatResponse.objects.count() == 0
    assert Ticket.objects.filter(status=Ticket.Status.RESOLVED).count() == 0


def test_internal_notes_and_their_files_never_reach_the_client(
    pavel: Contact, operator: User
) -> None:
    ticket = _ticket(pavel)
    tickets.ticket_reply(
        ticket=ticket,
        author=operator,
        body="Клиент путает склады, не говорить ему",
        internal=True,
        files=[_file("внутренний-отчёт.pdf")],
    )
    tickets.ticket_reply(
        ticket=ticket,
        author=operator,
        body="Здравствуйте! Исправили обмен.",
        files=[_file("инструкция.pdf")],
    )
    note_file = Attachment.objects.get(name="внутренний-отчёт.pdf")
    public_file = Attachment.objects.get(name="инструкция.pdf")
    client = _signed_in(pavel)

    page = client.get(_url("ticket-detail", ticket)).content.decode()

    assert "Клиент путает склады" not in page
    assert "внутренний-отчёт.pdf" not in page
    assert "Здравствуйте! Исправили обмен." in page
    assert "Иван" in page  # the operator's first name
    assert reverse("portal:attachment", args=[public_file.pk, public_file.name]) in page
    hidden = client.get(reverse("portal:attachment", args=[note_file.pk, note_file.name]))
    assert hidden.status_code == 404
    download = client.get(reverse("portal:attachment", args=[public_file.pk, public_file.name]))
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"


def test_a_file_of_another_companys_ticket_is_a_404(pavel: Contact, oleg: Contact) -> None:
    ticket = portal.portal_ticket_create(
        contact=oleg,
        subject="Лютик",
        body="Файл",
        type=TicketType.objects.get(code="standard"),
        files=[_file("лютик.pdf")],
    )
    attachment = Attachment.objects.get(message__ticket=ticket)
    url = reverse("portal:attachment", args=[attachment.pk, attachment.name])
    assert _signed_in(pavel).get(url).status_code == 404
    assert _signed_in(oleg).get(url).status_code == 200


# --- What a contact does -------------------------------------------------------------------


def test_a_contact_creates_a_ticket_with_files(pavel: Contact, romashka: ClientAccount) -> None:
    client = _signed_in(pavel)
    category = Category.objects.create(name="Интеграции")
    assert "Интеграции" in client.get(reverse("portal:ticket-create")).content.decode()

    response = client.post(
        reverse("portal:ticket-create"),
        {
            "subject": "Не печатаются счета",
            "body": "После обновления счета не уходят на печать.",
            "type": TicketType.objects.get(code="emergency").pk,
            "category": category.pk,
            "attachments": [_file("скрин.png", b"\x89PNG\r\n\x1a\n"), _file("лог.txt", b"log")],
        },
    )

    ticket = Ticket.objects.get(subject="Не печатаются счета")
    assert response["Location"] == _url("ticket-detail", ticket)
    assert (ticket.channel, ticket.requester, ticket.client) == (
        Ticket.Channel.PORTAL,
        pavel,
        romashka,
    )
    assert (ticket.type.code, ticket.category) == ("emergency", category)
    message = ticket.messages.get()
    assert message.kind == Message.Kind.CLIENT
    assert sorted(message.attachments.values_list("name", flat=True)) == ["лог.txt", "скрин.png"]


@pytest.mark.parametrize(
    "data",
    [
        {
            "subject": "Вопрос",
            "body": "Текст",
            "attachments": [_file("счёт.pdf"), _file("setup.exe")],
        },
        {"subject": "", "body": "Текст"},
        {"subject": "Вопрос", "body": "   "},
        {"subject": "Вопрос", "body": "Текст", "category": "999999"},
    ],
)
def test_a_bad_new_ticket_is_refused_and_nothing_is_written(
    data: dict[str, Any], pavel: Contact
) -> None:
    client = _signed_in(pavel)
    data = {"type": TicketType.objects.get(code="standard").pk, **data}

    response = client.post(reverse("portal:ticket-create"), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="errorlist"' in content or "form-errors" in content
    assert (Ticket.objects.count(), Attachment.objects.count()) == (0, 0)


def test_a_dangerous_file_is_named_in_the_error(pavel: Contact) -> None:
    response = _signed_in(pavel).post(
        reverse("portal:ticket-create"),
        {
            "subject": "Вопрос",
            "body": "Текст",
            "type": TicketType.objects.get(code="standard").pk,
            "attachments": [_file("setup.exe")],
        },
    )
    assert "setup.exe" in response.content.decode()


def test_a_reply_reopens_a_resolved_ticket(pavel: Contact, operator: User) -> None:
    ticket = _resolve(_ticket(pavel), operator)
    client = _signed_in(pavel)

    response = client.post(
        _url("ticket-reply", ticket),
        {"body": "Снова не выгружается", "attachments": [_file("лог.txt", b"log")]},
    )

    message = Message.objects.get(body="Снова не выгружается")
    assert response["Location"] == f"{_url('ticket-detail', ticket)}#message-{message.pk}"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert (message.kind, message.author_contact) == (Message.Kind.CLIENT, pavel)
    assert message.attachments.get().name == "лог.txt"


def test_an_empty_reply_or_a_bad_file_writes_nothing(pavel: Contact) -> None:
    ticket = _ticket(pavel)
    client = _signed_in(pavel)
    for data in ({"body": "  "}, {"body": "Файл", "attachments": [_file("x.js")]}):
        response = client.post(_url("ticket-reply", ticket), data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert ticket.messages.count() == 1


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(pavel: Contact, operator: User) -> None:
    ticket = _resolve(_ticket(pavel), operator)
    tickets.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.CLOSED)

    response = _signed_in(pavel).post(_url("ticket-reply", ticket), {"body": "Опять то же"})

    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"].startswith(_url("ticket-detail", follow_up))
    assert follow_up.requester == pavel


def test_the_client_settles_a_ticket_once(pavel: Contact) -> None:
    ticket = _ticket(pavel)
    client = _signed_in(pavel)

    client.post(_url("ticket-close", ticket))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED

    again = client.post(_url("ticket-close", ticket), follow=True)
    assert again.status_code == 200
    assert 'class="error"' in again.content.decode()


def test_csat_is_offered_after_resolution_and_taken_once(pavel: Contact, operator: User) -> None:
    ticket = _ticket(pavel)
    client = _signed_in(pavel)
    assert 'data-testid="csat"' not in client.get(_url("ticket-detail", ticket)).content.decode()
    early = client.post(_url("ticket-rate", ticket), {"score": "5"}, follow=True)
    assert 'class="error"' in early.content.decode()
    assert CsatResponse.objects.count() == 0

    _resolve(ticket, operator)
    assert 'data-testid="csat-5"' in client.get(_url("ticket-detail", ticket)).content.decode()
    response = client.post(_url("ticket-rate", ticket), {"score": "4", "comment": " Быстро "})

    assert response["Location"] == f"{_url('ticket-detail', ticket)}#csat"
    answer = CsatResponse.objects.get(ticket=ticket)
    assert (answer.score, answer.comment, answer.contact, answer.channel) == (
        4,
        "Быстро",
        pavel,
        "portal",
    )
    page = client.get(_url("ticket-detail", ticket)).content.decode()
    assert 'data-testid="csat-5"' not in page
    assert ("4 out of 5" in page or "4 из 5" in page) and "Быстро" in page

    second = client.post(_url("ticket-rate", ticket), {"score": "1"}, follow=True)
    assert 'class="error"' in second.content.decode()
    assert CsatResponse.objects.get(ticket=ticket).score == 4


def test_a_score_out_of_range_is_refused(pavel: Contact, operator: User) -> None:
    ticket = _resolve(_ticket(pavel), operator)
    response = _signed_in(pavel).post(_url("ticket-rate", ticket), {"score": "9"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert CsatResponse.objects.count() == 0


def test_the_language_switch_is_saved_on_the_contact(pavel: Contact) -> None:
    client = _signed_in(pavel)
    assert '<html lang="ru">' in client.get(reverse("portal:ticket-list")).content.decode()

    response = client.post(
        reverse("portal:language-set"), {"language": "en", "next": reverse("portal:ticket-list")}
    )

    assert response["Location"] == reverse("portal:ticket-list")
    pavel.refresh_from_db()
    assert pavel.language == "en"
    page = client.get(reverse("portal:ticket-list")).content.decode()
    assert '<html lang="en">' in page
    assert "My tickets" in page


def test_the_contacts_language_wins_over_a_staff_users_in_the_same_browser(
    pavel: Contact, operator: User
) -> None:
    pavel.language = "en"
    pavel.save()
    client = _signed_in(pavel)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    assert '<html lang="en">' in client.get(reverse("portal:ticket-list")).content.decode()


def test_a_password_sign_in_voids_an_unused_link(pavel: Contact) -> None:
    link = reverse("portal:link-use", args=[portal.magic_link_token(pavel)])
    assert _password_login(Client(), pavel.email, PASSWORD).status_code == 302
    assert Client().post(link).status_code == 400


def test_a_reply_on_a_merged_ticket_lands_in_the_ticket_it_was_merged_into(
    pavel: Contact, operator: User
) -> None:
    source, target = _ticket(pavel, "Первое письмо"), _ticket(pavel, "Второе письмо")
    tickets.ticket_merge(source=source, target=target, actor=operator)
    client = _signed_in(pavel)
    assert target.reference in client.get(_url("ticket-detail", source)).content.decode()

    response = client.post(_url("ticket-reply", source), {"body": "Дополнение"})

    message = Message.objects.get(body="Дополнение")
    assert message.ticket == target
    assert response["Location"] == f"{_url('ticket-detail', target)}#message-{message.pk}"
