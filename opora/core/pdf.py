"""HTML → PDF with WeasyPrint, fetching nothing but our own static files.

Reports contain user text (ticket subjects, client names), so the renderer must
never become a way to read the server's files or reach the network: its URL
fetcher serves `/static/…` from the collected or source static files and refuses
everything else (http, https elsewhere, file://, ftp…). `data:` URLs are allowed:
they carry their bytes and fetch nothing.

WeasyPrint is imported on first use: it loads Pango through ctypes at import,
and a machine without Pango should still start and serve every other screen.
Report templates extend `pdf/base.html` (A4, page numbers, print tables) and
embed charts as inline `<svg>`.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse
from django.utils._os import safe_join
from django.utils.translation import gettext

from opora.core.exports import content_disposition

logger = logging.getLogger(__name__)

PDF_CONTENT_TYPE: Final = "application/pdf"

# The document's base URL: relative links such as `/static/opora/logo.svg` resolve
# against it. `.invalid` is reserved (RFC 2606) and never resolves, so even a
# fetcher bug could not reach a real host through it.
BASE_URL: Final = "https://opora.invalid/"
_BASE_HOST: Final = "opora.invalid"


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are not installed."""


class FetchRefused(ValueError):
    """The PDF renderer asked for a URL that is not one of our static files."""


def html_to_pdf(html: str) -> bytes:
    """Render a complete HTML document (usually from a `pdf/base.html` child) to PDF bytes.

    Raises `PdfUnavailable` when WeasyPrint or Pango is missing.
    """
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf


def pdf_response(html: str, filename: str) -> HttpResponse:
    """The rendered PDF as a download; `filename` comes without extension."""
    response = HttpResponse(html_to_pdf(html), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(f"{filename}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


def static_path_for_url(url: str) -> Path:
    """The file a `/static/…` URL of the document names; `FetchRefused` for any other URL."""
    parts = urlsplit(url)
    static_prefix = urlsplit(settings.STATIC_URL).path
    if (
        parts.scheme not in ("http", "https")
        or parts.netloc != _BASE_HOST
        or not parts.path.startswith(static_prefix)
    ):
        raise FetchRefused(url)
    name = unquote(parts.path[len(static_prefix) :])
    segments = name.split("/")
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or any(s in ("", ".", "..") for s in segments)
        or posixpath.normpath(name) != name
    ):
        raise FetchRefused(url)
    # The source files first (current, and all there is in development), then the
    # collected ones, which alone hold the hashed names of a production build.
    candidates: list[str] = []
    try:
        found = finders.find(name)
        if isinstance(found, str):
            candidates.append(found)
        if settings.STATIC_ROOT:
            candidates.append(safe_join(str(settings.STATIC_ROOT), name))
    except SuspiciousFileOperation:
        raise FetchRefused(url) from None
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FetchRefused(url)


def _weasyprint() -> Any:  # the module; WeasyPrint ships no type hints
    # WeasyPrint narrates every step (from its import on) at INFO; keep the log for
    # what matters unless the settings chose a level for it.
    progress = logging.getLogger("weasyprint.progress")
    if progress.level == logging.NOTSET:
        progress.setLevel(logging.WARNING)
    try:
        import weasyprint  # lazy: importing it loads Pango
    except (ImportError, OSError) as exc:
        # OSError: the package is there but cffi could not load Pango.
        raise PdfUnavailable(
            gettext(
                "PDF export is unavailable: WeasyPrint or the Pango library is not installed. Run scripts/system-deps.sh and reinstall the Python dependencies."
            )
        ) from exc
    return weasyprint


@cache
def _fetcher_class() -> type[Any]:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves our static files and `data:` URLs; refuses and logs every other URL."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            try:
                path = static_path_for_url(url)
            except FetchRefused:
                # Truncated: a data-heavy URL must not flood the log.
                logger.warning("PDF rendering refused to fetch %s", url[:200])
                raise
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher


def _fetcher() -> Any:
    # Timeouts and redirects are moot: nothing here opens a connection.
    return _fetcher_class()()
