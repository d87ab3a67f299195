"""Fetching mail over IMAP: by UID, never by the «unread» flag.

The mailbox keeps a cursor (UIDVALIDITY, last UID). A poll asks the server
for every UID above the cursor, skips (into quarantine) what is larger than
the mailbox's limit without downloading it, and imports the rest one message
per transaction, each moving the cursor. Messages are read with BODY.PEEK so
the flags people see in their mail client do not change unless the mailbox
is told to mark or move processed mail. One poller per mailbox at a time: a
lease taken by conditional UPDATE.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from opora.channels.mail.inbound import email_ingest, email_record_too_large
from opora.channels.models import InboundEmail, Mailbox, Security
from opora.channels.polling import PollResult, poll_finish, poll_lease

logger = logging.getLogger(__name__)

FETCH_CHUNK = 25
TIMEOUT_SECONDS = 30

# What a broken connection, a refused login or a missing folder raise.
MAIL_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError)


@contextmanager
def imap_connect(mailbox: Mailbox) -> Iterator[IMAPClient]:
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_security == Security.SSL,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        if mailbox.imap_security == Security.STARTTLS:
            client.starttls()
        client.login(mailbox.imap_username, mailbox.imap_password)
        yield client
    finally:
        try:
            client.logout()
        except MAIL_ERRORS:
            client.shutdown()


def _select(client: IMAPClient, mailbox: Mailbox) -> int:
    """Open the folder; return its UIDVALIDITY, resetting the cursor if it changed."""
    readonly = mailbox.after_import == Mailbox.AfterImport.KEEP
    info = client.select_folder(mailbox.imap_folder, readonly=readonly)
    uidvalidity = int(info[b"UIDVALIDITY"])
    if mailbox.uidvalidity != uidvalidity:
        # The server renumbered the folder: start again from its first message.
        # Already imported mail is recognised by Message-ID and not duplicated.
        if mailbox.uidvalidity is not None:
            logger.warning("mailbox %s: UIDVALIDITY changed, re-reading the folder", mailbox.pk)
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
    return uidvalidity


def _after_import(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    if not uids or mailbox.after_import == Mailbox.AfterImport.KEEP:
        return
    if mailbox.after_import == Mailbox.AfterImport.SEEN:
        client.add_flags(uids, [b"\\Seen"])
    elif mailbox.processed_folder:
        if not client.folder_exists(mailbox.processed_folder):
            client.create_folder(mailbox.processed_folder)
        client.move(uids, mailbox.processed_folder)


def mailbox_poll(mailbox: Mailbox, *, limit: int = 1000) -> PollResult:
    """Fetch and import what is new in the mailbox; errors are recorded on it, not raised."""
    result = PollResult()
    if not poll_lease(mailbox):
        result.busy = True
        return result
    try:
        with imap_connect(mailbox) as client:
            uidvalidity = _select(client, mailbox)
            last_uid = Mailbox.objects.values_list("last_uid", flat=True).get(pk=mailbox.pk)
            # «N:*» always matches the last message, even below N: filter again.
            uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
            uids = uids[:limit]
            sizes = {
                uid: int(data[b"RFC822.SIZE"])
                for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()
            }
            limit_bytes = mailbox.max_message_mb * 1024 * 1024
            for start in range(0, len(uids), FETCH_CHUNK):
                chunk = [u for u in uids[start : start + FETCH_CHUNK] if u in sizes]
                small = [u for u in chunk if sizes[u] <= limit_bytes]
                bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
                done = []
                for uid in chunk:
                    if uid not in small:
                        email_record_too_large(
                            mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, size=sizes[uid]
                        )
                        result.too_large += 1
                    elif uid in bodies:
                        row = email_ingest(
                            mailbox=mailbox,
                            uidvalidity=uidvalidity,
                            uid=uid,
                            raw=bytes(bodies[uid][b"BODY[]"]),
                        )
                        result.count(row.status)
                        if row.status != InboundEmail.Status.QUARANTINED:
                            done.append(uid)
                _after_import(client, mailbox, done)
    except MAIL_ERRORS as error:
        result.error = f"{type(error).__name__}: {error}"[:2000]
    finally:
        poll_finish(mailbox, result)
    return result


def fetch_one(mailbox: Mailbox, *, uidvalidity: int, uid: int) -> bytes | None:
    """One message's bytes from the server (a retry of a message too large to fetch)."""
    with imap_connect(mailbox) as client:
        info = client.select_folder(mailbox.imap_folder, readonly=True)
        if int(info[b"UIDVALIDITY"]) != uidvalidity:
            return None
        data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        return bytes(data[b"BODY[]"]) if data else None


@dataclass
class Reconciliation:
    """The folder on the server against what Opora recorded."""

    uidvalidity: int
    on_server: int
    recorded: dict[str, int]
    # On the server, at or below the cursor, never recorded: these would be lost mail.
    missing: list[int]
    # Above the cursor: the next poll fetches them.
    waiting: list[int]


def mailbox_reconcile(mailbox: Mailbox) -> Reconciliation:
    with imap_connect(mailbox) as client:
        info = client.select_folder(mailbox.imap_folder, readonly=True)
        uidvalidity = int(info[b"UIDVALIDITY"])
        server = set(client.search(["ALL"]))
    mailbox.refresh_from_db(fields=["uidvalidity", "last_uid"])
    cursor = mailbox.last_uid if mailbox.uidvalidity == uidvalidity else 0
    rows = InboundEmail.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity)
    recorded: dict[str, int] = {}
    recorded_uids = set()
    for uid, status in rows.values_list("uid", "status").iterator():
        if uid in server:
            recorded_uids.add(uid)
            recorded[status] = recorded.get(status, 0) + 1
    unrecorded = sorted(server - recorded_uids)
    return Reconciliation(
        uidvalidity=uidvalidity,
        on_server=len(server),
        recorded=recorded,
        missing=[u for u in unrecorded if u <= cursor],
        waiting=[u for u in unrecorded if u > cursor],
    )


def imap_check(mailbox: Mailbox) -> str:
    """Log in and open the folder; returns a summary, raises a MAIL_ERRORS error."""
    with imap_connect(mailbox) as client:
        info = client.select_folder(mailbox.imap_folder, readonly=True)
        return f"{int(info.get(b'EXISTS', 0))}"
