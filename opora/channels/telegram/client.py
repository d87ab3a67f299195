"""A small synchronous Bot API client: the calls Opora needs, on the standard library.

Opora's worker runs jobs one after another, and it needs six Bot API calls,
so a blocking client of about a hundred lines (urllib + json) serves better
than an asyncio framework (docs/decisions.md). It works against Telegram's
server or a self-hosted Bot API server: `{base}/bot{token}/{method}`, files
at `{base}/file/bot{token}/{file_path}`. Proxies come from the usual
`HTTPS_PROXY`/`NO_PROXY` environment variables.

The token is part of every URL, so no error raised here carries a URL, and
any text that might is scrubbed of the token.
"""

from __future__ import annotations

import http.client
import json
import mimetypes
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 30.0
# Telegram's limit on one text message, in characters.
MAX_TEXT = 4096
# What a dead server, a refused connection or a timeout raise inside urllib.
_NETWORK_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)
_FILENAME_UNSAFE = str.maketrans({'"': "'", ";": ",", "\r": " ", "\n": " "})


class TelegramError(Exception):
    """A Bot API call failed.

    `status` is Telegram's `error_code` (403: the user blocked the bot; 429:
    too many requests, see `retry_after`) or 0 when no Bot API answer came
    (network failure, timeout, a proxy's error page).
    """

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(status, description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = f"{self.status} {self.description}" if self.status else self.description
        if self.retry_after:
            text += f" (retry after {self.retry_after} s)"
        return text


class FileTooLarge(TelegramError):
    """The file is larger than the caller agreed to download."""


class BotApi:
    """One bot's Bot API; every method raises `TelegramError` on failure."""

    def __init__(self, base_url: str, token: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise TelegramError(0, "The Bot API server must be an http:// or https:// URL.")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = token

    def __repr__(self) -> str:
        return f"BotApi({self.base_url!r})"

    # --- Methods ----------------------------------------------------------------

    def get_me(self) -> dict[str, Any]:
        return self._dict(self.call("getMe"))

    def get_updates(self, offset: int, timeout: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Updates from `offset` on; asking with an offset confirms every update below it."""
        result = self.call(
            "getUpdates",
            {"offset": offset, "timeout": timeout, "limit": limit},
            timeout=self.timeout + timeout,
        )
        if not isinstance(result, list) or not all(isinstance(u, dict) for u in result):
            raise TelegramError(0, "getUpdates returned something other than a list of updates")
        return result

    def send_message(
        self, chat_id: int | str, text: str, reply_markup: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        return self._dict(self.call("sendMessage", params))

    def edit_message_text(
        self, chat_id: int | str, message_id: int, text: str
    ) -> dict[str, Any] | bool:
        """Replace a message's text; its inline keyboard goes with it."""
        result = self.call(
            "editMessageText", {"chat_id": chat_id, "message_id": message_id, "text": text}
        )
        return result if isinstance(result, dict | bool) else self._dict(result)

    def answer_callback_query(self, callback_query_id: str, text: str = "") -> bool:
        """Stop the pressed button's spinner, with a short notice on the client's screen."""
        params: dict[str, Any] = {"callback_query_id": callback_query_id}
        if text:
            params["text"] = text
        return bool(self.call("answerCallbackQuery", params))

    def send_document(
        self, chat_id: int | str, filename: str, data: bytes, caption: str = ""
    ) -> dict[str, Any]:
        fields = {"chat_id": str(chat_id)}
        if caption:
            fields["caption"] = caption
        body, content_type = multipart_encode(fields, "document", filename, data)
        status, answer = self._request(
            self._url(f"bot{self._token}/sendDocument"),
            data=body,
            headers={"Content-Type": content_type},
            timeout=self.timeout,
        )
        return self._dict(self._result(status, answer))

    def get_file(self, file_id: str) -> str:
        """The path to download the file from (valid for at least an hour)."""
        result = self._dict(self.call("getFile", {"file_id": file_id}))
        path = result.get("file_path")
        if not isinstance(path, str) or not path:
            raise TelegramError(400, "Bad Request: the file cannot be downloaded")
        return path

    def download(self, file_path: str, max_bytes: int) -> bytes:
        """The file's bytes; `FileTooLarge` rather than reading more than `max_bytes`."""
        url = self._url(f"file/bot{self._token}/{urllib.parse.quote(file_path)}")
        request = urllib.request.Request(url, method="GET")  # noqa: S310 -- scheme checked in __init__
        too_large = FileTooLarge(0, f"The file is larger than {max_bytes} bytes.")
        try:
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 -- scheme checked in __init__
                    length = response.headers.get("Content-Length")
                    if length and length.isdigit() and int(length) > max_bytes:
                        raise too_large
                    data = bytes(response.read(max_bytes + 1))
            except urllib.error.HTTPError as error:
                with error:
                    raise self._failure(int(error.code), error.read()) from None
        except _NETWORK_ERRORS as error:
            raise self._network_error(error) from None
        if len(data) > max_bytes:
            raise too_large
        return data

    # --- Transport --------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 0) -> Any:
        """Call a Bot API method with JSON parameters; returns its `result`."""
        status, body = self._request(
            self._url(f"bot{self._token}/{method}"),
            data=json.dumps(params or {}).encode(),
            headers={"Content-Type": "application/json"},
            timeout=timeout or self.timeout,
        )
        return self._result(status, body)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def _request(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 -- scheme checked in __init__
        try:
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- scheme checked in __init__
                    return int(response.status), bytes(response.read())
            except urllib.error.HTTPError as error:
                # Telegram answers errors with a 4xx/5xx status and a JSON body.
                with error:
                    return int(error.code), bytes(error.read())
        except _NETWORK_ERRORS as error:
            raise self._network_error(error) from None

    def _result(self, status: int, body: bytes) -> Any:
        """The `result` of a Bot API answer, or its error raised."""
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("ok") is True:
            return answer.get("result")
        raise self._failure(status, body, answer)

    def _failure(self, status: int, body: bytes, answer: Any = None) -> TelegramError:
        if answer is None:
            try:
                answer = json.loads(body)
            except ValueError:
                answer = None
        if not isinstance(answer, dict) or "ok" not in answer:
            # A proxy's or load balancer's page: no word from Telegram itself.
            return TelegramError(0, f"HTTP {status} without a Bot API answer")
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        return TelegramError(
            int(answer.get("error_code") or status),
            self._redact(str(answer.get("description") or "")),
            retry_after=retry_after if isinstance(retry_after, int) else None,
        )

    def _network_error(self, error: BaseException) -> TelegramError:
        # urllib's URLError wraps the socket error as `reason`; neither names the URL,
        # and the exception is not chained, so no traceback can show the token.
        reason = getattr(error, "reason", error)
        return TelegramError(0, self._redact(f"{type(reason).__name__}: {reason}"))

    def _redact(self, text: str) -> str:
        if not self._token:
            return text
        for form in {self._token, urllib.parse.quote(self._token)}:
            text = text.replace(form, "[token]")
        return text

    @staticmethod
    def _dict(result: Any) -> dict[str, Any]:
        if not isinstance(result, dict):
            raise TelegramError(0, "the Bot API returned an unexpected result")
        return result


def multipart_encode(
    fields: dict[str, str], file_field: str, filename: str, data: bytes
) -> tuple[bytes, str]:
    """A multipart/form-data body with text fields and one file, and its Content-Type."""
    boundary = f"opora-{secrets.token_hex(16)}"
    chunks = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    # Telegram's server takes the name literally, UTF-8 as is, up to the next «;» or
    # quote, with no escapes: those characters (and line breaks) are replaced.
    quoted = filename.translate(_FILENAME_UNSAFE)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    chunks.append(
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{file_field}"; filename="{quoted}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
