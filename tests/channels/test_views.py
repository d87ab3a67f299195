"""Channel screens: who may use them, bad input, secrets never shown, the email original."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opora.accounts.models import Team, User
from opora.channels.mail.inbound import email_ingest
from opora.channels.models import Delivery, Mailbox
from opora.core.models import AuditEntry
from tests.channels.helpers import make_mailbox, raw_email

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def mailbox(first_line: Team) -> Mailbox:
    return make_mailbox(first_line, password="imap-secret-42")


FORM = {
    "name": "Продажи",
    "address": "Sales@Opora.test",
    "language": "ru",
    "send_acknowledgement": "on",
    "is_active": "on",
    "imap_host": "127.0.0.1",
    "imap_port": "143",
    "imap_security": "none",
    "imap_username": "sales@opora.test",
    "imap_password": "sales-secret-1",
    "imap_folder": "INBOX",
    "after_import": "keep",
    "max_message_mb": "25",
    "smtp_port": "465",
    "smtp_security": "ssl",
}


@pytest.mark.parametrize("role", ["operator", "lead", "analyst"])
def test_only_admins_and_heads_manage_mailboxes(
    request: pytest.FixtureRequest, role: str, mailbox: Mailbox
) -> None:
    user = request.getfixturevalue(role)
    client = signed_in(user)
    for url in (
        reverse("channels:mailbox-list"),
        reverse("channels:mailbox-edit", args=[mailbox.pk]),
        reverse("channels:mailbox-inbound", args=[mailbox.pk]),
        reverse("channels:delivery-list"),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("channels:mailbox-delete", args=[mailbox.pk])).status_code == 403
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()


def test_a_head_creates_a_mailbox_with_an_encrypted_password(head: User) -> None:
    response = signed_in(head).post(reverse("channels:mailbox-create"), FORM)
    assert response.status_code == 302
    mailbox = Mailbox.objects.get(name="Продажи")
    assert mailbox.address == "sales@opora.test"
    assert mailbox.imap_password == "sales-secret-1"
    assert "sales-secret-1" not in mailbox.imap_password_encrypted
    entry = AuditEntry.objects.get(action="channels.mailbox_created")
    assert "sales-secret-1" not in str(entry.changes)


def test_the_password_is_never_sent_back_and_an_empty_field_keeps_it(
    head: User, mailbox: Mailbox
) -> None:
    client = signed_in(head)
    page = client.get(reverse("channels:mailbox-edit", args=[mailbox.pk]))
    assert b"imap-secret-42" not in page.content
    form = {**FORM, "name": "Поддержка", "address": mailbox.address, "imap_password": ""}
    assert client.post(reverse("channels:mailbox-edit", args=[mailbox.pk]), form).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "imap-secret-42"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"address": "не адрес"}, "address"),
        ({"imap_port": "порт"}, "imap_port"),
        ({"imap_host": ""}, "imap_host"),
        ({"imap_password": ""}, "imap_password"),
        ({"after_import": "move", "processed_folder": ""}, "processed_folder"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    head: User, change: dict[str, str], field: str
) -> None:
    response = signed_in(head).post(reverse("channels:mailbox-create"), {**FORM, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Mailbox.objects.filter(name="Продажи").exists()


def test_bad_input_on_an_existing_mailbox_leaves_it_intact(head: User, mailbox: Mailbox) -> None:
    form = {**FORM, "address": "", "imap_password": ""}
    response = signed_in(head).post(reverse("channels:mailbox-edit", args=[mailbox.pk]), form)
    assert response.status_code == 400
    assert "Обязательное поле." in response.context["form"].errors["address"]
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.address) == ("Поддержка", "support@opora.test")


def test_test_connection_shows_the_servers_refusal(head: User, mailbox: Mailbox) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=port)
    response = signed_in(head).post(reverse("channels:mailbox-test", args=[mailbox.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "IMAP: ошибка" in text
    assert "ConnectionRefusedError" in text


def test_the_inbound_log_filters_by_status_in_few_queries(
    head: User, mailbox: Mailbox, django_assert_max_num_queries: object
) -> None:
    for uid in range(1, 4):
        email_ingest(
            mailbox=mailbox, uidvalidity=1, uid=uid, raw=raw_email(subject=f"Письмо {uid}")
        )
    email_ingest(mailbox=mailbox, uidvalidity=1, uid=9, raw=b"")
    client = signed_in(head)
    url = reverse("channels:mailbox-inbound", args=[mailbox.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Письмо 3" in page.content.decode()
    quarantined = client.get(url, {"status": "quarantined"})
    rows = quarantined.context["page"].items
    assert [r.uid for r in rows] == [9]


def test_the_original_email_is_shown_sanitised_in_a_sandbox(
    operator: User, mailbox: Mailbox
) -> None:
    raw = (
        "From: pavel@romashka.ru\r\nTo: support@opora.test\r\nSubject: HTML\r\n"
        "Message-ID: <h1@romashka.ru>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        '<p onclick="steal()">Привет<script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif"></p>\r\n'
    ).encode()
    row = email_ingest(mailbox=mailbox, uidvalidity=1, uid=1, raw=raw)
    client = signed_in(operator)
    detail = client.get(reverse("channels:inbound-detail", args=[row.pk]))
    assert detail.status_code == 200
    assert b"sandbox" in detail.content
    html = client.get(reverse("channels:inbound-html", args=[row.pk]))
    assert "sandbox" in html["Content-Security-Policy"]
    body = html.content.decode()
    assert "Привет" in body
    assert "<script" not in body and "onclick" not in body and "tracker.example" not in body
    raw_download = client.get(reverse("channels:inbound-raw", args=[row.pk]))
    assert b"".join(raw_download.streaming_content) == raw


def test_an_analyst_cannot_read_client_email(analyst: User, mailbox: Mailbox) -> None:
    row = email_ingest(mailbox=mailbox, uidvalidity=1, uid=1, raw=raw_email())
    client = signed_in(analyst)
    for name in ("channels:inbound-detail", "channels:inbound-html", "channels:inbound-raw"):
        assert client.get(reverse(name, args=[row.pk])).status_code == 403


def test_the_ticket_page_shows_the_original_link_and_delivery_status(
    operator: User, mailbox: Mailbox
) -> None:
    row = email_ingest(mailbox=mailbox, uidvalidity=1, uid=1, raw=raw_email())
    assert row.ticket is not None
    client = signed_in(operator)
    client.post(
        reverse("tickets:reply", args=[row.ticket.number]), {"body": "Ответ клиенту", "seen": ""}
    )
    page = client.get(reverse("tickets:detail", args=[row.ticket.number])).content.decode()
    assert reverse("channels:inbound-detail", args=[row.pk]) in page
    delivery = Delivery.objects.filter(message__isnull=False).get()
    assert f'id="delivery-{delivery.pk}"' in page
    assert "Доставлено" in page


def test_a_quarantined_email_is_retried_from_the_log(
    head: User, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opora.channels.mail import inbound

    real = inbound.tickets.ticket_create
    monkeypatch.setattr(inbound.tickets, "ticket_create", _broken)
    row = email_ingest(mailbox=mailbox, uidvalidity=1, uid=1, raw=raw_email())
    assert row.status == "quarantined"
    monkeypatch.setattr(inbound.tickets, "ticket_create", real)

    response = signed_in(head).post(reverse("channels:inbound-retry", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.reason) == ("imported", "new_ticket")
    assert AuditEntry.objects.filter(action="channels.inbound_retried").exists()


def _broken(**kwargs: object) -> None:
    raise RuntimeError("database hiccup")
