"""A local stand-in for Telegram's Bot API, for tests: real HTTP on 127.0.0.1.

It keeps a queue of updates the test pushes (as if people wrote to the bot),
answers getUpdates the way Telegram does (asking with an offset confirms and
drops every update below it), serves the pushed files through getFile and the
file URL, records what the bot sends, and can be told to fail the next calls
(429, 403, 500…) or to go away entirely (`stop`).

    with BotApiStandin() as telegram:
        update_id = telegram.push_message(1001, "Не работает выгрузка")
        ...
        assert telegram.sent[0]["text"].startswith("Обращение")

For the demo it also runs on its own, on a fixed port with the demo bot's token
(README «Telegram in the demo»):

    python -m tests.telegram_standin serve             # prints what the bot sends
    python -m tests.telegram_standin say --user 1001 --name Иван "Не работает выгрузка"
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import django
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser

BOT_ID = 7000000001
BOT_USERNAME = "opora_test_bot"
MAX_TEXT = 4096


@dataclass
class _Fault:
    status: int
    description: str
    count: int
    retry_after: int | None


class BotApiStandin:
    """One bot's Bot API on a free loopback port; `base_url` and `token` configure the client."""

    def __init__(self, *, port: int = 0, token: str = "", echo: bool = False) -> None:
        self.token = token or f"{BOT_ID}:{secrets.token_urlsafe(26)[:35]}"
        # Print what the bot sends (the demo's terminal stands for the client's phone).
        self.echo = echo
        self.sent: list[dict[str, Any]] = []
        # answerCallbackQuery calls: {"id", "text"}.
        self.answered: list[dict[str, Any]] = []
        # Every call that reached a method, in order: (method, params).
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._updates: deque[dict[str, Any]] = deque()
        self._files: dict[str, tuple[str, bytes]] = {}
        self._faults: dict[str, _Fault] = {}
        self._next_update_id = 500_000_001
        self._next_message_id = 1
        self._next_callback_id = 9_000_000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.standin = self  # type: ignore[attr-defined]
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self._running = True

    def __enter__(self) -> BotApiStandin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut the server down: from now on every request is refused (the network is gone)."""
        if self._running:
            self._running = False
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    # --- What the test does ---------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue any update (an edit, a group message…); returns its update_id."""
        with self._lock:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, **update})
        return update_id

    def push_message(
        self,
        user_id: int,
        text: str = "",
        *,
        first_name: str = "Иван",
        last_name: str = "",
        username: str = "",
        photo: bytes | None = None,
        document: tuple[str, bytes] | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
        is_bot: bool = False,
        language_code: str = "ru",
    ) -> int:
        """Queue a message from a person (text, or a photo or document with `text` as caption)."""
        sender: dict[str, Any] = {
            "id": user_id,
            "is_bot": is_bot,
            "first_name": first_name,
            "language_code": language_code,
        }
        if last_name:
            sender["last_name"] = last_name
        if username:
            sender["username"] = username
        chat: dict[str, Any] = {"id": chat_id or user_id, "type": chat_type}
        if chat_type == "private":
            chat.update({k: v for k, v in sender.items() if k in ("first_name", "username")})
        else:
            chat["title"] = "Рабочая группа"
        with self._lock:
            message_id = self._next_message_id
            self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
        }
        if photo is not None:
            # Telegram offers several sizes of a photo, smallest first.
            thumb = self._add_file("photos", "thumb.jpg", photo[: max(1, len(photo) // 4)])
            full = self._add_file("photos", "photo.jpg", photo)
            message["photo"] = [
                {**thumb, "width": 90, "height": 60},
                {**full, "width": 1280, "height": 853},
            ]
        if document is not None:
            filename, data = document
            message["document"] = {
                **self._add_file("documents", filename, data),
                "file_name": filename,
                "mime_type": "application/octet-stream",
            }
        if text:
            message["caption" if photo is not None or document is not None else "text"] = text
        return self.push_update({"message": message})

    def press(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        first_name: str = "Иван",
        chat_id: int | None = None,
    ) -> int:
        """Queue a press of an inline button (a callback_query); returns its update_id.

        `message_id` is the message the keyboard hangs under: by default the
        latest one sent to the chat with a keyboard holding `data`.
        """
        chat = chat_id or user_id
        if message_id is None:
            with self._lock:
                for sent in reversed(self.sent):
                    buttons = (sent.get("reply_markup") or {}).get("inline_keyboard", [])
                    pressed = [b for row in buttons for b in row if b.get("callback_data") == data]
                    if sent["chat_id"] == chat and pressed:
                        message_id = sent["message_id"]
                        break
        sender = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}
        with self._lock:
            self._next_callback_id += 1
            callback_id = str(self._next_callback_id)
        return self.push_update(
            {
                "callback_query": {
                    "id": callback_id,
                    "from": sender,
                    "message": {
                        "message_id": message_id,
                        "chat": {"id": chat, "type": "private", "first_name": first_name},
                        "date": int(time.time()),
                    },
                    "chat_instance": str(chat),
                    "data": data,
                }
            }
        )

    def keyboard(self, chat_id: int) -> list[dict[str, Any]]:
        """The buttons of the latest message with a keyboard sent to the chat."""
        with self._lock:
            for sent in reversed(self.sent):
                markup = sent.get("reply_markup")
                if sent["chat_id"] == chat_id and markup:
                    return [b for row in markup.get("inline_keyboard", []) for b in row]
        return []

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        count: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        """The next `count` calls of `method` fail; "download" stands for file downloads."""
        with self._lock:
            self._faults[method] = _Fault(status, description, count, retry_after)

    @property
    def pending(self) -> list[int]:
        """update_ids not yet confirmed by an offset."""
        with self._lock:
            return [u["update_id"] for u in self._updates]

    # --- Serving ----------------------------------------------------------------------

    def _add_file(self, folder: str, name: str, data: bytes) -> dict[str, Any]:
        with self._lock:
            number = len(self._files) + 1
            file_id = f"file-{number}-{secrets.token_hex(4)}"
            path = f"{folder}/file_{number}.{name.rsplit('.', 1)[-1]}"
            self._files[file_id] = (path, data)
        return {"file_id": file_id, "file_unique_id": f"u{number}", "file_size": len(data)}

    def _fault(self, method: str) -> tuple[int, dict[str, Any]] | None:
        with self._lock:
            fault = self._faults.get(method)
            if fault is None:
                return None
            fault.count -= 1
            if fault.count <= 0:
                del self._faults[method]
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": fault.status,
            "description": fault.description,
        }
        if fault.retry_after is not None:
            answer["parameters"] = {"retry_after": fault.retry_after}
        return fault.status, answer

    def handle(
        self, path: str, content_type: str, body: bytes
    ) -> tuple[int, dict[str, Any] | bytes]:
        """One HTTP request: (status, JSON answer or file bytes)."""
        url = urllib.parse.urlsplit(path)
        route = urllib.parse.unquote(url.path)
        if route == "/standin/say":
            # The demo's «a person writes to the bot»: JSON {user_id, text, first_name}.
            said = json.loads(body or b"{}")
            update_id = self.push_message(
                int(said["user_id"]), str(said["text"]), first_name=said.get("first_name", "Иван")
            )
            return 200, _ok({"update_id": update_id})
        if route.startswith("/file/bot"):
            token, _, file_path = route.removeprefix("/file/bot").partition("/")
            if token != self.token:
                return 401, _error(401, "Unauthorized")
            fault = self._fault("download")
            if fault is not None:
                return fault
            for stored_path, data in list(self._files.values()):
                if stored_path == file_path:
                    return 200, data
            return 404, _error(404, "Not Found: file not found")
        token, _, method = route.removeprefix("/bot").partition("/")
        if not route.startswith("/bot") or token != self.token:
            return 401, _error(401, "Unauthorized")
        params = _params(url.query, content_type, body)
        with self._lock:
            self.calls.append((method, params))
        fault = self._fault(method)
        if fault is not None:
            return fault
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, _error(404, "Not Found")
        result: tuple[int, dict[str, Any]] = handler(params)
        return result

    def _api_getMe(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return 200, _ok(
            {"id": BOT_ID, "is_bot": True, "first_name": "Opora", "username": BOT_USERNAME}
        )

    def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        with self._lock:
            # Asking with an offset confirms everything below it: Telegram forgets those.
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
            return 200, _ok([json.loads(json.dumps(u)) for u in list(self._updates)[:limit]])

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        text = str(params.get("text") or "")
        if not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            return 400, _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if isinstance(markup, str):  # form-encoded calls carry it as JSON text
            markup = json.loads(markup)
        if markup is not None:
            buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
            if any(len(str(b.get("callback_data", "")).encode()) > 64 for b in buttons):
                return 400, _error(400, "Bad Request: BUTTON_DATA_INVALID")
            return self._record("sendMessage", params, text=text, reply_markup=markup)
        return self._record("sendMessage", params, text=text)

    def _api_editMessageText(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        text = str(params.get("text") or "")
        if not text.strip() or not params.get("message_id"):
            return 400, _error(400, "Bad Request: message to edit not found")
        return self._record(
            "editMessageText", params, text=text, edited_message_id=int(params["message_id"])
        )

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        if not params.get("callback_query_id"):
            return 400, _error(400, "Bad Request: query is too old or query ID is invalid")
        with self._lock:
            self.answered.append(
                {"id": str(params["callback_query_id"]), "text": str(params.get("text") or "")}
            )
        return 200, _ok(True)

    def _api_sendDocument(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        document = params.get("document")
        if not isinstance(document, tuple):
            return 400, _error(400, "Bad Request: there is no document in the request")
        filename, data = document
        return self._record(
            "sendDocument",
            params,
            filename=filename,
            data=data,
            caption=str(params.get("caption") or ""),
        )

    def _api_getFile(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        file_id = str(params.get("file_id") or "")
        with self._lock:
            stored = self._files.get(file_id)
        if stored is None:
            return 400, _error(400, "Bad Request: invalid file_id")
        path, data = stored
        return 200, _ok({"file_id": file_id, "file_size": len(data), "file_path": path})

    def _record(
        self, method: str, params: dict[str, Any], **what: Any
    ) -> tuple[int, dict[str, Any]]:
        chat_id = str(params.get("chat_id"))
        chat: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        with self._lock:
            message_id = self._next_message_id
            self._next_message_id += 1
            self.sent.append({"method": method, "chat_id": chat, "message_id": message_id, **what})
        if self.echo:
            shown = what.get("text") or f"[{what.get('filename')}] {what.get('caption', '')}"
            if what.get("reply_markup"):
                buttons = [b for row in what["reply_markup"]["inline_keyboard"] for b in row]
                shown += "  " + " ".join(f"[{b['text']}]" for b in buttons)
            print(f"→ chat {chat}: {shown}", flush=True)  # noqa: T201 -- the demo's output
        return 200, _ok({"message_id": message_id, "chat": {"id": chat}, "date": int(time.time())})


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters the way the Bot API takes them: query string, JSON, form or multipart."""
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" and body:
        params.update(json.loads(body))
    elif kind == "application/x-www-form-urlencoded":
        params.update(urllib.parse.parse_qsl(body.decode()))
    elif kind == "multipart/form-data":
        # Django's own parser: an independent check of the client's hand-built body.
        meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
        handlers = [MemoryFileUploadHandler(), TemporaryFileUploadHandler()]
        fields, files = MultiPartParser(meta, io.BytesIO(body), handlers, "utf-8").parse()
        params.update(fields.dict())
        for name, uploads in files.lists():
            params[name] = (uploads[0].name, uploads[0].read())
    return params


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self._answer(b"")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length))

    def _answer(self, body: bytes) -> None:
        standin: BotApiStandin = self.server.standin  # type: ignore[attr-defined]
        status, answer = standin.handle(self.path, self.headers.get("Content-Type", ""), body)
        if isinstance(answer, bytes):
            data, content_type = answer, "application/octet-stream"
        else:
            data, content_type = json.dumps(answer).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the URL holds the token, and test output is no place for either."""


def main(argv: list[str] | None = None) -> None:
    """`serve` the demo's stand-in, or `say` something to the demo bot as a client."""
    # The demo bot's address and token, and the upload limits the multipart parser reads.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    django.setup()
    from opora.channels.demo import DEMO_BOT_PORT, DEMO_BOT_TOKEN

    parser = argparse.ArgumentParser(prog="python -m tests.telegram_standin")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the Bot API stand-in for the demo bot")
    serve.add_argument("--port", type=int, default=DEMO_BOT_PORT)
    say = commands.add_parser("say", help="write to the demo bot as a Telegram user")
    say.add_argument("text")
    say.add_argument("--user", type=int, default=1001, help="the Telegram user id")
    say.add_argument("--name", default="Иван", help="the user's first name")
    say.add_argument("--port", type=int, default=DEMO_BOT_PORT)
    options = parser.parse_args(argv)
    if options.command == "serve":
        standin = BotApiStandin(port=options.port, token=DEMO_BOT_TOKEN, echo=True)
        print(f"Telegram Bot API stand-in on {standin.base_url} (Ctrl-C to stop)", flush=True)  # noqa: T201
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            standin.stop()
        return
    request = urllib.request.Request(
        f"http://127.0.0.1:{options.port}/standin/say",
        data=json.dumps(
            {"user_id": options.user, "text": options.text, "first_name": options.name}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 -- loopback
        update_id = json.load(answer)["result"]["update_id"]
    print(f"update {update_id} queued for the bot")  # noqa: T201


if __name__ == "__main__":
    main()
