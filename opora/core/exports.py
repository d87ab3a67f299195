"""Tables as CSV or XLSX downloads: one way for every screen to export what it shows.

The caller's view checks permissions and builds the `Table` from the same
selector the screen uses; this module only renders. Values are typed by the
column's `kind`, so a number stays a number in Excel and a date a real date.

CSV streams (a generator into `StreamingHttpResponse`), so 100k rows never sit
in memory as one string. XLSX is written by xlsxwriter in `constant_memory`
mode: finished rows go to a temporary file, not into a Python object tree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any, Final
from urllib.parse import quote

import xlsxwriter
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_stubs_ext import StrPromise

EXPORT_FORMATS: Final = ("csv", "xlsx")

KINDS: Final = frozenset({"text", "int", "float", "percent", "hours", "date", "datetime"})

CSV_CONTENT_TYPE: Final = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Rows are rendered in batches under the caller's language and time zone, which
# are captured when the response is built: a streamed body is produced after the
# view has returned.
_BATCH: Final = 1000

# A spreadsheet treats a cell starting with one of these as a formula (OWASP
# "CSV injection"); a leading apostrophe makes it plain text.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

_XLSX_NUMBER_FORMATS: Final = {
    "int": "#,##0",
    "float": "#,##0.00",
    # The value is divided by 100 so that Excel holds a real fraction (95.0 → 0.95)
    # and sums and charts of percentages behave; the format shows «95.0%».
    "percent": "0.0%",
    "hours": "#,##0.00",
    "date": "dd.mm.yyyy",
    "datetime": "dd.mm.yyyy hh:mm",
}
_MIN_WIDTH: Final = 6
_MAX_WIDTH: Final = 60
_SHEET_NAME_MAX: Final = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_CYRILLIC_TO_LATIN: Final = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            *("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n"),
            *("o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", ""),
            *("e", "yu", "ya"),
        ],
        strict=True,
    )
)


@dataclass(frozen=True)
class Column:
    """One column: the row key it reads, its header, and how its values are typed.

    `kind` is one of "text", "int", "float", "percent" (a 0..100 value),
    "hours" (a number of hours or a timedelta), "date", "datetime". A percent is
    written to CSV as the 0..100 number (95.0) and to XLSX as the fraction 0.95
    with a "0.0%" format, which Excel shows as 95.0%.
    """

    key: str
    label: str | StrPromise  # may be a lazy translation; rendered with str()
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """A titled table. Row values are looked up by `Column.key`; None is an empty cell."""

    title: str | StrPromise
    columns: Sequence[Column]
    rows: Iterable[Mapping[str, Any]]


def table_response(table: Table, fmt: str, filename: str) -> HttpResponseBase:
    """The table as a download; `filename` comes without extension. Unknown `fmt` → 404."""
    return tables_response([table], fmt, filename, titles=False)


def tables_response(
    tables: Sequence[Table], fmt: str, filename: str, *, titles: bool = True
) -> HttpResponseBase:
    """Several tables in one download.

    XLSX: one sheet per table, named after its title. CSV: the tables one after
    another, each preceded by its title row and separated by a blank line
    (`titles=False` drops the title rows, as `table_response` does for one table).
    """
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            _csv_stream(tables, titles=titles), content_type=CSV_CONTENT_TYPE
        )
    elif fmt == "xlsx":
        response = HttpResponse(_xlsx_bytes(tables), content_type=XLSX_CONTENT_TYPE)
    else:
        raise Http404(gettext("Unknown export format."))
    response["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    # Reports hold names and client data: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment` with an ASCII `filename` for old clients and RFC 5987 `filename*` for all.

    Cyrillic is transliterated in the ASCII fallback («Отчёт» → «Otchet»).
    """
    name = "".join("_" if _unsafe_in_filename(ch) else ch for ch in filename).strip() or "export"
    fallback = _ascii_filename(name)
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _unsafe_in_filename(ch: str) -> bool:
    return ch in '/\\"' or unicodedata.category(ch).startswith("C")


def _ascii_filename(name: str) -> str:
    out = []
    for ch in name:
        latin = _CYRILLIC_TO_LATIN.get(ch.lower())
        if latin is not None:
            out.append(latin.capitalize() if ch.isupper() else latin)
        else:
            out.append(unicodedata.normalize("NFKD", ch))
    ascii_name = "".join(out).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("_")
    if not ascii_name or ascii_name.startswith("."):
        ascii_name = f"export{ascii_name}"
    return ascii_name


# ---- CSV ---------------------------------------------------------------------------------


class _Line:
    """A write-only file for csv.writer: hands back each written line."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(tables: Sequence[Table], *, titles: bool) -> Iterator[bytes]:
    # Captured now, while the view runs; the body is produced later, as it is sent.
    language = translation.get_language()
    tz = timezone.get_current_timezone()
    return _csv_chunks(tables, titles=titles, language=language, tz=tz)


def _csv_chunks(
    tables: Sequence[Table], *, titles: bool, language: str | None, tz: dt.tzinfo
) -> Iterator[bytes]:
    # UTF-8 with a BOM and ';' between fields is what Excel with Russian regional
    # settings opens correctly on a double click: without the BOM it reads the
    # file as cp1251, and ',' is its decimal separator, not the list separator.
    # Numbers still use a dot decimal so other programs parse them.
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    for index, table in enumerate(tables):
        with translation.override(language), timezone.override(tz):
            head = []
            if index:
                head.append(writer.writerow([]))
            if titles:
                head.append(writer.writerow([_csv_text(table.title)]))
            head.append(writer.writerow([_csv_text(c.label) for c in table.columns]))
        yield "".join(head).encode()
        rows = iter(table.rows)
        while batch := list(islice(rows, _BATCH)):
            with translation.override(language), timezone.override(tz):
                chunk = "".join(
                    writer.writerow([_csv_cell(row.get(c.key), c.kind) for c in table.columns])
                    for row in batch
                )
            yield chunk.encode()


def _csv_text(value: Any) -> str:
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _csv_cell(value: Any, kind: str) -> str:
    typed = _typed(value, kind)
    if typed is None:
        return ""
    if isinstance(typed, dt.datetime):
        return typed.strftime("%Y-%m-%d %H:%M")
    if isinstance(typed, dt.date):
        return typed.isoformat()
    if isinstance(typed, bool) or not isinstance(typed, int | float | Decimal):
        return _csv_text(typed)
    if isinstance(typed, int):
        return str(typed)
    # Plain positional notation, never "1e-07"; the shortest repr of a float.
    number = typed if isinstance(typed, Decimal) else Decimal(repr(typed))
    return format(number, "f")


def _typed(value: Any, kind: str) -> Any:
    """The value as its kind wants it; anything that does not fit stays as it is (text).

    Aware datetimes move to the current time zone whatever the kind; a float that
    is not finite becomes None (an empty cell, not "nan").
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if kind == "hours" and isinstance(value, dt.timedelta):
        return value.total_seconds() / 3600
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    return value


# ---- XLSX --------------------------------------------------------------------------------


def _xlsx_bytes(tables: Sequence[Table]) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            # Finished rows are flushed to a temporary file, not kept as objects.
            "constant_memory": True,
            # Never turn user text into a formula, a number or a link.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    formats = {
        kind: workbook.add_format({"num_format": f}) for kind, f in _XLSX_NUMBER_FORMATS.items()
    }
    used: set[str] = set()
    for number, table in enumerate(tables, start=1):
        name = _sheet_name(table.title, number, used)
        used.add(name.casefold())
        _xlsx_sheet(workbook.add_worksheet(name), table, bold, formats)
    if len(tables) == 1:
        workbook.set_properties({"title": str(tables[0].title)})
    workbook.close()
    return output.getvalue()


def _xlsx_sheet(sheet: Any, table: Table, bold: Any, formats: Mapping[str, Any]) -> None:
    columns = list(table.columns)
    widths = [len(str(c.label)) for c in columns]
    for col, column in enumerate(columns):
        sheet.write_string(0, col, str(column.label), bold)
    sheet.freeze_panes(1, 0)
    row_number = 0
    for row_number, row in enumerate(table.rows, start=1):
        for col, column in enumerate(columns):
            shown = _xlsx_cell(sheet, row_number, col, row.get(column.key), column.kind, formats)
            widths[col] = max(widths[col], shown)
    if columns:
        sheet.autofilter(0, 0, row_number, len(columns) - 1)
    # Written at close, before the rows, so it works in constant_memory mode.
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH))


def _xlsx_cell(
    sheet: Any, row: int, col: int, value: Any, kind: str, formats: Mapping[str, Any]
) -> int:
    """Write one cell; return the width it needs in characters."""
    typed = _typed(value, kind)
    if typed is None:
        return 0
    # Dates are never user text: a real Excel date whatever the column's kind.
    if isinstance(typed, dt.datetime):
        sheet.write_datetime(row, col, typed.replace(tzinfo=None), formats["datetime"])
        return 16
    if isinstance(typed, dt.date):
        sheet.write_datetime(row, col, typed, formats["date"])
        return 10
    numeric = isinstance(typed, int | float | Decimal) and not isinstance(typed, bool)
    if numeric and kind in _XLSX_NUMBER_FORMATS:
        number = float(typed)
        sheet.write_number(row, col, number / 100 if kind == "percent" else number, formats[kind])
        return len(f"{number:,.2f}")
    # write_string: never a formula, whatever the text starts with.
    text = str(typed)
    sheet.write_string(row, col, text)
    return max((len(line) for line in text.splitlines()), default=0)


def _sheet_name(title: str | StrPromise, number: int, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, no edge apostrophes, unique."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", str(title))
    name = " ".join(name.split()).strip("'")[:_SHEET_NAME_MAX].strip().strip("'")
    if not name or name.casefold() == "history":  # Excel reserves "History"
        name = gettext("Sheet %(number)s") % {"number": number}
    candidate, suffix = name, 2
    while candidate.casefold() in used:
        tail = f" ({suffix})"
        candidate = name[: _SHEET_NAME_MAX - len(tail)].rstrip() + tail
        suffix += 1
    return candidate
