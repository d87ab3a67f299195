from __future__ import annotations

import logging

import pytest

from opora.core.logging import RedactSecretsFilter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("login failed password=hunter2 for admin", "hunter2"),
        ("calling API with token: opr_abcdefghijklmnop", "abcdefghijklmnop"),
        ("Authorization: Bearer-xyz", "Bearer-xyz"),
        (
            "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 failed",
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
        ),
    ],
)
def test_secrets_are_masked(text: str, secret: str) -> None:
    cleaned = redact(text)

    assert secret not in cleaned
    assert "[redacted]" in cleaned


def test_ordinary_text_is_untouched() -> None:
    assert redact("ticket OP-10234 assigned to Иван") == "ticket OP-10234 assigned to Иван"


def test_the_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "smtp password=%s", ("s3cret",), None
    )

    RedactSecretsFilter().filter(record)

    assert "s3cret" not in record.getMessage()
