"""Article Markdown → safe HTML, and the line/word diff between two versions. Pure.

Raw HTML in an article is shown as text (markdown-it with `html` off), and the
result still goes through an nh3 allow-list: an article is written by staff but
read by clients in the portal, so nothing in it may run code or restyle the page.
Files of the article are referenced as `attachment:<id>` and turned into the URL
of the reader's side (staff or portal) by the caller's `file_url`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

__all__ = ["DiffRow", "markdown_render", "text_diff"]

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable(["table", "strikethrough"])

_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody",
        "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title"}),
    "ol": frozenset({"start"}),
    "td": frozenset({"align"}),
    "th": frozenset({"align"}),
}
_LINK_SCHEMES = ("http://", "https://", "mailto:", "/")
_ATTACHMENT = re.compile(r"attachment:(\d+)")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        value = value.strip()
        # Images only from this site (the article's own files): no tracking pixels.
        allowed = ("/",) if tag == "img" else _LINK_SCHEMES
        return value if value.startswith(allowed) and not value.startswith("//") else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(_TAGS),
    attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
    attribute_filter=_keep_attribute,
    link_rel="noopener noreferrer nofollow",
    url_schemes={"http", "https", "mailto"},
)


def markdown_render(text: str, *, file_url: Callable[[int], str]) -> SafeString:
    """`text` (Markdown) as sanitised HTML; `attachment:<id>` becomes `file_url(id)`."""
    source = _ATTACHMENT.sub(lambda m: file_url(int(m.group(1))), text)
    html = _CLEANER.clean(_MARKDOWN.render(source))
    return mark_safe(html)  # noqa: S308 -- nh3 allow-list above


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: `kind` is same, add, delete or change."""

    kind: str
    old: SafeString
    new: SafeString


def _words_marked(old: str, new: str) -> tuple[SafeString, SafeString]:
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    old_out: list[str] = []
    new_out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        old_part = str(escape("".join(old_words[a1:a2])))
        new_part = str(escape("".join(new_words[b1:b2])))
        if op == "equal":
            old_out.append(old_part)
            new_out.append(new_part)
            continue
        if old_part:
            old_out.append(f"<del>{old_part}</del>")
        if new_part:
            new_out.append(f"<ins>{new_part}</ins>")
    return mark_safe("".join(old_out)), mark_safe("".join(new_out))  # noqa: S308 -- escaped


def text_diff(old: str, new: str) -> list[DiffRow]:
    """Side-by-side rows from `old` to `new`, changed words marked inside changed lines."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    empty = mark_safe("")  # noqa: S308 -- constant
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(DiffRow("same", escape(line), escape(line)) for line in old_lines[a1:a2])
        elif op == "delete":
            rows.extend(DiffRow("delete", escape(line), empty) for line in old_lines[a1:a2])
        elif op == "insert":
            rows.extend(DiffRow("add", empty, escape(line)) for line in new_lines[b1:b2])
        else:
            for index in range(max(a2 - a1, b2 - b1)):
                before = old_lines[a1 + index] if a1 + index < a2 else ""
                after = new_lines[b1 + index] if b1 + index < b2 else ""
                marked_old, marked_new = _words_marked(before, after)
                rows.append(DiffRow("change", marked_old, marked_new))
    return rows
