"""Inbound email bytes → `ParsedEmail`: headers, text, sanitised HTML, attachments, auto-reply flags.

Pure: no Django, no network. Real support mail is often broken (undeclared
8-bit Russian text, unknown charsets, unterminated multiparts, bad base64), so
everything survivable is parsed anyway and noted in `ParsedEmail.problems`;
only bytes with no header at all raise `EmailParseError`.

The message tree comes from the stdlib parser with `email.policy.default`;
where that policy's header parser raises on a malformed header, the same raw
header is read again the compat32 way. Unstructured header text (subjects,
display names, file names) is decoded here rather than by either policy: the
stdlib decodes each encoded-word on its own, which garbles a UTF-8 character
split across two words (Outlook does that), and has no fallback for Russian
8-bit text sent without a charset.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import datetime
import email.utils
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import errors, policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from io import BytesIO
from typing import Any, TypeAlias
from urllib.parse import unquote

from opora.channels.mail.html import html_to_text, sanitize_html

__all__ = ["EmailParseError", "ParsedAttachment", "ParsedEmail", "parse_email"]

_Part: TypeAlias = "Message[Any, Any]"


class EmailParseError(Exception):
    """The bytes are not a usable email (no headers at all, empty, etc.)."""


@dataclass(frozen=True)
class ParsedAttachment:
    """A file carried by the message, or an image its HTML shows inline."""

    filename: str
    content_type: str
    data: bytes
    content_id: str
    is_inline: bool


@dataclass(frozen=True)
class ParsedEmail:
    """Everything Opora needs from one inbound message, decoded and made safe to show."""

    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_name: str
    from_address: str
    reply_to: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime.datetime | None
    text: str
    html: str
    attachments: tuple[ParsedAttachment, ...]
    auto_reason: str
    bounced_message_ids: tuple[str, ...]
    from_opora: bool
    problems: tuple[str, ...]


# Deeper nesting than this is an attack or a mail loop of forwards.
_MAX_DEPTH = 40
_MAX_NAME = 200


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one message as fetched over IMAP (RFC 5322 bytes).

    Raises EmailParseError only when there is nothing to work with: empty
    input or no header at all. Any other damage is survived and listed in
    `problems`.
    """
    # A message saved with blank lines in front parses as all body.
    raw = bytes(raw).lstrip(b"\r\n")
    if not raw.strip():
        raise EmailParseError("empty message")
    try:
        return _parse(raw)
    except EmailParseError:
        raise
    except RecursionError:
        raise EmailParseError("MIME structure nested too deeply") from None
    except Exception as exc:
        # A bug rather than bad input, but the inbound loop must still be able
        # to set the message aside. The chained cause tells the log (and the
        # fuzz tests) a crash from a refusal.
        raise EmailParseError(f"unexpected parser failure: {exc!r}") from exc


# -- problems ----------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self._items: dict[str, None] = {}

    def add(self, text: str) -> None:
        self._items.setdefault(text, None)

    def all(self) -> tuple[str, ...]:
        return tuple(self._items)


_DEFECTS: dict[type[errors.MessageDefect], str] = {
    errors.CloseBoundaryNotFoundDefect: "closing MIME boundary missing",
    errors.StartBoundaryNotFoundDefect: "MIME boundary never found, body read as one part",
    errors.NoBoundaryInMultipartDefect: "multipart without a boundary, read as plain text",
    errors.MultipartInvariantViolationDefect: "multipart without parts",
    errors.FirstHeaderLineIsContinuationDefect: "first header line is a continuation",
    errors.MisplacedEnvelopeHeaderDefect: "envelope 'From ' line among the headers",
    errors.MissingHeaderBodySeparatorDefect: "no blank line between headers and body",
    errors.InvalidMultipartContentTransferEncodingDefect: (
        "multipart with a Content-Transfer-Encoding other than 7bit/8bit/binary"
    ),
    errors.InvalidBase64PaddingDefect: "bad base64 padding",
    errors.InvalidBase64CharactersDefect: "invalid characters in base64",
    errors.InvalidBase64LengthDefect: "truncated base64 data",
}


def _defect_text(defect: errors.MessageDefect) -> str:
    for kind, text in _DEFECTS.items():
        if isinstance(defect, kind):
            return text
    name = type(defect).__name__.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


# -- charsets ----------------------------------------------------------------------

_ALIASES = {
    "win-1251": "cp1251",
    "cp-1251": "cp1251",
    "x-cp1251": "cp1251",
    "windows1251": "cp1251",
    "win1251": "cp1251",
    # Mailers label Windows-1252 text as Latin-1; 1252 is a superset of it.
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "ascii",
    "gb2312": "gb18030",
}
# Real codecs that are not charsets anyone sends text in: decoding with them
# would interpret escape sequences from the message.
_REFUSED_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode"})
_DISPLAY_NAMES = {"cp1251": "windows-1251", "koi8-r": "koi8-r", "utf-8": "utf-8"}


def _codec(charset: str) -> str | None:
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        found = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None
    return None if found in _REFUSED_CODECS else found


def _lowercase_share(text: str) -> float:
    letters = [c for c in text if "\u0400" <= c <= "\u04ff"]
    if not letters:
        return 0.0
    return sum(c.islower() for c in letters) / len(letters)


def _guess(data: bytes) -> tuple[str, str]:
    """Text and charset name for 8-bit bytes of unknown charset: UTF-8, else Russian 8-bit."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    windows = data.decode("cp1251", "replace")
    koi = data.decode("koi8_r", "replace")
    # Russian prose is mostly lower case; read with the wrong one of these two
    # tables it comes out mostly capitals.
    if _lowercase_share(koi) > _lowercase_share(windows):
        return koi, "koi8-r"
    return windows, "windows-1251"


def _decode_bytes(data: bytes, charset: str | None, where: str, problems: _Problems) -> str:
    declared = (charset or "").strip()
    codec = _codec(declared) if declared else None
    if data.isascii() and codec in (None, "ascii"):
        return data.decode("ascii")
    if codec and codec != "ascii":
        try:
            return data.decode(codec)
        except LookupError:
            codec = None
        except UnicodeError:
            text, used = _guess(data)
            if used == codec or _DISPLAY_NAMES.get(codec) == used:
                text, used = data.decode(codec, "replace"), codec
            problems.add(f"{where}: not valid {declared}, decoded as {used}")
            return text
    text, used = _guess(data)
    if not declared:
        problems.add(f"{where}: undeclared charset, decoded as {used}")
    elif codec == "ascii":
        problems.add(f"{where}: declared {declared} but has 8-bit bytes, decoded as {used}")
    else:
        problems.add(f"{where}: unknown charset {declared!r}, decoded as {used}")
    return text


def _to_bytes(text: str) -> bytes:
    # The parser keeps undecodable header bytes as lone surrogates; this gets
    # them back (and encodes any real non-ASCII text as UTF-8).
    return text.encode("utf-8", "surrogateescape")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _word_bytes(encoding: str, encoded: str) -> bytes | None:
    try:
        if encoding in "bB":
            cleaned = re.sub(r"[^A-Za-z0-9+/]", "", encoded)
            return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
        return binascii.a2b_qp(encoded.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


def _plain(text: str, where: str, problems: _Problems) -> str:
    # Text the parser already decoded stays as it is; lone surrogates are raw
    # 8-bit bytes that arrived without a charset.
    if not _has_surrogates(text):
        return text
    return _decode_bytes(_to_bytes(text), None, where, problems)


def _decode_words(raw: str, where: str, problems: _Problems) -> str:
    """Decode RFC 2047 encoded-words and raw 8-bit bytes in unstructured header text."""
    # Adjacent words in one charset are joined before decoding because a
    # character may be split across them; whitespace between words is not
    # text (RFC 2047 6.2).
    pieces: list[tuple[str | None, bytes | str]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        gap = raw[position : match.start()]
        position = match.end()
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            problems.add(f"{where}: undecodable encoded-word kept as is")
            pieces.append((None, gap + match.group(0)))
            continue
        charset = match.group(1).split("*", 1)[0]
        previous = pieces[-1] if pieces else None
        previous_is_word = previous is not None and previous[0] is not None
        if gap and not (gap.isspace() and previous_is_word):
            pieces.append((None, gap))
            previous = None
        if (
            previous is not None
            and previous[0] is not None
            and previous[0].lower() == charset.lower()
            and isinstance(previous[1], bytes)
        ):
            pieces[-1] = (charset, previous[1] + data)
        else:
            pieces.append((charset, data))
    pieces.append((None, raw[position:]))
    text = "".join(
        _plain(data, where, problems)
        if isinstance(data, str)
        else _decode_bytes(data, charset, where, problems)
        for charset, data in pieces
    )
    return _CONTROL.sub("", text)


# -- headers -----------------------------------------------------------------------

_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _raw_all(part: _Part, name: str) -> list[str]:
    wanted = name.lower()
    return [
        _FOLD.sub("", str(value)).replace("\r", "").replace("\n", "")
        for key, value in part.raw_items()
        if key.lower() == wanted
    ]


def _raw(part: _Part, name: str) -> str | None:
    values = _raw_all(part, name)
    return values[0] if values else None


def _compat(part: _Part) -> _Part:
    """The part's headers read the compat32 way, for when policy.default raises on one."""
    view: _Part = Message(policy=policy.compat32)
    for name, value in part.raw_items():
        view[name] = str(value)
    return view


def _content_type(part: _Part) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return _compat(part).get_content_type()


_ParamValue: TypeAlias = "str | tuple[str | None, str | None, str] | None"


def _raw_param(part: _Part, name: str, header: str = "content-type") -> _ParamValue:
    """A header parameter, read by policy.default, else compat32, else None."""
    with contextlib.suppress(Exception):
        return part.get_param(name, None, header=header)
    with contextlib.suppress(Exception):
        return _compat(part).get_param(name, None, header=header)
    return None


def _param(part: _Part, name: str, header: str = "content-type") -> str:
    value = _raw_param(part, name, header)
    if isinstance(value, tuple):
        try:
            value = email.utils.collapse_rfc2231_value(value)
        except (ValueError, TypeError, UnicodeError):
            value = value[2]
    return str(value or "").strip()


def _charset(part: _Part) -> str | None:
    return _param(part, "charset").lower() or None


def _disposition(part: _Part) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return _compat(part).get_content_disposition()


_ID = re.compile(r"<([^<>\s]+)>")


def _message_ids(values: Iterable[str]) -> list[str]:
    found: dict[str, None] = {}
    for value in values:
        ids = _ID.findall(value) or [t.strip("<>") for t in value.split() if "@" in t]
        for message_id in ids:
            if message_id.isascii() and message_id.isprintable():
                found.setdefault(message_id, None)
    return list(found)


def _address(addr_spec: str) -> str:
    try:
        address = _to_bytes(addr_spec).decode("utf-8").strip().lower()
    except UnicodeDecodeError:
        return ""
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or any(c.isspace() or not c.isprintable() for c in address):
        return ""
    return address


def _addresses(part: _Part, name: str, problems: _Problems) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header; bad entries dropped."""
    pairs: list[tuple[str, str]] = []
    for raw in _raw_all(part, name):
        # Display names come from the raw header: policy.default decodes each
        # encoded-word alone and has no fallback for 8-bit names.
        raw_names = {address.lower(): n for n, address in email.utils.getaddresses([raw])}
        try:
            header = policy.default.header_factory(name, raw)
            found = [(a.display_name, a.addr_spec) for a in header.addresses]
        except Exception:
            problems.add(f"{name}: malformed header, read leniently")
            found = email.utils.getaddresses([raw])
        for display_name, addr_spec in found:
            address = _address(addr_spec)
            if address:
                decoded = _decode_words(
                    raw_names.get(addr_spec.lower(), display_name), name, problems
                )
                pairs.append((_collapse(decoded), address))
    return pairs


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _date(part: _Part, problems: _Problems) -> datetime.datetime | None:
    raw = _raw(part, "date")
    if raw is None:
        return None
    try:
        value = email.utils.parsedate_to_datetime(raw.strip())
    except (ValueError, TypeError, IndexError, OverflowError):
        problems.add(f"Date: unparseable value {raw.strip()[:60]!r}")
        return None
    # "-0000" means UTC with the sender's zone unknown (RFC 5322 3.3).
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


# -- body --------------------------------------------------------------------------


@dataclass
class _Attachment:
    filename: str | None
    content_type: str
    data: bytes
    content_id: str
    default_extension: str = ""


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[_Attachment] = field(default_factory=list)
    enclosed_ids: list[str] = field(default_factory=list)  # of attached messages and headers
    delivery_report: bool = False

    def absorb(self, other: _Body) -> None:
        self.attachments.extend(other.attachments)
        self.enclosed_ids.extend(other.enclosed_ids)
        self.delivery_report = self.delivery_report or other.delivery_report


_KNOWN_CTE = frozenset(
    {
        "7bit",
        "8bit",
        "binary",
        "base64",
        "quoted-printable",
        "x-uuencode",
        "uuencode",
        "x-uue",
        "uue",
    }
)


def _payload(part: _Part, problems: _Problems) -> bytes:
    cte = (_raw(part, "content-transfer-encoding") or "").strip().lower()
    if cte and cte not in _KNOWN_CTE:
        problems.add(f"unknown Content-Transfer-Encoding {cte[:40]!r}, content taken as is")
    try:
        data = part.get_payload(decode=True)
    except Exception:
        problems.add(f"undecodable {cte or '7bit'} content, dropped")
        data = b""
    return data if isinstance(data, bytes) else b""


def _unflow(text: str, delsp: bool) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    out: list[str] = []
    current: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content.removeprefix(" ")
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if current is not None and current[0] == depth:
            current = (depth, current[1] + content)
        else:
            if current is not None:
                out.append(_quote(*current))
            current = (depth, content)
        if not flowed:
            out.append(_quote(*current))
            current = None
    if current is not None:
        out.append(_quote(*current))
    return "\n".join(out)


def _quote(depth: int, text: str) -> str:
    return ">" * depth + " " + text if depth else text


def _text_of(part: _Part, where: str, problems: _Problems) -> str:
    text = _decode_bytes(_payload(part, problems), _charset(part), where, problems)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = text.removeprefix("\ufeff")
    if _param(part, "format").lower() == "flowed":
        text = _unflow(text, _param(part, "delsp").lower() == "yes")
    return text


def _filename(part: _Part, problems: _Problems) -> str | None:
    name: str | None
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None or "\ufffd" in name or _has_surrogates(name):
        # policy.default raised, or gave up on a charset: read the parameter
        # the compat32 way and decode its bytes with the usual fallbacks.
        value = _raw_param(_compat(part), "filename", "content-disposition")
        if value is None:
            value = _raw_param(_compat(part), "name")
        if isinstance(value, tuple):
            charset, _language, text = value
            data = _latin1_bytes(str(text))
            name = _decode_bytes(data, str(charset or "") or None, "attachment name", problems)
        elif value is not None:
            name = email.utils.unquote(str(value))
    if name is None:
        return None
    return _safe_name(_decode_words(name, "attachment name", problems)) or None


def _latin1_bytes(text: str) -> bytes:
    """The bytes behind an RFC 2231 value that compat32 unquoted as Latin-1."""
    try:
        return text.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        # Raw non-Latin-1 text next to the %-escapes: keep it as UTF-8.
        return b"".join(
            c.encode("latin-1", "surrogateescape")
            if ord(c) < 256 or _has_surrogates(c)
            else c.encode("utf-8")
            for c in text
        )


def _safe_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters include U+202E, which makes "fdp.exe"
    # display as "exe.pdf".
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))
    name = _collapse(name).strip(". ")
    if len(name) > _MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: _MAX_NAME - len(extension) - 1] + "." + extension
        else:
            name = name[:_MAX_NAME]
    return name


def _content_id(part: _Part) -> str:
    raw = (_raw(part, "content-id") or "").strip()
    match = _ID.search(raw)
    value = match.group(1) if match else raw.strip("<> ")
    return value if value.isascii() and value.isprintable() else ""


_HEADER_MESSAGE_ID = re.compile(r"^message-id:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)


def _serialize(message: _Part) -> bytes:
    buffer = BytesIO()
    try:
        # compat32 writes the headers back as they came instead of refolding them.
        generator = BytesGenerator(
            buffer, mangle_from_=False, policy=policy.compat32.clone(max_line_length=None)
        )
        generator.flatten(message)
    except Exception:
        try:
            return message.as_bytes()
        except Exception:
            return b""
    return buffer.getvalue()


def _walk(part: _Part, body: _Body, problems: _Problems, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        problems.add(f"MIME structure deeper than {_MAX_DEPTH} levels, the rest skipped")
        return
    content_type = _content_type(part)
    if content_type == "multipart/report" and (
        _param(part, "report-type").lower() == "delivery-status"
    ):
        body.delivery_report = True
    # Only a multipart's payload is read undecoded: for a leaf, get_payload()
    # decodes 8-bit text with the declared charset and can raise on it.
    payload = part.get_payload() if part.is_multipart() else None
    if isinstance(payload, list):
        children = [child for child in payload if isinstance(child, Message)]
        if content_type.startswith("multipart/"):
            if content_type == "multipart/alternative":
                _walk_alternative(children, body, problems, depth)
            else:
                for child in children:
                    _walk(child, body, problems, depth + 1)
            return
        if content_type in ("message/rfc822", "message/global") and children:
            _walk_enclosed(part, children[0], body, problems)
            return
        body.attachments.append(
            _Attachment(
                filename=_filename(part, problems),
                content_type=content_type,
                data=b"\n".join(_serialize(child) for child in children),
                content_id=_content_id(part),
                default_extension=".txt",
            )
        )
        return
    _walk_leaf(part, content_type, body, problems)


def _walk_alternative(children: list[_Part], body: _Body, problems: _Problems, depth: int) -> None:
    # Each alternative is the same letter again: take the plain text from the
    # first that has it and the HTML from the last (the richest, RFC 2046).
    versions = []
    for child in children:
        version = _Body()
        _walk(child, version, problems, depth + 1)
        versions.append(version)
        body.absorb(version)
    plain = next((v.plain for v in versions if v.plain), [])
    html = next((v.html for v in reversed(versions) if v.html), [])
    body.plain.extend(plain)
    body.html.extend(html)


def _walk_enclosed(part: _Part, enclosed: _Part, body: _Body, problems: _Problems) -> None:
    subject = _collapse(_decode_words(_raw(enclosed, "subject") or "", "Subject", problems))
    # A subject is not a path: "Договор 15/2026" must not lose its start.
    stem = _safe_name(subject.replace("/", "-").replace("\\", "-"))
    filename = stem + ".eml" if stem else None
    body.attachments.append(
        _Attachment(
            filename=filename or _filename(part, problems),
            content_type=_content_type(part),
            data=_serialize(enclosed),
            content_id=_content_id(part),
            default_extension=".eml",
        )
    )
    body.enclosed_ids.extend(_message_ids(_raw_all(enclosed, "message-id")))


def _walk_leaf(part: _Part, content_type: str, body: _Body, problems: _Problems) -> None:
    filename = _filename(part, problems)
    is_body_text = content_type in ("text/plain", "text/html") or (
        # A multipart that lost its boundary is still the letter's text.
        content_type.startswith("multipart/")
    )
    if is_body_text and _disposition(part) != "attachment" and not filename:
        text = _text_of(part, "body", problems)
        (body.html if content_type == "text/html" else body.plain).append(text)
        return
    data = _payload(part, problems)
    if content_type == "text/rfc822-headers":
        headers = _decode_bytes(data, _charset(part), "returned headers", problems)
        body.enclosed_ids.extend(_HEADER_MESSAGE_ID.findall(headers))
    body.attachments.append(
        _Attachment(
            filename=filename,
            content_type=content_type,
            data=data,
            content_id=_content_id(part),
        )
    )


_EXTENSIONS = {
    "application/octet-stream": ".bin",
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
}
# Only the built-in table: the system's /etc/mime.types differs between hosts.
_MIME_TYPES = mimetypes.MimeTypes()


def _invented_name(index: int, attachment: _Attachment) -> str:
    extension = (
        _EXTENSIONS.get(attachment.content_type)
        or _MIME_TYPES.guess_extension(attachment.content_type)
        or attachment.default_extension
        or ".bin"
    )
    return f"attachment-{index}{extension}"


_CID_REFERENCE = re.compile(r"""cid:([^\s"'<>)]+)""", re.IGNORECASE)


def _finish_attachments(body: _Body, html: str) -> tuple[ParsedAttachment, ...]:
    referenced = {unquote(cid).lower() for cid in _CID_REFERENCE.findall(html)}
    return tuple(
        ParsedAttachment(
            filename=attachment.filename or _invented_name(index, attachment),
            content_type=attachment.content_type,
            data=attachment.data,
            content_id=attachment.content_id,
            is_inline=bool(attachment.content_id)
            and attachment.content_type.startswith("image/")
            and attachment.content_id.lower() in referenced,
        )
        for index, attachment in enumerate(body.attachments, start=1)
    )


# -- automatic mail ----------------------------------------------------------------

_AUTO_REPLY_SUBJECT = re.compile(
    r"^(?:автоответ|auto:|automatic reply|auto-reply|autoreply|auto reply|out of (?:the )?office"
    r"|нет на месте|отсутствую|автоматический ответ)",
    re.IGNORECASE,
)
_AUTO_REPLY_LOOKING = re.compile(
    r"автоответ|автоматический ответ|auto[- ]?reply|automatic reply|out of (?:the )?office"
    r"|отпуск|vacation|нет на месте|отсутств",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|mail delivery (?:failed|failure|system)"
    r"|delivery fail|returned mail|failure notice|недостав|не доставлен|ошибка доставки"
    r"|не может быть доставлено|возвращ[её]нное (?:письмо|сообщение)",
    re.IGNORECASE,
)
_NEGATIVE = frozenset({"", "no", "false", "0"})


def _auto_reason(part: _Part, subject: str, from_address: str, delivery_report: bool) -> str:
    local_part = from_address.rpartition("@")[0]
    if delivery_report or (local_part in _BOUNCE_SENDERS and _BOUNCE_SUBJECT.search(subject)):
        return "bounce"

    def header(name: str) -> str | None:
        value = _raw(part, name)
        return None if value is None else value.strip().lower()

    auto_submitted = header("auto-submitted")
    precedence = (header("precedence") or "").split(";", 1)[0].strip()
    flagged = any(
        (header(name) or "") not in _NEGATIVE for name in ("x-autoreply", "x-autorespond")
    )
    suppress = header("x-auto-response-suppress") is not None
    if (
        (auto_submitted is not None and auto_submitted.split(";", 1)[0].strip() != "no")
        or flagged
        or precedence == "auto_reply"
        or _AUTO_REPLY_SUBJECT.match(subject)
        or (suppress and _AUTO_REPLY_LOOKING.search(subject))
    ):
        return "auto_reply"
    if (
        precedence in ("bulk", "junk", "list")
        or header("list-id") is not None
        or header("list-unsubscribe") is not None
    ):
        return "bulk"
    return ""


# -- the whole message -------------------------------------------------------------


def _read(raw: bytes, problems: _Problems) -> _Part:
    try:
        message: _Part = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        raise
    except Exception:
        problems.add("the modern parser failed on the headers, read in compat32 mode")
        message = BytesParser(policy=policy.compat32).parsebytes(raw)
    return message


def _parse(raw: bytes) -> ParsedEmail:
    problems = _Problems()
    message = _read(raw, problems)
    if not message.keys():
        raise EmailParseError("no headers")

    subject = _collapse(_decode_words(_raw(message, "subject") or "", "Subject", problems))
    senders = _addresses(message, "From", problems)
    if not senders:
        problems.add("From: missing or without a usable address")
    from_name, from_address = senders[0] if senders else ("", "")
    reply_to = _addresses(message, "Reply-To", problems)

    body = _Body()
    _walk(message, body, problems)
    raw_html = "\n".join(body.html)
    html = sanitize_html(raw_html).strip() if raw_html.strip() else ""
    plain = [part.rstrip() for part in body.plain if part.strip()]
    text = "\n\n".join(plain) if plain else html_to_text(raw_html)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip().lstrip("\n")

    for part in message.walk():
        for defect in part.defects:
            problems.add(_defect_text(defect))

    message_id = next(iter(_message_ids(_raw_all(message, "message-id"))), "")
    auto_reason = _auto_reason(message, subject, from_address, body.delivery_report)
    bounced: list[str] = []
    if auto_reason == "bounce":
        # Non-standard bounces (Mail.ru, old Exchange) paste the returned
        # headers into the text instead of attaching them.
        found = body.enclosed_ids or _HEADER_MESSAGE_ID.findall(text + "\n" + raw_html)
        bounced = [i for i in _message_ids(f"<{i}>" for i in found) if i != message_id]

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=tuple(_message_ids(_raw_all(message, "in-reply-to"))),
        references=tuple(_message_ids(_raw_all(message, "references"))),
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        reply_to=reply_to[0][1] if reply_to else "",
        to=tuple(dict.fromkeys(a for _n, a in _addresses(message, "To", problems))),
        cc=tuple(dict.fromkeys(a for _n, a in _addresses(message, "Cc", problems))),
        date=_date(message, problems),
        text=text,
        html=html,
        attachments=_finish_attachments(body, raw_html),
        auto_reason=auto_reason,
        bounced_message_ids=tuple(bounced),
        from_opora=_raw(message, "x-opora-loop") is not None,
        problems=problems.all(),
    )
