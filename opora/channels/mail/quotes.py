"""The new part of an emailed reply: quoted history, signature and mobile footers removed.

Pure text heuristics for what Gmail, Outlook, Yandex, Mail.ru and phones put
under a reply, in English and Russian. The ticket keeps the whole message;
this only decides what the conversation view shows first.
"""

from __future__ import annotations

import re

__all__ = ["visible_reply"]

# "On Mon, 23 Nov 2026 at 10:00, Ivan <ivan@x.ru> wrote:"
_ON_WROTE = re.compile(r"^on\b.{4,}\bwrote:$", re.IGNORECASE)
# "23.11.2026 10:00, Иван Петров пишет:", "… написал(а):", "… wrote:" — a date
# or time keeps a sentence that merely ends in "пишет:" from matching.
_WRITES = re.compile(
    r"^.*\d.*\b(?:пишет|писал|писала|писал\(а\)|написал|написала|написал\(а\)|wrote):$",
    re.IGNORECASE,
)
# Gmail RU and Mail.ru: "пн, 23 нояб. 2026 г. в 10:00, Иван Петров <ivan@example.ru>:",
# "23.11.2026, 10:00, "Иван" <ivan@x.ru>:" — a time and an address in brackets.
_TIME_AND_ADDRESS = re.compile(r"^.*\d{1,2}:\d{2}.*<[^<>\s@]+@[^<>\s]+>:$")

_OUTLOOK_SEPARATOR = re.compile(
    r"^-{2,}\s*(?:original message|исходное сообщение|исходное письмо)\s*-{2,}$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\*?(?:from|от)\s*:", re.IGNORECASE)
_HEADER_DATE = re.compile(r"^\*?(?:sent|date|отправлено|дата)\s*:", re.IGNORECASE)
_HEADER_TO = re.compile(r"^\*?(?:to|кому)\s*:", re.IGNORECASE)
_HEADER_WINDOW = 4

_MOBILE_FOOTER = re.compile(
    r"^(?:"
    r"sent (?:from|with|via) .{0,40}"
    r"(?:iphone|ipad|android|mobile|phone|samsung|galaxy|blackberry|mail|outlook)"
    r"|get outlook for \w+"
    r"|отправлено (?:с|со|из) .{0,40}"
    r"(?:iphone|ipad|android|телефона|смартфона|устройства|samsung|galaxy|почты|mail\.ru|яндекс)"
    r")\S*\.?$",
    re.IGNORECASE,
)
_SEPARATOR_LINE = re.compile(r"^[-_=*\s]*$")
# Attributions are short; the cap also keeps the patterns above linear on a
# megabyte-long line of converted HTML.
_ATTRIBUTION_MAX = 300


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_attribution(text: str) -> bool:
    text = " ".join(text.split())
    if len(text) > _ATTRIBUTION_MAX or not text.endswith(":"):
        return False
    return bool(_ON_WROTE.match(text) or _WRITES.match(text) or _TIME_AND_ADDRESS.match(text))


def _attribution_at(lines: list[str], index: int) -> int:
    """How many lines (1 or 2, Gmail wraps long ones) the attribution at `index` spans; 0 if none."""
    if _is_quoted(lines[index]) or _is_blank(lines[index]):
        return 0
    if _is_attribution(lines[index]):
        return 1
    following = index + 1
    if (
        following < len(lines)
        and not _is_quoted(lines[following])
        and not _is_blank(lines[following])
        # Otherwise the line above a one-line attribution would be taken with it.
        and not _is_attribution(lines[following])
        and _is_attribution(lines[index] + " " + lines[following])
    ):
        return 2
    return 0


def _is_outlook_header(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index].strip()):
        return False
    window = [line.strip() for line in lines[index + 1 : index + 1 + _HEADER_WINDOW]]
    return any(_HEADER_DATE.match(line) for line in window) and any(
        _HEADER_TO.match(line) for line in window
    )


def _inline_from(lines: list[str]) -> list[bool]:
    """For each index: does new text follow a quote somewhere from there on?

    That is an inline answer between the quotes, so its attribution and quotes
    stay. Computed backwards once to keep the whole scan linear.
    """
    inline = [False] * (len(lines) + 1)
    text_after = False
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        inline[index] = inline[index + 1] or (_is_quoted(line) and text_after)
        if not _is_quoted(line) and not _is_blank(line):
            text_after = True
    return inline


def _first_cut(lines: list[str]) -> int:
    """Index of the first line of history, signature or footer; len(lines) if none."""
    inline = _inline_from(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.rstrip() == "--" or _MOBILE_FOOTER.match(stripped):
            return index
        if _OUTLOOK_SEPARATOR.match(stripped) or _is_outlook_header(lines, index):
            return index
        span = _attribution_at(lines, index)
        if span and not inline[index + span]:
            return index
    return len(lines)


def _drop_trailing_quote(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and (_is_blank(lines[end - 1]) or _is_quoted(lines[end - 1])):
        end -= 1
    if end == len(lines):
        return lines
    for span in (1, 2):
        start = end - span
        if start >= 0 and _attribution_at(lines, start) == span:
            return lines[:start]
    return lines[:end]


def visible_reply(text: str) -> str:
    """The new part of a reply: quoted history and signature removed.

    Never returns "" if text has content: if stripping would leave nothing,
    return the original text stripped. A ">" quote followed by new text is an
    inline answer and stays.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _first_cut(lines)]
    lines = _drop_trailing_quote(lines)
    while lines and _SEPARATOR_LINE.match(lines[-1]):
        lines.pop()
    result = "\n".join(lines).strip()
    return result or text.strip()
