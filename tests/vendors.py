"""Local fake vendor servers that speak the real wire formats, so the official SDKs (openai,
anthropic, twilio) and smtplib are exercised for real: OpenAI Chat Completions with SSE
streaming chunks, Anthropic Messages with its event stream, the Twilio Messages REST API, and
an SMTP sink (aiosmtpd). Each records what it received; each can be taken down or made to
time out."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pybreaker


class CircuitTransitions(pybreaker.CircuitBreakerListener):
    """The states a circuit breaker moves into, in order (pybreaker's listener API)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def state_change(self, breaker: Any, old: Any, new: Any) -> None:
        self.seen.append(new.name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with a request log and a failure switch."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self.fail_next = 0
        """Answer the next N requests with 503 (transient), then work again."""
        self.chunk_delay = 0.0
        self.stall = 0.0
        """Hold each request this long, then hang up without an answer: set it above the
        client's timeout to make the vendor time out."""
        self.stall_after_work = False
        """While stalling, do the work first (a message is created): the answer is lost."""
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with server._lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    server.requests.append({"method": self.command, "path": self.path,
                                            "headers": headers, "body": raw})
                    failing = server.fail_with
                    if failing is None and server.fail_next > 0:
                        server.fail_next -= 1
                        failing = 503
                    stall, after_work = server.stall, server.stall_after_work
                if stall:
                    if after_work:
                        self.wfile = io.BytesIO()  # the answer goes nowhere
                        server.handle(self, raw)
                    time.sleep(stall)
                    self.close_connection = True
                    return
                if failing is not None:
                    self._json(failing, server.error_body(failing))
                    return
                server.handle(self, raw)

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815 (http.server's names)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def error_body(self, status: int) -> Any:
        return {"error": {"message": "unavailable", "type": "server_error"}}

    def handle(self, request: Any, raw: bytes) -> None:
        raise NotImplementedError

    def received(self, path_part: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if path_part in r["path"]]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _sse(request: Any, events: Iterator[bytes], delay: float) -> None:
    request.send_response(200)
    request.send_header("Content-Type", "text/event-stream")
    request.send_header("Cache-Control", "no-cache")
    request.send_header("Connection", "close")
    request.end_headers()
    try:
        for event in events:
            request.wfile.write(event)
            request.wfile.flush()
            if delay:
                time.sleep(delay)
    except (BrokenPipeError, ConnectionResetError):
        pass
    request.close_connection = True


def words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [p + (" " if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)]


class FakeOpenAI(FakeServer):
    """POST /v1/chat/completions, streaming ``data: {chunk}`` lines and ``data: [DONE]``."""

    reply = "Teeth whitening costs 300 EUR and takes about an hour."
    break_after: int | None = None
    """Stop the stream (connection dropped) after this many content chunks."""
    pause_after: int | None = None
    """Hold the stream after this many content chunks until ``resume`` is set (30 s at most):
    an answer caught half written."""

    def __init__(self) -> None:
        super().__init__()
        self.resume = threading.Event()
        self.paused = threading.Event()
        """Set when a stream reaches ``pause_after``."""

    def handle(self, request: Any, raw: bytes) -> None:
        body = json.loads(raw)
        model = body["model"]
        if not body.get("stream"):
            request._json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": self.reply}}],
                "usage": {"prompt_tokens": 42, "completion_tokens": 12, "total_tokens": 54}})
            return

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            payload = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                       "model": model, "choices": [{"index": 0, "delta": delta,
                                                    "finish_reason": finish}]}
            return f"data: {json.dumps(payload)}\n\n".encode()

        def events() -> Iterator[bytes]:
            yield chunk({"role": "assistant", "content": ""})
            for n, piece in enumerate(words(self.reply)):
                if self.break_after is not None and n >= self.break_after:
                    raise BrokenPipeError
                if n == self.pause_after:
                    self.paused.set()
                    self.resume.wait(30)
                yield chunk({"content": piece})
            yield chunk({}, "stop")
            usage = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                     "model": model, "choices": [],
                     "usage": {"prompt_tokens": 42, "completion_tokens": len(words(self.reply)),
                               "total_tokens": 42 + len(words(self.reply))}}
            yield f"data: {json.dumps(usage)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        _sse(request, events(), self.chunk_delay)


class FakeAnthropic(FakeServer):
    """POST /v1/messages with ``stream: true``: message_start, content_block_*, ping,
    message_delta (usage, stop_reason), message_stop."""

    reply = "Whitening is 300 EUR; we are open Monday to Friday, 9:00 to 18:00."

    def error_body(self, status: int) -> Any:
        return {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

    def handle(self, request: Any, raw: bytes) -> None:
        body = json.loads(raw)
        model = body["model"]

        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

        def events() -> Iterator[bytes]:
            yield event("message_start", {"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "content": [],
                "model": model, "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": 37, "output_tokens": 1}}})
            yield event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}})
            yield event("ping", {"type": "ping"})
            for piece in words(self.reply):
                yield event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "text_delta",
                                                              "text": piece}})
            yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield event("message_delta", {"type": "message_delta",
                                          "delta": {"stop_reason": "end_turn",
                                                    "stop_sequence": None},
                                          "usage": {"output_tokens": len(words(self.reply))}})
            yield event("message_stop", {"type": "message_stop"})

        _sse(request, events(), self.chunk_delay)


@dataclass
class TwilioMessage:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str | None
    date_sent: datetime


class FakeTwilio(FakeServer):
    """The Messages resource of the Twilio REST API: create (form-encoded POST) and list
    (GET with To, From and DateSent> filters), under /2010-04-01/Accounts/{sid}/."""

    def __init__(self) -> None:
        self.messages: list[TwilioMessage] = []
        super().__init__()

    def error_body(self, status: int) -> Any:
        return {"code": 20500 + status % 100, "message": "Service unavailable",
                "more_info": "https://www.twilio.com/docs/errors/20500", "status": status}

    def _resource(self, message: TwilioMessage, account: str) -> dict[str, Any]:
        stamp = message.date_sent.strftime("%a, %d %b %Y %H:%M:%S +0000")
        return {"sid": message.sid, "account_sid": account, "to": message.to,
                "from": message.sender, "body": message.body, "status": "queued",
                "num_segments": "1", "direction": "outbound-api", "date_created": stamp,
                "date_updated": stamp, "date_sent": stamp, "price": None, "error_code": None,
                "uri": f"/2010-04-01/Accounts/{account}/Messages/{message.sid}.json"}

    def handle(self, request: Any, raw: bytes) -> None:
        parts = urlsplit(request.path)
        account = parts.path.split("/")[3]
        if request.command == "POST":
            form = dict(parse_qsl(raw.decode()))
            if not form.get("To", "").removeprefix("whatsapp:").removeprefix("+").isdigit():
                request._json(400, {"code": 21211, "message": "Invalid 'To' Phone Number",
                                    "status": 400})
                return
            message = TwilioMessage(sid=f"SM{len(self.messages) + 1:032x}", to=form["To"],
                                    sender=form.get("From", ""), body=form.get("Body", ""),
                                    status_callback=form.get("StatusCallback"),
                                    date_sent=datetime.now(UTC))
            self.messages.append(message)
            request._json(201, self._resource(message, account))
            return
        query = dict(parse_qsl(parts.query))
        since = query.get("DateSent>")
        found = [m for m in self.messages
                 if m.to == query.get("To", m.to) and m.sender == query.get("From", m.sender)
                 and (since is None or m.date_sent >= datetime.fromisoformat(
                     since.replace("Z", "+00:00")))]
        request._json(200, {"messages": [self._resource(m, account) for m in found], "end": 0,
                            "first_page_uri": parts.path, "next_page_uri": None, "page": 0,
                            "page_size": 50, "previous_page_uri": None, "start": 0,
                            "uri": parts.path})


@dataclass
class SmtpSink:
    """A local SMTP server (aiosmtpd) keeping every message it receives."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Collect:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                parsed = message_from_bytes(envelope.original_content or envelope.content,
                                            policy=policy.default)
                sink.messages.append(parsed)  # type: ignore[arg-type]
                return "250 OK"

        self.controller = Controller(Collect(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()
