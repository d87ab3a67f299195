"""HTML from inbound email: a sanitiser for showing it, a converter to plain text.

Pure: no Django, no network. Operators open client mail inside Opora, so the
sanitiser keeps only what renders a letter (formatting, lists, tables, links,
embedded images) and nothing that runs code, restyles the page or calls home.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

__all__ = ["html_to_text", "sanitize_html"]

_TAGS = frozenset(
    {
        "a", "abbr", "b", "big", "blockquote", "br", "caption", "center", "cite", "code",
        "col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
        "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
    }
)  # fmt: skip

_CELL = frozenset({"colspan", "rowspan", "align", "valign"})
_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "td": _CELL,
    "th": _CELL,
    "ol": frozenset({"start"}),
    "table": frozenset({"border"}),
}

# Their text is not part of the letter: code, CSS, the <title> that duplicates
# the subject, and <noscript> blocks that usually hold a tracking pixel.
_DROPPED_CONTENT = frozenset({"script", "style", "title", "noscript", "template"})

_LINK_SCHEMES = ("http://", "https://", "mailto:")
# Only images that travel inside the letter: anything fetched from a server
# tells the sender that (and when) an operator opened the mail.
_EMBEDDED_IMAGE = re.compile(r"(?:cid:|data:image/(?:png|jpeg|gif|webp)[;,])", re.IGNORECASE)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    if tag == "img" and attribute == "src":
        return value if _EMBEDDED_IMAGE.match(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROPPED_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_keep_attribute,
    link_rel="noopener noreferrer nofollow",
    url_schemes=frozenset({"http", "https", "mailto", "cid", "data"}),
    url_relative="deny",
)

# nh3 serialises every attribute double-quoted with `"` escaped, so this
# matches whole <img> tags even when an alt text contains ">".
_IMG_WITHOUT_SRC = re.compile(r'<img\b(?![^>"]*(?:"[^"]*"[^>"]*)*\ssrc=)(?:[^>"]|"[^"]*")*>')


def sanitize_html(html: str) -> str:
    """The letter's HTML, safe to embed in an Opora page.

    Links keep only http, https and mailto targets and get
    rel="noopener noreferrer nofollow"; images survive only as cid: or
    data:image/(png|jpeg|gif|webp) sources.
    """
    # Lone surrogates cannot cross into nh3's Rust side.
    html = html.encode("utf-8", "replace").decode("utf-8")
    cleaned = _CLEANER.clean(html)
    # An <img> whose source the filter removed would only render as a broken frame.
    return _IMG_WITHOUT_SRC.sub("", cleaned)


# Paragraph-like blocks are separated by a blank line; the rest of the block
# elements only start a new line (Gmail writes every line as its own <div>).
_PARAGRAPHS = frozenset(
    {"blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
)
_LINES = frozenset(
    {
        "address", "article", "aside", "body", "center", "dd", "div", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "header", "hr", "html", "li", "main",
        "nav", "section", "tbody", "tfoot", "thead", "tr",
    }
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0]+")


class _TextBuilder(HTMLParser):
    """Collects the lines of the text; inside <blockquote> each starts with "> ".

    The prefix lets `quotes.visible_reply` strip history from an HTML-only
    reply the same way as from a plain-text one.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._parts: list[str] = []
        self._line_depth = 0
        self._depth = 0  # <blockquote> nesting
        self._pre = 0
        self._skip: list[str] = []
        self._link: tuple[str, int] | None = None  # href, where its text starts in _parts
        # Kept up to date instead of joining _parts on every call: a long
        # line of many small tags would otherwise take quadratic time.
        self._has_text = False
        self._ends_with_space = False

    def _text(self, text: str) -> None:
        if not self._parts:
            self._line_depth = self._depth
        self._parts.append(text)
        self._has_text = self._has_text or bool(text.strip())
        self._ends_with_space = text.endswith(" ") or (self._ends_with_space and not text)

    def _end_line(self, *, keep_empty: bool = False) -> None:
        current = "".join(self._parts)
        text = current.rstrip() if self._pre else current.strip()
        if text or keep_empty:
            depth = self._line_depth if self._parts else self._depth
            self.lines.append(("> " * depth + text).rstrip())
        self._parts = []
        self._has_text = self._ends_with_space = False
        if self._link is not None:
            self._link = (self._link[0], 0)

    def _end_paragraph(self) -> None:
        self._end_line()
        self.lines.append(("> " * self._depth).rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip or tag in _SKIPPED:
            if tag in _SKIPPED and tag not in _VOID:
                self._skip.append(tag)
            return
        if tag == "br":
            self._end_line(keep_empty=True)
        elif tag == "li":
            self._end_line()
            self._text("- ")
        elif tag in ("td", "th"):
            if self._has_text:
                self._text("  ")
        elif tag == "a":
            self._close_link()
            self._link = ((dict(attrs).get("href") or "").strip(), len(self._parts))
        elif tag in _PARAGRAPHS:
            self._end_paragraph()
            if tag == "blockquote":
                self._depth += 1
            elif tag == "pre":
                self._pre += 1
        elif tag in _LINES:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag in self._skip:
                del self._skip[self._skip.index(tag) :]
            return
        if tag == "a":
            self._close_link()
        elif tag in _PARAGRAPHS:
            self._end_paragraph()
            if tag == "blockquote" and self._depth:
                self._depth -= 1
            elif tag == "pre" and self._pre:
                self._pre -= 1
        elif tag in _LINES:
            self._end_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def _close_link(self) -> None:
        if self._link is None:
            return
        href, start = self._link
        self._link = None
        text = "".join(self._parts[start:]).strip()
        if _link_shown(href, text):
            self._text(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._text(first)
            for line in rest:
                self._end_line(keep_empty=True)
                self._text(line)
            return
        text = _SPACES.sub(" ", data)
        if not self._has_text or self._ends_with_space:
            text = text.lstrip(" ")
        if text:
            self._text(text)

    def finish(self) -> str:
        self.close()
        self._close_link()
        self._end_line()
        out: list[str] = []
        for line in self.lines:
            blank = not line.strip("> ")
            if blank and (not out or not out[-1].strip("> ")):
                continue
            out.append(line)
        while out and not out[-1].strip("> "):
            out.pop()
        return "\n".join(out)


def _link_shown(href: str, text: str) -> bool:
    """Whether " (url)" adds anything: a real address, not already the link's text."""
    if not href.lower().startswith(_LINK_SCHEMES):
        return False
    bare = href.removeprefix("mailto:")
    return text.rstrip("/") not in (href.rstrip("/"), bare)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML letter.

    Blocks and <br> become line breaks, list items start with "- ", a link
    keeps its text and adds " (url)" when the url is not the text itself,
    lines inside <blockquote> start with "> ", runs of blank lines become one.
    """
    builder = _TextBuilder()
    builder.feed(html)
    return builder.finish()
