"""Real mail servers for the channel tests: Dovecot for IMAP, aiosmtpd for SMTP.

One Dovecot serves the whole session (starting it takes about 0.1 s); each test
gets the users' mailboxes emptied. Each test gets its own SMTP sink.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.mailservers import DovecotNotInstalledError, ImapMailbox, ImapServer, SmtpSink

IMAP_USER = "support@opora.test"


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """A private Dovecot on 127.0.0.1; see tests/mailservers.py for its users."""
    server = ImapServer()
    try:
        server.start()
    except DovecotNotInstalledError as error:
        server.stop()
        if os.environ.get("CI"):
            # CI installs Dovecot (scripts/system-deps.sh): a skip there would hide a broken setup.
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(imap_server: ImapServer) -> ImapMailbox:
    """support@opora.test's mailbox, empty; the other test users are emptied too."""
    for user in imap_server.users:
        imap_server.reset(user)
    return imap_server.mailbox(IMAP_USER)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def smtp_settings(settings: Any, smtp_sink: SmtpSink) -> SmtpSink:
    """Django sends real SMTP to the sink, without TLS or login; returns the sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_sink
