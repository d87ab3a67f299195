"""Logging filter that masks secrets before a record is written anywhere."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # password=..., token: ..., secret="..." in free text and query strings
    re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)(\S+)"),
    # personal API tokens
    re.compile(r"\b(opr_)([A-Za-z0-9_\-]{8,})"),
    # Telegram bot tokens: 123456789:AA...
    re.compile(r"\b(\d{6,12})(:)([A-Za-z0-9_\-]{30,})"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(
            lambda m: (
                m.group(1) + m.group(2) + "[redacted]"
                if m.lastindex and m.lastindex >= 3
                else m.group(1) + "[redacted]"
            ),
            text,
        )
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
