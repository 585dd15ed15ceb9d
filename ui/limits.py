"""Limits on what reaches the web chat's server, applied before Gradio sees a request:

- a request body larger than ``MAX_REQUEST_BYTES`` is refused (413), whatever route it is for;
- Gradio's generic file upload routes are closed (404); documents are added through a
  route of their own (``ui.uploads``), whose body may be up to ``max_upload_bytes`` when the
  app may change its index (404 otherwise);
- at most ``LOGIN_ATTEMPTS`` logins per client address per ``LOGIN_WINDOW`` seconds (429).

The question, the conversation and the settings a handler receives are bounded again by
the handlers themselves and by the library (``rag.retrieval.clean_history``)."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_REQUEST_BYTES = 2_000_000
"""Largest request body accepted (a long conversation sent back by the chat is ~100 kB)."""
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = 60.0
UPLOAD_ROUTES = ("/gradio_api/upload", "/gradio_api/upload_progress")
DOCUMENT_UPLOAD = "/citewise/upload"
"""The route of ``ui.uploads`` (one file per request)."""


class Limits:
    """ASGI middleware enforcing the limits above (given to FastAPI as ``middleware``)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_REQUEST_BYTES,
        login_attempts: int = LOGIN_ATTEMPTS,
        login_window: float = LOGIN_WINDOW,
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.login_attempts = login_attempts
        self.login_window = login_window
        self._logins: dict[str, deque[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", "")).rstrip("/")
        limit = self.max_bytes
        if path in UPLOAD_ROUTES or (path == DOCUMENT_UPLOAD and not self.max_upload_bytes):
            await _reply(send, 404, "Uploads are closed: this app takes no files.")
            return
        if path == DOCUMENT_UPLOAD:
            limit = self.max_upload_bytes
        if path == "/login" and scope.get("method") == "POST" and not self._may_log_in(scope):
            await _reply(send, 429, f"Too many login attempts: wait {self.login_window:.0f} s.", self.login_window)
            return
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            what = "file is larger than the upload limit of" if path == DOCUMENT_UPLOAD else "request is larger than"
            await _reply(send, 413, f"The {what} {limit} bytes.")
            return
        await self.app(scope, self._counting(receive, limit), send)

    def _may_log_in(self, scope: Scope) -> bool:
        client = scope.get("client") or ("?", 0)
        now = time.monotonic()
        attempts = self._logins.setdefault(str(client[0]), deque())
        while attempts and now - attempts[0] > self.login_window:
            attempts.popleft()
        if len(attempts) >= self.login_attempts:
            return False
        attempts.append(now)
        if len(self._logins) > 10_000:  # forget idle addresses
            self._logins = {k: v for k, v in self._logins.items() if v and now - v[-1] <= self.login_window}
        return True

    def _counting(self, receive: Receive, limit: int) -> Receive:
        """A body sent without a length (chunked) is cut off at the limit too."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                return {"type": "http.disconnect"}
            return message

        return counted


async def _reply(send: Send, status: int, detail: str, retry_after: float | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after:
        headers.append((b"retry-after", str(int(retry_after)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
