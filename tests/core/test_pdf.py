"""PDF reports: Russian text, page numbers, inline SVG charts, and a renderer that fetches
nothing but our static files."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.conf import settings as django_settings
from django.template import engines
from django.utils import translation

from opora.core.pdf import (
    BASE_URL,
    FetchRefused,
    PdfUnavailable,
    html_to_pdf,
    pdf_response,
    static_path_for_url,
)

REPORT = """{% extends "pdf/base.html" %}
{% block title %}Отчёт по обращениям{% endblock %}
{% block subtitle %}Период: март 2026{% endblock %}
{% block content %}
<table>
  <thead><tr><th>Оператор</th><th class="num">Обращений</th></tr></thead>
  <tbody>{% for n in rows %}<tr><td>Иван Операторов {{ n }}</td><td class="num">{{ n }}</td></tr>{% endfor %}</tbody>
</table>
{{ extra|safe }}
{% endblock %}"""


def render(rows: int = 3, extra: str = "") -> str:
    return engines["django"].from_string(REPORT).render({"rows": range(rows), "extra": extra})


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def refused(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "opora.core.pdf"]


def test_a_russian_table_renders_to_a_pdf_with_the_russian_words() -> None:
    pdf = html_to_pdf(render())

    assert pdf.startswith(b"%PDF-")
    text = "\n".join(pdf_text(pdf))
    for words in ("Отчёт по обращениям", "Период: март 2026", "Оператор", "Иван Операторов 2"):
        assert words in text


def test_every_page_is_numbered_out_of_the_total() -> None:
    with translation.override("en"):
        pages = pdf_text(html_to_pdf(render(rows=80)))

    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of 3" in text


def test_the_table_header_and_the_report_title_repeat_on_later_pages() -> None:
    pages = pdf_text(html_to_pdf(render(rows=80)))

    assert "Оператор" in pages[1]
    assert "Отчёт по обращениям" in pages[1]


def test_an_inline_svg_chart_is_drawn() -> None:
    chart = (
        '<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="240" height="80">'
        '<rect x="0" y="0" width="120" height="60" fill="#2457d6"/>'
        '<text x="130" y="40" font-size="12">Доля в срок: 95%</text></svg></figure>'
    )

    pdf = html_to_pdf(render(extra=chart))

    assert "Доля в срок: 95%" in "\n".join(pdf_text(pdf))
    content = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert content is not None
    # The bar's fill colour (#2457d6) is set as an RGB non-stroking colour.
    assert b"0.141176 0.341176 0.839216 rg" in content.get_data()


def test_remote_and_local_file_urls_are_refused_not_fetched(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    html = render(
        extra='<img src="http://example.com/pixel.png"><img src="file:///etc/passwd">'
        '<img src="https://opora.invalid/static/../../../etc/passwd">'
    )

    pdf = html_to_pdf(html)

    assert pdf.startswith(b"%PDF-")
    messages = refused(caplog)
    assert any("http://example.com/pixel.png" in m for m in messages)
    assert any("file:///etc/passwd" in m for m in messages)


def test_a_stylesheet_from_the_disk_is_not_applied_though_weasyprint_alone_would(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import weasyprint

    evil = tmp_path / "evil.css"
    evil.write_text('body::before { content: "УТЕЧКА"; }', encoding="utf-8")
    html = render().replace("</title>", f'</title><link rel="stylesheet" href="{evil.as_uri()}">')

    # The same document through WeasyPrint's default fetcher reads the file...
    assert "УТЕЧКА" in pdf_text(weasyprint.HTML(string=html).write_pdf())[0]
    # ...ours refuses it.
    caplog.set_level(logging.WARNING)
    assert "УТЕЧКА" not in pdf_text(html_to_pdf(html))[0]
    assert any(evil.as_uri() in m for m in refused(caplog))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/static/opora/opora.css",
        "https://opora.invalid.example.com/static/opora/opora.css",
        "ftp://opora.invalid/static/opora/opora.css",
        "https://opora.invalid/etc/passwd",
        "https://opora.invalid/static/",
        "https://opora.invalid/static/../settings.py",
        "https://opora.invalid/static/%2e%2e/%2e%2e/settings.py",
        "https://opora.invalid/static/opora/..%2f..%2fsettings.py",
        "https://opora.invalid/static//etc/passwd",
        "https://opora.invalid/static/opora/missing.css",
    ],
)
def test_only_existing_static_files_are_served(url: str) -> None:
    with pytest.raises(FetchRefused):
        static_path_for_url(url)


def test_a_static_file_resolves_to_the_file_and_renders_without_refusals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = static_path_for_url(BASE_URL + "static/opora/opora.css")
    assert path == Path(django_settings.BASE_DIR) / "static" / "opora" / "opora.css"

    caplog.set_level(logging.WARNING)
    html = render().replace(
        "</title>", '</title><link rel="stylesheet" href="/static/opora/opora.css">'
    )
    html_to_pdf(html)

    assert refused(caplog) == []


def test_a_collected_file_with_a_hashed_name_is_served_from_static_root(
    settings: Any, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "opora").mkdir()
    hashed = tmp_path / "opora" / "opora.0123abcd.css"
    hashed.write_text("body {}", encoding="utf-8")

    assert static_path_for_url(BASE_URL + "static/opora/opora.0123abcd.css") == hashed


def test_the_pdf_download_has_a_cyrillic_filename() -> None:
    response = pdf_response(render(), "Отчёт за март")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="Otchet_za_mart.pdf"; '
        "filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20%D0%B7%D0%B0%20%D0%BC%D0%B0%D1%80%D1%82.pdf"
    )
    assert response.content.startswith(b"%PDF-")


class _NoPango:
    """An import hook that fails the way `import weasyprint` does when Pango is missing."""

    def find_spec(self, name: str, *args: object) -> None:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")


@pytest.mark.parametrize("missing", ["weasyprint", "pango"])
def test_without_weasyprint_or_pango_rendering_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    if missing == "weasyprint":
        monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint → ImportError
    else:
        monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
        monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])

    with translation.override("en"), pytest.raises(PdfUnavailable) as error:
        pdf_response(render(), "report")

    assert "scripts/system-deps.sh" in str(error.value)
    assert isinstance(error.value.__cause__, ImportError if missing == "weasyprint" else OSError)
