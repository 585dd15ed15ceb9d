"""A scripted OpenAI-compatible chat endpoint on loopback, for failure modes a real model
cannot be made to show on demand (errors, garbage, hangs) and for canned outputs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[list[dict[str, str]]], str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append(body)
        mode = self.server.mode
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "error":
            self._send(500, b'{"error": {"message": "model crashed"}}', "application/json")
            return
        if mode == "garbage":
            self._send(200, b"<html>not json at all", "application/json")
            return
        if mode in ("drip", "flood"):
            self._misbehave(mode)
            return
        text = self.server.reply(body.get("messages", []))
        if not body.get("stream"):
            payload = {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "fake",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            }
            self._send(200, json.dumps(payload).encode(), "application/json")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in [text[i : i + 7] for i in range(0, len(text), 7)]:
            chunk = {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "fake",
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            time.sleep(self.server.delay)
        self.wfile.write(b"data: [DONE]\n\n")

    def _misbehave(self, mode: str) -> None:
        """'drip': a valid stream sent one byte per ``delay`` seconds (for minutes);
        'flood': text without end, whatever ``max_tokens`` says."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {"choices": [{"index": 0, "delta": {"content": "Pachocki was appointed chief scientist. "}}]}
        event = f"data: {json.dumps(chunk)}\n\n".encode()
        try:
            if mode == "drip":
                for byte in event * 50:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(self.server.delay or 1.0)
            else:
                for _ in range(10_000_000):
                    self.wfile.write(event * 100)
        except OSError:  # the client hung up: what it should do
            return

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode: str = "reply"
    delay: float = 0.0
    reply: Reply
    requests: list[dict[str, Any]]


@contextmanager
def fake_llm(reply: Reply | str = "", mode: str = "reply", delay: float = 0.0) -> Iterator[_Server]:
    """Serve ``reply`` (a text, or a function of the request's messages) at
    ``http://127.0.0.1:<port>/v1``, streamed in pieces ``delay`` seconds apart;
    ``mode`` 'error', 'garbage', 'hang', 'drip' (one byte per ``delay`` s) or 'flood'
    (text without end) misbehaves."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.mode = mode
    server.delay = delay
    server.reply = reply if callable(reply) else (lambda _messages, text=reply: text)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"
