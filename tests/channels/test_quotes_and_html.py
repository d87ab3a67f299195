"""The visible part of a reply, the HTML sanitiser and the HTML-to-text converter.

Pure: no database. The reply fixtures live in tests/data/email.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opora.channels.mail.html import html_to_text, sanitize_html
from opora.channels.mail.parsing import parse_email
from opora.channels.mail.quotes import visible_reply

CORPUS = Path(__file__).resolve().parent.parent / "data" / "email"


def fixture_text(name: str) -> str:
    return parse_email((CORPUS / name).read_bytes()).text


def fixture_html(name: str) -> str:
    return parse_email((CORPUS / name).read_bytes()).html


# -- visible_reply on the corpus ------------------------------------------------------


def test_a_gmail_reply_loses_the_wrapped_russian_attribution_and_the_quote() -> None:
    text = fixture_text("reply_gmail_ru_quoted.eml")
    assert "пн, 23 нояб. 2026 г. в 10:00" in text

    assert visible_reply(text) == "Спасибо, всё заработало после очистки кеша!"


def test_a_gmail_html_reply_converted_to_text_loses_its_blockquote() -> None:
    text = html_to_text(fixture_html("reply_gmail_ru_quoted.eml"))
    assert "> Попробуйте очистить кеш браузера и войти снова." in text

    assert visible_reply(text) == "Спасибо, всё заработало после очистки кеша!"


def test_an_outlook_reply_loses_the_header_block_and_everything_under_it() -> None:
    text = fixture_text("reply_outlook_ru.eml")
    assert "Отправили счёт повторно" in text

    assert visible_reply(text) == (
        "Добрый день!\n\n"
        "Счёт получили, спасибо. Заявку можно закрывать.\n\n"
        "Ольга Кузнецова\n"
        "Главный бухгалтер"
    )


@pytest.mark.parametrize("html", [False, True])
def test_a_yandex_reply_loses_the_pishet_attribution_and_the_quote(html: bool) -> None:
    name = "reply_yandex_pishet.eml"
    text = html_to_text(fixture_html(name)) if html else fixture_text(name)
    assert "Мы обновили сертификат" in text

    assert visible_reply(text) == "Проверил — теперь работает, спасибо.\nМожно закрывать."


def test_a_reply_loses_its_signature() -> None:
    text = fixture_text("reply_with_signature.eml")
    assert "Анна Смирнова" in text

    assert visible_reply(text) == (
        "Добрый день!\n\nПодтверждаю, доступ к отчётам появился. Спасибо за быструю помощь."
    )


def test_a_new_message_without_history_is_left_as_it_is() -> None:
    text = fixture_text("plain_utf8.eml")

    assert visible_reply(text) == text


# -- visible_reply on strings ---------------------------------------------------------

NEW = "Спасибо, работает."


@pytest.mark.parametrize(
    "history",
    [
        "On Mon, 23 Nov 2026 at 10:00, Ivan <ivan@x.ru> wrote:\n> Hello\n> there",
        "On Mon, 23 Nov 2026 at 10:00, Ivan Petrov <ivan.petrov@example.ru>\nwrote:\n\n> Hello",
        "пн, 23 нояб. 2026 г. в 10:00, Иван Петров <ivan@example.ru>:\n\n> Добрый день!",
        '23.11.2026, 10:00, "Иван" <ivan@x.ru>:\n> Добрый день!',
        "23.11.2026 10:00, Иван Петров пишет:\n> Добрый день!",
        "23.11.2026 10:00, Иван Петров написал(а):\n> Добрый день!",
        "23.11.2026 10:00, Иван Петров написал:\n> Добрый день!",
        "Понедельник, 23 ноября 2026, 10:00 +03:00 от Иван Петров <ivan@mail.ru>:\n> Привет",
        # Quoted history without ">" (pasted by a client that does not quote).
        "23.11.2026 10:00, Иван Петров пишет:\nДобрый день!\nЗаявка создана.",
        "-----Original Message-----\nFrom: Ivan\nSent: Monday\nTo: support\n\nHello",
        "-----Исходное сообщение-----\nОт: Иван\nОтправлено: 23 ноября 2026 г.\n\nПривет",
        "-------- Original message --------\nПривет",
        "From: Ivan Petrov <ivan@x.ru>\nSent: Monday, November 23, 2026 10:00 AM\n"
        "To: support@opora.local\nSubject: Ticket\n\nHello",
        "________________________________\nОт: Служба поддержки <support@opora.local>\n"
        "Отправлено: 23 ноября 2026 г. 10:00\nКому: Иван\nТема: Заявка\n\nДобрый день",
        "*From:* Ivan <ivan@x.ru>\n*Date:* Mon, 23 Nov 2026\n*Subject:* Ticket\n*To:* support\n\nHi",
        "От: Иван <ivan@x.ru>\nДата: 23.11.2026\nКому: support@opora.local\n\nПривет",
        "-- \nИван Петров\nООО «Ромашка»",
        "--\nИван Петров",
        "Sent from my iPhone",
        "Sent from my Samsung Galaxy smartphone.",
        "Отправлено с iPhone",
        "Отправлено из мобильной Почты Mail.ru",
        "Sent from Yandex Mail",
        "Отправлено из мобильной Яндекс Почты",
        "Get Outlook for Android",
        "Sent from my iPhone\n\n23.11.2026 10:00, Иван пишет:\n> Привет",
        "> just a trailing quote\n> with no attribution",
    ],
)
def test_history_signatures_and_footers_are_stripped(history: str) -> None:
    assert visible_reply(f"{NEW}\n\n{history}\n") == NEW


def test_crlf_text_is_handled_like_lf() -> None:
    text = "Ответ\r\n\r\n23.11.2026 10:00, Иван пишет:\r\n> вопрос\r\n"

    assert visible_reply(text) == "Ответ"


def test_an_inline_answer_keeps_the_quotes_it_answers() -> None:
    text = (
        "On Mon, 23 Nov 2026 at 10:00, Ivan <ivan@x.ru> wrote:\n"
        "> Какая версия?\n"
        "5.2\n"
        "> Какой браузер?\n"
        "Firefox\n"
        "\n"
        "-- \n"
        "Ivan"
    )

    assert visible_reply(text) == (
        "On Mon, 23 Nov 2026 at 10:00, Ivan <ivan@x.ru> wrote:\n"
        "> Какая версия?\n"
        "5.2\n"
        "> Какой браузер?\n"
        "Firefox"
    )


def test_a_quote_in_the_middle_stays_but_the_trailing_history_goes() -> None:
    text = (
        "Вы писали:\n> цена 100 ₽\nА в счёте 120 ₽.\n\n"
        "23.11.2026 10:00, Иван пишет:\n> старое письмо"
    )

    assert visible_reply(text) == "Вы писали:\n> цена 100 ₽\nА в счёте 120 ₽."


@pytest.mark.parametrize(
    "text",
    [
        "Письмо пишет: бухгалтерия просит счёт.\nА ещё вопрос.",
        "From: accounting\nПрошу выставить счёт.",
        "Отправлено с опозданием, извините.\nСчёт во вложении.",
        "Встреча в 10:00, адрес <office@x.ru> —\nприходите.",
    ],
)
def test_ordinary_text_that_resembles_history_is_kept(text: str) -> None:
    assert visible_reply(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("> only a quote\n> nothing new\n", "> only a quote\n> nothing new"),
        ("-- \nТолько подпись", "-- \nТолько подпись"),
        ("\n\n  Привет  \n\n", "Привет"),
        ("", ""),
        ("   \n ", ""),
    ],
)
def test_it_never_returns_nothing_for_text_with_content(text: str, expected: str) -> None:
    assert visible_reply(text) == expected


def test_a_megabyte_line_does_not_stall_the_patterns() -> None:
    line = "1" * 1_000_000 + " wrote:"

    assert visible_reply(line + "\n> q") == line


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("> -:\n\r12Onwrote:пишет<@>абв")), max_size=300))
def test_visible_reply_is_never_empty_for_text_with_content(text: str) -> None:
    result = visible_reply(text)

    assert bool(result) == bool(text.strip())


# -- sanitize_html --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
        ('<p onclick="steal()" onmouseover="x()">Hi</p>', "<p>Hi</p>"),
        ('<p style="position:fixed">Hi</p><style>p{}</style>', "<p>Hi</p>"),
        ('<iframe src="https://x.ru"></iframe><p>Hi</p>', "<p>Hi</p>"),
        ('<form action="https://x.ru"><input name="p"><button>Go</button></form>', "Go"),
        ("<title>Subject</title><p>Hi</p>", "<p>Hi</p>"),
        ('<noscript><img src="https://t.example/p.gif"></noscript><p>Hi</p>', "<p>Hi</p>"),
        ("<ul><li>one</li></ul><ol><li>two</li></ol>", "<ul><li>one</li></ul><ol><li>two</li></ol>"),
        (
            '<table border="1"><tr><td colspan="2" class="x">a</td></tr></table>',
            '<table border="1"><tbody><tr><td colspan="2">a</td></tr></tbody></table>',
        ),
        ("<b>b</b><i>i</i><u>u</u><blockquote>q</blockquote>", "<b>b</b><i>i</i><u>u</u><blockquote>q</blockquote>"),
    ],
)  # fmt: skip
def test_the_sanitiser_keeps_formatting_and_drops_active_content(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


@pytest.mark.parametrize(
    "src",
    [
        "https://track.example.com/open.gif?u=1",
        "http://track.example.com/p.png",
        "//track.example.com/p.png",
        "pixel.gif",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "data:text/html;base64,PHNjcmlwdD4=",
        "javascript:alert(1)",
    ],
)
def test_remote_and_unsafe_images_are_removed_entirely(src: str) -> None:
    html = f'<p>До<img src="{src}" width="1" height="1" alt="a > b">После</p>'

    assert sanitize_html(html) == "<p>ДоПосле</p>"


@pytest.mark.parametrize(
    "src",
    [
        "cid:ii_screen01@mail.example.ru",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/jpeg,xyz",
    ],
)
def test_embedded_images_are_kept(src: str) -> None:
    assert sanitize_html(f'<img src="{src}" alt="скриншот" onerror="x()">') == (
        f'<img src="{src}" alt="скриншот">'
    )


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://example.ru/a?b=1", True),
        ("http://example.ru/", True),
        ("mailto:ivan@example.ru", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("vbscript:msgbox", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("/relative/path", False),
        ("cid:part1", False),
    ],
)
def test_links_keep_only_web_and_mail_targets(href: str, kept: bool) -> None:
    cleaned = sanitize_html(f'<a href="{href}" target="_blank" rel="opener">ссылка</a>')

    target = f'href="{href.replace("&", "&amp;")}" ' if kept else ""
    assert cleaned == f'<a {target}rel="noopener noreferrer nofollow">ссылка</a>'


def test_the_sanitiser_survives_lone_surrogates() -> None:
    assert sanitize_html("<p>a\udcd0b</p>") == "<p>a?b</p>"


# -- html_to_text ---------------------------------------------------------------------


def test_blocks_and_breaks_become_lines_and_paragraphs() -> None:
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        '<div dir="ltr">Добрый день!<div><br></div><div>Строка 1<br>Строка 2</div>'
        "<p>Абзац</p><p>Ещё абзац</p><h2>Заголовок</h2>Хвост"
        "<script>alert(1)</script></div></body></html>"
    )

    assert html_to_text(html) == (
        "Добрый день!\n\nСтрока 1\nСтрока 2\n\nАбзац\n\nЕщё абзац\n\nЗаголовок\n\nХвост"
    )


def test_list_items_start_with_a_dash() -> None:
    assert html_to_text("<p>Шаги:</p><ol><li>Войти</li><li>Нажать <b>Сохранить</b></li></ol>") == (
        "Шаги:\n\n- Войти\n- Нажать Сохранить"
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="https://x.ru/a">отчёт</a>', "отчёт (https://x.ru/a)"),
        ('<a href="https://x.ru/a">https://x.ru/a</a>', "https://x.ru/a"),
        ('<a href="https://x.ru/">https://x.ru</a>', "https://x.ru"),
        ('<a href="mailto:ivan@x.ru">ivan@x.ru</a>', "ivan@x.ru"),
        ('<a href="mailto:ivan@x.ru">Иван</a>', "Иван (mailto:ivan@x.ru)"),
        ('<a href="javascript:alert(1)">клик</a>', "клик"),
        ('<a name="top">якорь</a>', "якорь"),
    ],
)
def test_links_keep_their_text_and_a_differing_url(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_entities_are_decoded_and_whitespace_collapsed() -> None:
    html = "<p>Цена:&nbsp;4&#160;990&nbsp;&#8381; &laquo;Мир&raquo; &amp;   &lt;b&gt;\n  конец</p>"

    assert html_to_text(html) == "Цена: 4 990 ₽ «Мир» & <b> конец"


def test_runs_of_blank_lines_become_one() -> None:
    html = "<p>Один</p><p>&nbsp;</p><p></p><br><br><br><p>Два</p>"

    assert html_to_text(html) == "Один\n\nДва"


def test_blockquote_lines_are_marked_as_quoted() -> None:
    html = "<p>Ответ</p><blockquote>Вопрос<br>строка<blockquote>Глубже</blockquote></blockquote>"

    assert html_to_text(html) == "Ответ\n\n> Вопрос\n> строка\n>\n> > Глубже"


def test_preformatted_text_keeps_its_lines() -> None:
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


def test_table_cells_are_spaced_and_rows_are_lines() -> None:
    html = "<table><tr><th>Товар</th><th>Кол-во</th></tr><tr><td>Бумага</td><td>5</td></tr></table>"

    assert html_to_text(html) == "Товар  Кол-во\nБумага  5"


def test_broken_html_still_gives_text() -> None:
    assert html_to_text("<div><p>Незакрытый <b>тег<script>var x = '</div>';") == "Незакрытый тег"
