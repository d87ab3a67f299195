"""The fault test: the poller is killed (SIGKILL) mid-batch, restarted, and every message
on the server is exactly one recorded email and one ticket — nothing lost, nothing twice.

The poller runs as a real `opora mail_poll` process on its own SQLite file, against
the session's Dovecot; the test watches the database and kills the process once
some, but not all, messages are in.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.channels.helpers import raw_email
from tests.mailservers import ImapMailbox

MESSAGES = 150


def opora(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opora.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as connection:
        return int(connection.execute(sql).fetchone()[0])


def test_a_killed_poller_loses_and_duplicates_nothing(
    imap_mailbox: ImapMailbox, tmp_path: Path
) -> None:
    for n in range(MESSAGES):
        imap_mailbox.append(raw_email(subject=f"Сообщение {n}", sender=f"client{n}@romashka.ru"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPORA_", "DATABASE_URL"))}
    env.update({"OPORA_DATA_DIR": str(tmp_path), "EMAIL_URL": "dummymail://"})
    db = tmp_path / "opora.sqlite3"
    assert opora("migrate", "-v", "0", env=env).returncode == 0
    setup = (
        "from opora.channels.models import Mailbox; "
        f"m = Mailbox(name='Поддержка', address='{imap_mailbox.username}', "
        f"imap_host='{imap_mailbox.host}', imap_port={imap_mailbox.port}, imap_security='none', "
        f"imap_username='{imap_mailbox.username}', send_acknowledgement=False); "
        f"m.imap_password = '{imap_mailbox.password}'; m.save()"
    )
    created = opora("shell", "-c", setup, env=env)
    assert created.returncode == 0, created.stderr

    poller = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "opora.cli", "mail_poll"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    imported = 0
    while time.monotonic() < deadline and poller.poll() is None:
        try:
            imported = count(db, "SELECT COUNT(*) FROM channels_inboundemail")
        except sqlite3.OperationalError:
            imported = 0
        if imported >= 20:
            break
        time.sleep(0.02)
    os.killpg(poller.pid, signal.SIGKILL)
    poller.wait(timeout=30)
    killed_at = count(db, "SELECT COUNT(*) FROM channels_inboundemail")
    assert 0 < killed_at < MESSAGES, "the poller must die in the middle of the batch"
    # Whatever was committed is whole: each recorded email has its ticket.
    assert count(db, "SELECT COUNT(*) FROM tickets_ticket") == killed_at

    restarted = opora("mail_poll", "--break-lease", env=env)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr

    assert count(db, "SELECT COUNT(*) FROM channels_inboundemail") == MESSAGES
    assert count(db, "SELECT COUNT(*) FROM tickets_ticket") == MESSAGES
    assert count(db, "SELECT COUNT(DISTINCT subject) FROM tickets_ticket") == MESSAGES
    assert count(db, "SELECT COUNT(*) FROM channels_inboundemail WHERE status != 'imported'") == 0
    reconciled = opora("mail_reconcile", env=env)
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "missing 0" in reconciled.stdout
