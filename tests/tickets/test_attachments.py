"""Attachments: limits checked before anything is stored; files kept under random names."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from opora.accounts.models import User
from opora.clients.models import Contact
from opora.tickets import attachments, services
from opora.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 1000  # several upload chunks


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name: str, content: bytes = b"hello", content_type: str = "text/plain") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


# --- validate_uploads -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "setup.exe",
        "INVOICE.PDF.EXE",
        "page.html",
        "page.HTM",
        "logo.svg",
        "run.ps1",
        "script.js",
        "..\\..\\evil.bat",
        "nested/dir/tool.msi",
    ],
)
def test_dangerous_file_types_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as error:
        attachments.validate_uploads([upload("report.pdf"), upload(name)])

    assert list(error.value.message_dict) == ["files"]


@pytest.mark.parametrize("name", ["report.pdf", "photo.JPG", "data.csv", "README", "архив.zip"])
def test_ordinary_files_pass(name: str) -> None:
    attachments.validate_uploads([upload(name)])


@pytest.mark.parametrize("name", ["evil.exe.", "evil.exe ", "evil.exe. ."])
def test_a_dangerous_type_hidden_behind_trailing_dots_or_spaces_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        attachments.validate_uploads([upload(name)])


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_passes(settings: Any) -> None:
    settings.OPORA_ATTACHMENT_MAX_BYTES = 10

    attachments.validate_uploads([upload("ten.txt", b"x" * 10)])
    with pytest.raises(ValidationError) as error:
        attachments.validate_uploads([upload("eleven.txt", b"x" * 11)])

    assert "eleven.txt" in error.value.message_dict["files"][0]


def test_more_files_than_allowed_per_message_are_refused(settings: Any) -> None:
    settings.OPORA_ATTACHMENTS_PER_MESSAGE = 2

    attachments.validate_uploads([upload("a.txt"), upload("b.txt")])
    with pytest.raises(ValidationError) as error:
        attachments.validate_uploads([upload("a.txt"), upload("b.txt"), upload("c.txt")])

    assert list(error.value.message_dict) == ["files"]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        attachments.validate_uploads([upload("empty.txt", b"")])

    assert "empty.txt" in error.value.message_dict["files"][0]


# --- attachments_save ----------------------------------------------------------------------


def test_a_saved_file_keeps_its_bytes_under_a_random_name_with_its_hash_and_real_type(
    ticket: Ticket, media: Path
) -> None:
    message = ticket.messages.get()
    assert stored_files(media) == []

    [saved] = attachments.attachments_save(
        message=message, files=[upload("Отчёт за март.pdf", PDF, content_type="text/html")]
    )

    saved.refresh_from_db()
    assert (saved.message, saved.name, saved.size) == (message, "Отчёт за март.pdf", len(PDF))
    assert saved.content_type == "application/pdf"
    assert saved.sha256 == hashlib.sha256(PDF).hexdigest()
    assert saved.file.name.startswith("attachments/")
    assert "Отчёт" not in saved.file.name
    assert not saved.file.name.endswith(".pdf")
    assert [p.read_bytes() for p in stored_files(media)] == [PDF]


def test_two_files_with_the_same_name_are_stored_apart(ticket: Ticket, media: Path) -> None:
    message = ticket.messages.get()

    first, second = attachments.attachments_save(
        message=message, files=[upload("log.txt", b"one"), upload("log.txt", b"two")]
    )

    assert first.file.name != second.file.name
    assert sorted(p.read_bytes() for p in stored_files(media)) == [b"one", b"two"]


@pytest.mark.parametrize(
    ("name", "stored_name", "content_type"),
    [
        ("C:\\Users\\pavel\\logs.zip", "logs.zip", "application/zip"),
        ("../../etc/passwd", "passwd", "application/octet-stream"),
        ("dump.weird", "dump.weird", "application/octet-stream"),
        ("screen.PNG", "screen.PNG", "image/png"),
    ],
)
def test_the_name_loses_its_path_and_the_type_comes_from_the_extension(
    ticket: Ticket, media: Path, name: str, stored_name: str, content_type: str
) -> None:
    [saved] = attachments.attachments_save(
        message=ticket.messages.get(), files=[upload(name, content_type="image/png")]
    )

    assert (saved.name, saved.content_type) == (stored_name, content_type)
    assert all(p.is_relative_to(media) for p in stored_files(media))


# --- Through the ticket services ---------------------------------------------------------


def test_a_reply_with_files_stores_them_on_the_reply(
    ticket: Ticket, operator: User, media: Path
) -> None:
    message = services.ticket_reply(
        ticket=ticket,
        author=operator,
        body="Инструкция во вложении.",
        files=[upload("инструкция.pdf", PDF), upload("screen.png", b"\x89PNG")],
    )

    assert list(message.attachments.values_list("name", flat=True)) == [
        "инструкция.pdf",
        "screen.png",
    ]
    assert len(stored_files(media)) == 2


def test_a_reply_with_a_refused_file_is_not_posted_and_stores_nothing(
    ticket: Ticket, operator: User, media: Path
) -> None:
    with pytest.raises(ValidationError):
        services.ticket_reply(
            ticket=ticket,
            author=operator,
            body="Смотрите файл.",
            files=[upload("fine.pdf", PDF), upload("fix.exe", b"MZ")],
        )

    ticket.refresh_from_db()
    assert ticket.messages.count() == 1
    assert ticket.first_responded_at is None
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_client_reply_with_files_stores_them_on_the_clients_message(
    ticket: Ticket, contact: Contact, media: Path
) -> None:
    message = services.ticket_client_reply(
        ticket=ticket, contact=contact, body="Логи прикладываю.", files=[upload("app.log")]
    )

    assert message.kind == Message.Kind.CLIENT
    assert list(message.attachments.values_list("name", "content_type")) == [
        ("app.log", "application/octet-stream")
    ]


def test_a_client_reply_with_a_refused_file_changes_nothing(
    ticket: Ticket, contact: Contact, media: Path
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.PENDING)

    with pytest.raises(ValidationError):
        services.ticket_client_reply(
            ticket=ticket, contact=contact, body="Вот", files=[upload("invoice.html")]
        )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.messages.count() == 1


def test_attachments_travel_with_their_message_when_tickets_are_merged(
    ticket: Ticket, contact: Contact, operator: User, media: Path
) -> None:
    other = services.ticket_create(
        subject="Другое",
        body="Текст",
        channel=Ticket.Channel.EMAIL,
        type=ticket.type,
        requester=contact,
    )
    message = services.ticket_client_reply(
        ticket=other, contact=contact, body="Файл", files=[upload("a.txt")]
    )

    services.ticket_merge(source=other, target=ticket, actor=operator)

    attachment = Attachment.objects.get()
    assert attachment.message_id == message.pk
    assert attachment.message.ticket_id == ticket.pk


def test_a_reply_rolled_back_by_the_closing_criteria_leaves_no_file_behind(
    ticket: Ticket, operator: User, media: Path
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolution=None)

    with pytest.raises(ValidationError):
        services.ticket_reply(
            ticket=ticket,
            author=operator,
            body="Решено, акт во вложении.",
            status=Ticket.Status.RESOLVED,
            files=[upload("акт.pdf", PDF)],
        )

    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
