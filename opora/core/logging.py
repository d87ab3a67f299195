"""Logging filter that masks secrets before a record is written anywhere."""

from __future__ import annotations

import logging
import re

# Each pattern keeps its `keep` group (the label) and masks what follows.
_PATTERNS = [
    # password=..., token: ..., secret="..." in free text and query strings
    re.compile(
        r"(?i)(?P<keep>\b(?:password|passwd|secret|token|api[_-]?key|authorization)\s*[=:]\s*)\S+"
    ),
    # personal API tokens
    re.compile(r"(?P<keep>\bopr_)[A-Za-z0-9_\-]{8,}"),
    # Telegram bot tokens: 123456789:AA... (the bot id before the colon is public)
    re.compile(r"(?P<keep>\b\d{6,12}:)[A-Za-z0-9_\-]{30,}"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(r"\g<keep>[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
