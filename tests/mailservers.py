"""Real mail servers on 127.0.0.1 for the email tests.

`ImapServer` runs a private Dovecot (scripts/imap-test-server.sh writes its
config) and manipulates mailboxes through stdlib `imaplib`, independent of the
`imapclient` code under test. `SmtpSink` is an aiosmtpd receiver that keeps
every message it accepts and can refuse mail or demand a login on request.
The pytest fixtures built on them live in tests/channels/conftest.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import imap_utf7

HOST = "127.0.0.1"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "imap-test-server.sh"
START_TIMEOUT = 10.0
IMAP_TIMEOUT = 5.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# IMAP ---------------------------------------------------------------------------


class DovecotNotInstalledError(RuntimeError):
    pass


class ImapError(RuntimeError):
    pass


def dovecot_binary() -> str | None:
    """Path of the dovecot binary; /usr/sbin is often missing from a user's PATH."""
    return shutil.which("dovecot", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def _quote(name: str) -> str:
    """A folder name as an IMAP quoted string in modified UTF-7 (Cyrillic names work)."""
    encoded = imap_utf7.encode(name).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = result
    if typ != "OK":
        raise ImapError(f"{what}: {typ} {data!r}")
    return data


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


class ImapServer:
    """A private Dovecot on 127.0.0.1, started for the test session.

    The users (see scripts/imap-test-server.sh) all exist from the start; their
    mail lives in maildirs under `directory`/mail/<address>, which is what
    `reset` and `recreate_folder` manipulate directly to stay fast. Run as
    root, Dovecot keeps the mail as `nobody`; otherwise everything runs as the
    current user.
    """

    host = HOST

    def __init__(self, directory: Path | None = None, port: int | None = None) -> None:
        self._own_directory = directory is None
        # As root the mail is kept by `nobody`, which must be able to reach it: a
        # TMPDIR under /root would not do.
        parent = "/tmp" if os.geteuid() == 0 else None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="opora-imap-", dir=parent))
        self.port = port or free_port()
        self.users: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ImapServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"imap://{self.host}:{self.port}"

    def start(self) -> None:
        """Start Dovecot and return once it greets clients (about 0.1 s)."""
        binary = dovecot_binary()
        if binary is None:
            raise DovecotNotInstalledError(
                "Dovecot is not installed: run scripts/system-deps.sh "
                "(Debian package dovecot-imapd) to run the IMAP tests"
            )
        env = {
            **os.environ,
            "PATH": os.pathsep.join([os.environ.get("PATH", ""), str(Path(binary).parent)]),
            "OPORA_IMAP_DIR": str(self.directory),
            "OPORA_IMAP_PORT": str(self.port),
        }
        command = [str(SCRIPT), "run"]
        if shutil.which("setpriv"):
            # Dovecot goes down with this process even if it is killed outright.
            command = ["setpriv", "--pdeathsig", "TERM", "--", *command]
        with open(self.directory / "stderr.log", "wb") as stderr:
            # Its own process group, so that stop() signals every Dovecot process at
            # once: signalled alone, the master waits a second for its log process.
            self._process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        self._wait_until_ready()
        self.users = self._read_users()

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        output = self.log()
        self.stop()
        raise RuntimeError(f"Dovecot did not start on {self.url}:\n{output}")

    def _read_users(self) -> dict[str, str]:
        users = {}
        for line in (self.directory / "users").read_text().splitlines():
            address, password = line.split(":")[:2]
            users[address] = password.removeprefix("{PLAIN}")
        return users

    def stop(self) -> None:
        """Stop Dovecot (it takes its child processes along) and remove its directory."""
        if self._process is not None:
            # The master is not reaped until wait(), so its pid still names our group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            self._process = None
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        """What Dovecot and its start script wrote: the place to look when a test fails."""
        parts = []
        for name in ("stderr.log", "dovecot.log"):
            path = self.directory / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    # Mailboxes ------------------------------------------------------------------

    def mailbox(self, user: str) -> ImapMailbox:
        self._check_user(user)
        return ImapMailbox(server=self, username=user)

    @contextlib.contextmanager
    def connect(self, user: str) -> Iterator[imaplib.IMAP4]:
        """An imaplib connection, logged in as `user`."""
        client = imaplib.IMAP4(self.host, self.port, timeout=IMAP_TIMEOUT)
        try:
            _check(client.login(user, self.users[user]), "LOGIN")
            yield client
        finally:
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):
                client.shutdown()

    def append(
        self,
        user: str,
        raw: bytes,
        folder: str = "INBOX",
        flags: Sequence[str] = (),
        *,
        internal_date: dt.datetime | None = None,
    ) -> int:
        """Store a message (creating the folder if needed) and return its UID.

        `internal_date` must be aware; by default the server uses the current time.
        """
        flag_list = "(" + " ".join(flags) + ")" if flags else None
        date = imaplib.Time2Internaldate(internal_date) if internal_date is not None else None
        with self.connect(user) as client:
            typ, data = client.append(_quote(folder), flag_list, date, raw)
            if typ != "OK" and b"[TRYCREATE]" in b" ".join(data):
                _check(client.create(_quote(folder)), "CREATE")
                typ, data = client.append(_quote(folder), flag_list, date, raw)
            _check((typ, data), "APPEND")
        match = _APPENDUID.search(b" ".join(data))
        if match is None:
            raise ImapError(f"APPEND answered without APPENDUID: {data!r}")
        return int(match.group(2))

    def create_folder(self, user: str, folder: str) -> None:
        with self.connect(user) as client:
            _check(client.create(_quote(folder)), "CREATE")

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        """UIDs in the folder, ascending; read-only, so no flag changes."""
        with self.connect(user) as client:
            _check(client.select(_quote(folder), readonly=True), "EXAMINE")
            data = _check(client.uid("SEARCH", "ALL"), "UID SEARCH")
        return sorted(int(uid) for uid in data[0].split())

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.connect(user) as client:
            data = _check(client.status(_quote(folder), "(UIDVALIDITY)"), "STATUS")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0])
        assert match is not None, data
        return int(match.group(1))

    def flags(self, user: str, uid: int, folder: str = "INBOX") -> set[str]:
        """The message's flags, e.g. {"\\Seen"}; the per-session \\Recent is left out."""
        with self.connect(user) as client:
            _check(client.select(_quote(folder), readonly=True), "EXAMINE")
            data = _check(client.uid("FETCH", str(uid), "(FLAGS)"), "UID FETCH")
        if not data or data[0] is None:
            raise KeyError(f"no message with UID {uid} in {folder}")
        match = re.search(rb"FLAGS \(([^)]*)\)", data[0])
        assert match is not None, data
        return {flag for flag in match.group(1).decode().split() if flag != "\\Recent"}

    def folders(self, user: str) -> list[str]:
        """All folder names, decoded, sorted ("INBOX" included)."""
        with self.connect(user) as client:
            data = _check(client.list(), "LIST")
        names = []
        for item in data:
            if isinstance(item, tuple):  # the name came as a literal
                names.append(item[1])
                continue
            match = _LIST_LINE.match(item)
            assert match is not None, item
            name = match.group("name")
            if name.startswith(b'"'):
                name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
            names.append(name)
        return sorted(imap_utf7.decode(name) for name in names)

    def reset(self, user: str) -> None:
        """Delete all the user's mail and folders: the next login finds an empty INBOX."""
        shutil.rmtree(self._home(user), ignore_errors=True)

    def recreate_folder(
        self, user: str, folder: str = "INBOX", *, keep_messages: bool = True
    ) -> int:
        """Give the folder a new UIDVALIDITY and return it.

        With `keep_messages` the folder looks as after a server migration: the
        same messages (and flags) renumbered from UID 1. Without it the folder
        is empty, as if deleted and created again. Done on the maildir, which
        also works for INBOX (IMAP cannot delete INBOX): Dovecot rebuilds its
        indexes and takes the next value from its UIDVALIDITY counter.
        """
        before = self.uidvalidity(user, folder)
        maildir = self._home(user) / "Maildir"
        path = (
            maildir
            if folder.upper() == "INBOX"
            else maildir / ("." + imap_utf7.encode(folder).decode())
        )
        for file in [
            *path.glob("dovecot-uidlist"),
            *path.glob("dovecot.index*"),
            *maildir.glob("dovecot.list.index*"),
        ]:
            file.unlink()
        if not keep_messages:
            for file in [*path.glob("cur/*"), *path.glob("new/*"), *path.glob("tmp/*")]:
                file.unlink()
        after = self.uidvalidity(user, folder)
        if after == before:
            raise ImapError(f"UIDVALIDITY of {folder} stayed {before}")
        return after

    def _home(self, user: str) -> Path:
        self._check_user(user)
        return self.directory / "mail" / user

    def _check_user(self, user: str) -> None:
        if user not in self.users:
            raise KeyError(f"{user} is not a test IMAP user; there are {sorted(self.users)}")


@dataclass(frozen=True)
class ImapMailbox:
    """One user's mailbox on the test server: what a Mailbox row would point at."""

    server: ImapServer
    username: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def password(self) -> str:
        return self.server.users[self.username]

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: Sequence[str] = (),
        *,
        internal_date: dt.datetime | None = None,
    ) -> int:
        return self.server.append(self.username, raw, folder, flags, internal_date=internal_date)

    def create_folder(self, folder: str) -> None:
        self.server.create_folder(self.username, folder)

    def uids(self, folder: str = "INBOX") -> list[int]:
        return self.server.uids(self.username, folder)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.uidvalidity(self.username, folder)

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        return self.server.flags(self.username, uid, folder)

    def folders(self) -> list[str]:
        return self.server.folders(self.username)

    def recreate_folder(self, folder: str = "INBOX", *, keep_messages: bool = True) -> int:
        return self.server.recreate_folder(self.username, folder, keep_messages=keep_messages)

    def reset(self) -> None:
        self.server.reset(self.username)


# SMTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps what it receives.

        with SmtpSink() as sink:
            ...send...
            [received] = sink.wait_for(1)

    `reject()` makes it refuse messages (a temporary 451 by default) so retries
    can be tested; `auth=(user, password)` demands AUTH PLAIN/LOGIN before MAIL
    (over plain text: this is a test server).
    """

    host = HOST

    def __init__(self, *, auth: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.auth = auth
        self._received: list[ReceivedMessage] = []
        self._rejected = 0
        self._reject_left: int | None = 0  # None: every message
        self._reject_reply = ""
        self._reject_at = "data"
        self._condition = threading.Condition()
        kwargs: dict[str, Any] = {}
        if auth is not None:
            # auth_required=True would also warn about plain-text AUTH on every
            # connection; handle_MAIL enforces the login instead.
            kwargs = {"auth_require_tls": False, "authenticator": self._authenticate}
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, ready_timeout=5.0, **kwargs
        )

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[ReceivedMessage]:
        with self._condition:
            return list(self._received)

    @property
    def rejected(self) -> int:
        """How many messages were refused so far."""
        with self._condition:
            return self._rejected

    def clear(self) -> None:
        """Forget received messages and go back to accepting everything."""
        with self._condition:
            self._received.clear()
            self._rejected = 0
            self._reject_left = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least `count` messages arrived; return them all."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(
                    f"expected {count} message(s) within {timeout} s, got {len(self._received)}"
                )
            return list(self._received)

    def reject(
        self,
        count: int | None = None,
        *,
        reply: str = "451 4.3.0 Temporary failure, try again later",
        at: Literal["rcpt", "data"] = "data",
    ) -> None:
        """Refuse the next `count` messages (all of them when None) with `reply`.

        At "data" the client gets SMTPDataError from smtplib, at "rcpt" every
        recipient is refused (SMTPRecipientsRefused). `accept()` ends it.
        """
        with self._condition:
            self._reject_left = count
            self._reject_reply = reply
            self._reject_at = at

    def accept(self) -> None:
        with self._condition:
            self._reject_left = 0

    # Called from the aiosmtpd thread.

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.auth is not None
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self.auth
        )
        # handled=False: aiosmtpd itself answers 535 to a failed login.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _claim_rejection(self) -> tuple[str, str] | None:
        with self._condition:
            if self._reject_left == 0:
                return None
            if self._reject_left is not None:
                self._reject_left -= 1
            self._rejected += 1
            return self._reject_at, self._reject_reply

    def _store(self, envelope: Envelope) -> None:
        raw = cast(bytes, envelope.original_content or envelope.content)
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
        received = ReceivedMessage(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message=message,
        )
        with self._condition:
            self._received.append(received)
            self._condition.notify_all()


class _Handler:
    """aiosmtpd hooks; the decision to refuse is taken once per message, at MAIL."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.sink.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        envelope.opora_rejection = self.sink._claim_rejection()  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        rejection = getattr(envelope, "opora_rejection", None)
        if rejection and rejection[0] == "rcpt":
            return str(rejection[1])
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rejection = getattr(envelope, "opora_rejection", None)
        if rejection and rejection[0] == "data":
            return str(rejection[1])
        self.sink._store(envelope)
        return "250 Message accepted for delivery"
