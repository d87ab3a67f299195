"""Inbound email parsing on the corpus in tests/data/email and on messages built here.

Pure: no database, no network. Expected values are written out in full; the
corpus README says what each file exercises.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opora.channels.mail.parsing import EmailParseError, ParsedEmail, parse_email

CORPUS = Path(__file__).resolve().parent.parent / "data" / "email"
CORPUS_FILES = sorted(path.name for path in CORPUS.glob("*.eml"))
MSK = dt.timezone(dt.timedelta(hours=3))


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def parsed(name: str) -> ParsedEmail:
    return parse_email(corpus(name))


def message(headers: str, body: str | bytes = "Hello.\n") -> bytes:
    """A message from header lines (one per line, no trailing blank line) and a body."""
    head = "From: =?utf-8?B?0JjQstCw0L0=?= <ivan@example.ru>\nTo: support@opora.local\n"
    head += headers.strip("\n")
    data = body if isinstance(body, bytes) else body.encode()
    return head.encode() + b"\n\n" + data


def huge_message(size: int = 30 * 1024 * 1024) -> tuple[bytes, bytes]:
    """A message carrying `size` random bytes as a base64 attachment, and those bytes."""
    payload = os.urandom(size)
    raw = (
        b"From: ivan@example.ru\nTo: support@opora.local\nSubject: big\n"
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=zz\n\n"
        b"--zz\nContent-Type: text/plain; charset=utf-8\n\nArchive attached.\n"
        b"--zz\nContent-Type: application/zip\n"
        b'Content-Disposition: attachment; filename="backup.zip"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(payload) + b"--zz--\n"
    )
    return raw, payload


def test_the_corpus_has_every_fixture_the_readme_lists() -> None:
    readme = (CORPUS / "README.md").read_text()
    listed = sorted(line.split("`")[1] for line in readme.splitlines() if line.startswith("| `"))
    assert listed == CORPUS_FILES
    assert len(CORPUS_FILES) == 22


# -- headers and plain text -----------------------------------------------------------


def test_it_reads_a_plain_utf8_message() -> None:
    email = parsed("plain_utf8.eml")

    assert email.message_id == "CAF4xq1u7Z9rN2wK@mail.example.ru"
    assert email.subject == "Не могу войти в личный кабинет"
    assert email.from_name == "Иван Петров"
    assert email.from_address == "ivan.petrov@example.ru"
    assert email.reply_to == "ivan.petrov+tickets@example.ru"
    assert email.to == ("support@opora.local",)
    assert email.cc == ("anna.smirnova@example.ru", "buh@example.ru")
    assert email.date == dt.datetime(2026, 11, 23, 10, 14, 55, tzinfo=MSK)
    assert email.text == (
        "Добрый день!\n\n"
        "Не могу войти в личный кабинет: после ввода пароля страница просто\n"
        "перезагружается, ошибки нет. Браузер Яндекс, Windows 11.\n\n"
        "Логин: ivan.petrov@example.ru"
    )
    assert email.html == ""
    assert email.attachments == ()
    assert email.in_reply_to == ()
    assert email.references == ()
    assert email.auto_reason == ""
    assert email.from_opora is False
    assert email.problems == ()


def test_it_decodes_a_windows_1251_body_with_crlf_line_ends() -> None:
    raw = corpus("cp1251_plain.eml")
    assert b"\r\n" in raw

    email = parse_email(raw)

    assert email.subject == "Счёт за ноябрь не пришёл"
    assert email.from_name == "Ольга Кузнецова"
    assert email.message_id == "000a01db3e4f$5e2c1a70$1a844f50$@zavod.example.ru"
    assert "\r" not in email.text
    assert email.text.startswith("Здравствуйте!\n\nСчёт за ноябрь до сих пор не пришёл")
    assert "оплатить до 30.11." in email.text
    assert email.problems == ()


def test_it_decodes_koi8_r_and_mixed_charset_encoded_words() -> None:
    email = parsed("koi8r_encoded_headers.eml")

    assert email.subject == "Re: [#1042] Ошибка при выгрузке 1C"
    assert email.from_name == "Пётр Сергеевич"
    assert email.to == ("ivan.sidorov@example.ru", "support@opora.local")
    assert email.text == (
        'Выгрузка в 1С снова падает с ошибкой "Неверный формат даты".\n'
        "Лог прикладывать не могу, почта старая."
    )
    assert email.problems == ()


def test_a_utf8_letter_split_across_two_encoded_words_is_joined() -> None:
    # "Иван" is split inside "в" (Outlook cuts words by bytes, not characters).
    word = "Иван Сидоров".encode()
    name = (
        f"=?utf-8?B?{base64.b64encode(word[:5]).decode()}?= "
        f"=?utf-8?B?{base64.b64encode(word[5:]).decode()}?="
    )

    email = parse_email(message(f"Subject: {name}"))

    assert email.subject == "Иван Сидоров"
    assert email.problems == ()


def test_undeclared_8bit_russian_is_read_as_windows_1251_and_noted() -> None:
    email = parsed("no_charset_8bit_cp1251.eml")

    assert email.subject == "Не работает касса"
    assert email.from_name == "Сергей"
    assert email.text == (
        "Касса не печатает чеки с утра, на экране ошибка 0x0A.\nМагазин на Ленина, 5."
    )
    assert email.problems == (
        "Subject: undeclared charset, decoded as windows-1251",
        "From: undeclared charset, decoded as windows-1251",
        "body: undeclared charset, decoded as windows-1251",
    )


def test_undeclared_8bit_utf8_is_read_as_utf8_first() -> None:
    email = parse_email(message("Subject: x", "Привет, это UTF-8.".encode()))

    assert email.text == "Привет, это UTF-8."
    assert email.problems == ("body: undeclared charset, decoded as utf-8",)


def test_undeclared_koi8_r_is_told_from_windows_1251_by_letter_case() -> None:
    body = "Добрый день, не работает принтер в бухгалтерии.".encode("koi8-r")

    email = parse_email(message("Subject: x", body))

    assert email.text == "Добрый день, не работает принтер в бухгалтерии."
    assert email.problems == ("body: undeclared charset, decoded as koi8-r",)


def test_unknown_declared_charsets_fall_back_without_raising() -> None:
    email = parsed("unknown_charset.eml")

    assert email.subject == "Заявка на доступ"
    assert email.text == "Прошу выдать доступ к отчётам для нового сотрудника."
    assert email.problems == (
        "Subject: unknown charset 'unknown-8bit', decoded as windows-1251",
        "body: unknown charset 'x-unknown', decoded as utf-8",
    )


def test_a_body_that_is_not_its_declared_charset_is_decoded_by_fallback() -> None:
    headers = "Subject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit"

    email = parse_email(message(headers, "Оплата не прошла".encode("cp1251")))

    assert email.text == "Оплата не прошла"
    assert email.problems == ("body: not valid utf-8, decoded as windows-1251",)


def test_a_charset_naming_a_non_text_codec_is_treated_as_unknown() -> None:
    headers = 'Subject: x\nContent-Type: text/plain; charset="unicode_escape"'

    email = parse_email(message(headers, "Текст \\u0041".encode("cp1251")))

    assert email.text == "Текст \\u0041"
    assert email.problems == ("body: unknown charset 'unicode_escape', decoded as windows-1251",)


def test_missing_message_id_and_bad_date_are_empty_values_not_errors() -> None:
    email = parsed("no_message_id.eml")

    assert email.message_id == ""
    assert email.date is None
    assert email.from_name == ""
    assert email.from_address == "warehouse@logistics.example.ru"
    assert email.subject == "Вопрос по доставке"
    assert email.text == "Когда приедет курьер за возвратом?"
    assert email.problems == ("Date: unparseable value 'tomorrow morning'",)


def test_an_empty_body_gives_empty_text() -> None:
    email = parsed("empty_body.eml")

    assert email.subject == "Прошу перезвонить"
    assert email.message_id == "empty-body-1@example.ru"
    assert email.text == ""
    assert email.html == ""
    assert email.attachments == ()


def test_message_ids_lose_their_brackets_and_keep_header_order() -> None:
    email = parsed("reply_gmail_ru_quoted.eml")

    assert email.message_id == "CAJ8kQ3nW1xYp5Vb+Ru0=hQ@mail.gmail.example.com"
    assert email.in_reply_to == ("opora.1042.7f3c@opora.local",)
    assert email.references == ("opora.1042.1a2b@opora.local", "opora.1042.7f3c@opora.local")


def test_junk_around_message_ids_is_ignored() -> None:
    headers = (
        "Message-ID: bare-id@example.ru\n"
        "In-Reply-To: <a@x.ru> (Ivan's message of Mon, 23 Nov 2026)\n"
        "References: <a@x.ru>\n <b@x.ru> <a@x.ru> garbage"
    )

    email = parse_email(message(headers))

    assert email.message_id == "bare-id@example.ru"
    assert email.in_reply_to == ("a@x.ru",)
    assert email.references == ("a@x.ru", "b@x.ru")


def test_a_date_in_minus_0000_is_taken_as_utc() -> None:
    email = parse_email(message("Date: Tue, 01 Dec 2026 08:00:01 -0000"))

    assert email.date == dt.datetime(2026, 12, 1, 8, 0, 1, tzinfo=dt.UTC)


def test_a_from_without_an_address_gives_empty_values_and_a_problem() -> None:
    raw = b"From: undisclosed\nTo: support@opora.local\nSubject: x\n\nbody\n"

    email = parse_email(raw)

    assert (email.from_name, email.from_address) == ("", "")
    assert email.problems == ("From: missing or without a usable address",)


def test_a_display_name_with_a_comma_stays_one_address() -> None:
    raw = message('Cc: "Petrov, Ivan" <I.Petrov@X.ru>, =?utf-8?B?0JDQvdC90LA=?= <anna@x.ru>')

    assert parse_email(raw).cc == ("i.petrov@x.ru", "anna@x.ru")


def test_control_characters_and_folding_leave_the_subject() -> None:
    email = parse_email(message("Subject: Счёт\n\t за\x00 ноябрь\x07"))

    assert email.subject == "Счёт за ноябрь"


def test_nul_characters_never_reach_the_text() -> None:
    email = parse_email(message("Subject: x", b"abc\x00def\r\nghi"))

    assert email.text == "abcdef\nghi"


def test_format_flowed_soft_breaks_are_joined_but_the_signature_marker_stays() -> None:
    email = parsed("reply_with_signature.eml")

    assert email.text == (
        "Добрый день!\n\n"
        "Подтверждаю, доступ к отчётам появился. Спасибо за быструю помощь.\n\n"
        "-- \n"
        "С уважением,\n"
        "Анна Смирнова\n"
        "ООО «Ромашка», отдел закупок\n"
        "+7 (495) 123-45-67"
    )


def test_format_flowed_with_delsp_removes_the_soft_break_space() -> None:
    headers = "Subject: x\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes"

    email = parse_email(message(headers, "Длинное сло \nво и конец.\n> цита \n> та\n"))

    assert email.text == "Длинное слово и конец.\n> цитата"


# -- structure ------------------------------------------------------------------------


def test_html_only_mail_is_sanitised_and_converted_to_text() -> None:
    email = parsed("html_only_with_script_and_tracking_pixel.eml")
    html = email.html.lower()

    for banned in ("<script", "document.cookie", "<style", "onload", "onclick", "style=",
                   "<iframe", "<form", "<input", "javascript:", "<img", "track.example.com",
                   "<title", "evil.example.com"):  # fmt: skip
        assert banned not in html, banned
    assert (
        '<a href="https://files.example.ru/s/abc123" rel="noopener noreferrer nofollow">облаке</a>'
        in email.html
    )
    assert email.text == (
        "Здравствуйте!\n\n"
        'Не проходит оплата картой «Мир», пишет "отказ банка".\n\n'
        "- Сумма: 4 990 ₽\n"
        "- Дата: 27.11.2026\n\n"
        "Скриншот в облаке (https://files.example.ru/s/abc123), подробнее."
    )
    assert email.attachments == ()


def test_alternative_prefers_the_plain_text_and_keeps_the_inline_image() -> None:
    email = parsed("alternative_with_inline_image.eml")

    assert email.text == "Добрый день!\n\nВот как выглядит ошибка:\n[image: screenshot.png]\n\nИван"
    assert '<img src="cid:ii_screen01@mail.example.ru" alt="screenshot.png" width="320">' in (
        email.html
    )
    assert [(a.filename, a.content_type, a.content_id, a.is_inline) for a in email.attachments] == [
        ("screenshot.png", "image/png", "ii_screen01@mail.example.ru", True),
        # In the related part but never shown by the HTML: an ordinary attachment.
        ("attachment-2.gif", "image/gif", "unused-spacer@mail.example.ru", False),
    ]
    assert email.attachments[0].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert email.problems == ()


def test_mixed_attachments_get_safe_decoded_names() -> None:
    email = parsed("mixed_with_attachments_rfc2231.eml")

    assert email.text == "Добрый день!\n\nВо вложении счёт и программа установки от поставщика."
    assert email.html == (
        "<p>Добрый день!</p><p>Во вложении счёт и программа установки от поставщика.</p>"
    )
    assert [(a.filename, a.content_type, len(a.data)) for a in email.attachments] == [
        ("Счёт № 15 от 29.11.2026.pdf", "application/pdf", 77),
        ("setup.exe", "application/x-msdownload", 57),
        ("Фото склада.jpg", "image/jpeg", 86),
        ("Счет.pdf", "application/pdf", 77),
        ("attachment-5.bin", "application/octet-stream", 16),
    ]
    assert email.attachments[0].data.startswith(b"%PDF-1.4")
    assert email.attachments[1].data.startswith(b"MZ")
    assert not any(a.is_inline for a in email.attachments)
    assert email.problems == ()


def test_attachment_names_cannot_spoof_their_extension_or_path() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nсм. вложение\n"
        '--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="../../etc/инвойс\u202efdp.exe"\n\nMZ\n'
        '--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=" .. "\n\n%PDF\n'
        "--b--\n"
    )

    email = parse_email(message('Content-Type: multipart/mixed; boundary="b"', body))

    assert [a.filename for a in email.attachments] == ["инвойсfdp.exe", "attachment-2.pdf"]


def test_a_forwarded_message_becomes_an_eml_attachment_named_after_its_subject() -> None:
    email = parsed("forwarded_rfc822.eml")

    assert email.text == "Коллеги, пересылаю письмо клиента, разберитесь, пожалуйста."
    assert len(email.attachments) == 1
    forwarded = email.attachments[0]
    assert (forwarded.filename, forwarded.content_type) == (
        "Сбой оплаты по заказу 7781.eml",
        "message/rfc822",
    )
    again = parse_email(forwarded.data)
    assert again.message_id == "order-7781-complaint@shop.example.ru"
    assert again.text == "Деньги списались дважды, заказ 7781."
    assert email.bounced_message_ids == ()


def test_a_forwarded_message_without_a_subject_gets_an_invented_name() -> None:
    body = "--b\nContent-Type: message/rfc822\n\nFrom: a@b.ru\n\nhi\n--b--\n"

    email = parse_email(message('Content-Type: multipart/mixed; boundary="b"', body))

    assert [(a.filename, a.content_type) for a in email.attachments] == [
        ("attachment-1.eml", "message/rfc822")
    ]


def test_apple_mail_text_around_an_image_is_kept_in_order() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nДо картинки.\n"
        f"--b\nContent-Type: image/png\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n{png}\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n\nПосле картинки.\n"
        "--b--\n"
    )

    email = parse_email(message('Content-Type: multipart/mixed; boundary="b"', body))

    assert email.text == "До картинки.\n\nПосле картинки."
    assert [(a.filename, a.is_inline) for a in email.attachments] == [("attachment-1.png", False)]


def test_a_missing_closing_boundary_and_a_garbage_encoding_are_survived() -> None:
    email = parsed("broken_mime_no_closing_boundary.eml")

    assert email.text == "Остатки по складу во вложении, письмо обрезалось при отправке."
    assert [(a.filename, a.content_type, a.data) for a in email.attachments] == [
        # The line break before the missing boundary would have belonged to it.
        ("ostatki.csv", "text/csv", b"sku;qty\nA-100;15\nB-200;0")
    ]
    assert email.problems == (
        "unknown Content-Transfer-Encoding '8bits-please', content taken as is",
        "closing MIME boundary missing",
    )


def test_bad_base64_is_decoded_as_far_as_possible() -> None:
    email = parsed("bad_base64.eml")

    assert email.text == "Прикладываю фото накладной!!"
    assert [(a.filename, a.content_type) for a in email.attachments] == [
        ("nakladnaya.png", "image/png")
    ]
    assert email.attachments[0].data.startswith(b"\x89PNG")
    assert email.problems == ("bad base64 padding", "invalid characters in base64")


def test_a_multipart_without_a_boundary_is_read_as_text() -> None:
    email = parse_email(message("Content-Type: multipart/mixed", "Просто текст.\n"))

    assert email.text == "Просто текст."
    assert "multipart without a boundary, read as plain text" in email.problems


def test_a_30_megabyte_attachment_is_parsed_whole() -> None:
    raw, payload = huge_message()

    email = parse_email(raw)

    assert email.text == "Archive attached."
    assert [(a.filename, a.content_type, len(a.data)) for a in email.attachments] == [
        ("backup.zip", "application/zip", 30 * 1024 * 1024)
    ]
    assert email.attachments[0].data == payload


# -- automatic mail -------------------------------------------------------------------


def test_auto_submitted_marks_an_auto_reply() -> None:
    email = parsed("auto_reply_auto_submitted.eml")

    assert email.auto_reason == "auto_reply"
    assert email.in_reply_to == ("opora.1042.7f3c@opora.local",)


def test_an_outlook_autoreply_is_known_by_its_subject() -> None:
    email = parsed("auto_reply_subject_only.eml")

    assert email.subject == "Автоответ: [#1043] Счёт за ноябрь"
    assert email.from_name == "Смирнова Анна"
    assert email.auto_reason == "auto_reply"
    assert email.date == dt.datetime(2026, 12, 1, 7, 5, 12, tzinfo=dt.UTC)
    assert email.text.startswith("Здравствуйте! Меня нет на месте до 07.12.2026.")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-generated", "auto_reply"),
        ("Auto-Submitted: no", ""),
        ("X-Autoreply: yes", "auto_reply"),
        ("X-Autorespond: Out of office", "auto_reply"),
        ("Precedence: auto_reply", "auto_reply"),
        ("Precedence: bulk", "bulk"),
        ("Precedence: junk", "bulk"),
        ("Precedence: list", "bulk"),
        ("List-Id: <news.example.ru>", "bulk"),
        ("List-Unsubscribe: <mailto:u@example.ru>", "bulk"),
        # Outlook sets this on ordinary mail too; only with a vacation subject it counts.
        ("X-Auto-Response-Suppress: All", ""),
        ("X-Auto-Response-Suppress: All\nSubject: Re: я в отпуске до понедельника", "auto_reply"),
        ("Auto-Submitted: auto-replied\nPrecedence: bulk", "auto_reply"),
        ("Precedence: first-class", ""),
    ],
)
def test_auto_headers_decide_the_auto_reason(headers: str, reason: str) -> None:
    if "Subject:" not in headers:
        headers += "\nSubject: Re: заявка"

    assert parse_email(message(headers)).auto_reason == reason


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("Автоответ: Re: заявка", "auto_reply"),
        ("АВТООТВЕТ: заявка", "auto_reply"),
        ("Auto: заявка", "auto_reply"),
        ("Automatic reply: Ticket 5", "auto_reply"),
        ("Autoreply: Ticket 5", "auto_reply"),
        ("Out of Office: Ticket 5", "auto_reply"),
        ("out of office", "auto_reply"),
        ("Нет на месте: заявка", "auto_reply"),
        ("Отсутствую до 5 декабря", "auto_reply"),
        ("Re: автоответ не работает", ""),
        ("Autodesk licence", ""),
    ],
)
def test_auto_reply_subjects_are_recognised(subject: str, reason: str) -> None:
    assert parse_email(message(f"Subject: {subject}")).auto_reason == reason


def test_a_postfix_dsn_is_a_bounce_naming_our_message() -> None:
    email = parsed("bounce_dsn_postfix.eml")

    assert email.auto_reason == "bounce"
    assert email.bounced_message_ids == ("opora.42.abc@opora.local",)
    assert email.from_address == "mailer-daemon@mx.opora.local"
    assert email.from_name == "Mail Delivery System"
    assert email.text.startswith("This is the mail system at host mx.opora.local.")
    assert [(a.filename, a.content_type) for a in email.attachments] == [
        ("attachment-1.txt", "message/delivery-status"),
        ("[№42] Ваша заявка принята.eml", "message/rfc822"),
    ]
    assert b"Final-Recipient: rfc822; nobody@example.ru" in email.attachments[0].data
    # The returned message is ours, but the bounce itself is not a loop.
    assert email.from_opora is False


def test_a_headers_only_dsn_yields_the_id_from_text_rfc822_headers() -> None:
    body = (
        "--r\nContent-Type: text/plain\n\nDelivery to the following recipient failed.\n"
        "--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        "Final-Recipient: rfc822; x@y.ru\nAction: failed\nStatus: 5.0.0\n"
        "--r\nContent-Type: text/rfc822-headers\n\nFrom: support@opora.local\n"
        "Message-ID:\n <opora.77.f00@opora.local>\nSubject: x\n"
        "--r--\n"
    )
    headers = (
        "Subject: Delivery Status Notification (Failure)\n"
        "Message-ID: <dsn-1@mx.example.ru>\n"
        'Content-Type: multipart/report; report-type="Delivery-Status"; boundary="r"'
    )

    email = parse_email(message(headers, body))

    assert email.auto_reason == "bounce"
    assert email.bounced_message_ids == ("opora.77.f00@opora.local",)
    assert [a.content_type for a in email.attachments] == [
        "message/delivery-status",
        "text/rfc822-headers",
    ]


def test_a_russian_mail_ru_bounce_is_recognised_from_sender_and_subject() -> None:
    email = parsed("bounce_mailru_ru.eml")

    assert email.auto_reason == "bounce"
    assert email.subject == "Недоставленное сообщение"
    assert email.bounced_message_ids == ("opora.43.def@opora.local",)
    assert "Почтовый ящик переполнен" in email.text


def test_a_bounce_wins_over_an_auto_reply() -> None:
    raw = corpus("bounce_dsn_postfix.eml")
    assert b"Auto-Submitted: auto-replied" in raw

    assert parse_email(raw).auto_reason == "bounce"


def test_a_mailer_daemon_message_with_an_ordinary_subject_is_not_a_bounce() -> None:
    raw = b"From: MAILER-DAEMON@mx.example.ru\nSubject: Queue report\n\nAll quiet.\n"

    email = parse_email(raw)

    assert email.auto_reason == ""
    assert email.bounced_message_ids == ()


def test_a_mailing_list_is_bulk() -> None:
    email = parsed("mailing_list_bulk.eml")

    assert email.auto_reason == "bulk"
    assert email.from_name == "Магазин «Всё для офиса»"
    assert "news.shop.example.ru/open" not in email.html
    assert email.text.startswith("Только до пятницы: скидки до 50% на бумагу и картриджи.")


def test_a_human_reply_is_not_automatic() -> None:
    for name in ("reply_gmail_ru_quoted.eml", "reply_outlook_ru.eml", "plain_utf8.eml"):
        email = parsed(name)
        assert (email.auto_reason, email.bounced_message_ids) == ("", ()), name


def test_our_own_loop_header_is_noticed() -> None:
    assert parse_email(message("X-Opora-Loop: 1\nSubject: x")).from_opora is True
    assert parse_email(message("X-Opora-Loopy: 1\nSubject: x")).from_opora is False


# -- what raises ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n\r\n", b"just some text without any header\n", b"\x00\x01\x02binary"],
)
def test_bytes_without_headers_raise_email_parse_error(raw: bytes) -> None:
    with pytest.raises(EmailParseError):
        parse_email(raw)


def test_leading_blank_lines_before_the_headers_are_forgiven() -> None:
    email = parse_email(b"\r\n\r\nFrom: a@b.ru\nSubject: hi\n\nbody\n")

    assert (email.subject, email.text) == ("hi", "body")


def test_absurdly_deep_nesting_is_cut_off_not_a_crash() -> None:
    depth = 200
    head = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth)
    )
    raw = message("Subject: deep\n" + head.removesuffix("\n"), "Дно.\n")

    email = parse_email(raw)

    assert email.subject == "deep"
    assert email.text == ""
    assert "MIME structure deeper than 40 levels, the rest skipped" in email.problems


# -- robustness -----------------------------------------------------------------------

_TOKENS = [
    b"=?", b"?=", b"?B?", b"?Q?", b"--", b"\n", b"\r\n", b":", b";", b'"', b"<", b">",
    b"*", b"'", b"%", b"\x00", b"\xff", b"\xd0", b"\\", b",", b"@", b"\t", b"boundary=",
    b"charset=", b"filename*0*=", b"filename*1*=", b"message/rfc822",
    b"Content-Type: multipart/mixed; boundary=x\n", b"--x\n", b"--x--\n",
    b"Content-Transfer-Encoding: base64\n", b"Content-Transfer-Encoding: quoted-printable\n",
]  # fmt: skip
_MUTATION = st.tuples(
    st.sampled_from(["set", "insert", "delete", "truncate", "duplicate"]),
    st.integers(min_value=0, max_value=10**6),
    st.one_of(st.sampled_from(_TOKENS), st.binary(min_size=1, max_size=30)),
)


def _mutate(data: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, chunk in mutations:
        at = where % (len(out) + 1)
        if kind == "set":
            out[at : at + len(chunk)] = chunk
        elif kind == "insert":
            out[at:at] = chunk
        elif kind == "delete":
            del out[at : at + len(chunk) * 3]
        elif kind == "truncate":
            del out[at:]
        else:
            out[at:at] = out[at : at + len(chunk) * 10]
    return bytes(out)


def _check(raw: bytes) -> ParsedEmail | None:
    """Parse; EmailParseError is allowed only for a real reason, never for a crash inside."""
    try:
        email = parse_email(raw)
    except EmailParseError as error:
        # A crash inside the parser is re-raised as EmailParseError *from* it.
        assert error.__cause__ is None, repr(error.__cause__)
        return None
    assert "\x00" not in email.text + email.subject + email.from_name
    assert "\r" not in email.text
    assert "<script" not in email.html.lower()
    for attachment in email.attachments:
        assert attachment.filename
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert attachment.content_type == attachment.content_type.lower()
    return email


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=3000))
def test_random_bytes_never_raise_anything_but_email_parse_error(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(header=st.sampled_from(_TOKENS), raw=st.binary(max_size=2000))
def test_random_bytes_after_a_header_parse(header: bytes, raw: bytes) -> None:
    email = _check(b"Subject: fuzz\n" + header + raw)

    assert email is not None


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(CORPUS_FILES), mutations=st.lists(_MUTATION, min_size=1, max_size=8))
def test_mutated_corpus_files_never_crash_the_parser(
    name: str, mutations: list[tuple[str, int, bytes]]
) -> None:
    _check(_mutate(corpus(name), mutations))


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(CORPUS_FILES), mutations=st.lists(_MUTATION, min_size=1, max_size=8))
def test_damage_below_the_headers_never_changes_what_the_headers_say(
    name: str, mutations: list[tuple[str, int, bytes]]
) -> None:
    raw = corpus(name)
    separator = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
    head, _sep, body = raw.partition(separator)
    original = parse_email(raw)

    email = _check(head + separator + _mutate(body, mutations))

    assert email is not None
    assert (email.subject, email.from_address, email.message_id) == (
        original.subject,
        original.from_address,
        original.message_id,
    )
