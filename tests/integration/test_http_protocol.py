"""The API's HTTP protocol (uvicorn's httptools protocol writing once per event-loop turn,
ADR 0053), on a real uvicorn server and socket: whole responses, keep-alive, streams that
arrive while they are produced, and connection close."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from entrypoints.http.protocol import PROTOCOL, CoalescingTransport

released = threading.Event()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": b"data: first\n\n",
                    "more_body": True})
        # the client must hold the first event before the second is produced
        held = await asyncio.get_running_loop().run_in_executor(None, released.wait, 5)
        await send({"type": "http.response.body",
                    "body": b"data: second\n\n" if held else b"data: too late\n\n"})
        return
    body = f"hello {scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=PROTOCOL,
                                           log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_responses_are_whole_and_a_kept_alive_connection_serves_many(base: str) -> None:
    with httpx.Client(base_url=base) as client:
        answers = [client.get(f"/r{n}") for n in range(20)]
    assert [a.status_code for a in answers] == [200] * 20
    assert [a.text for a in answers] == [f"hello /r{n}" for n in range(20)]
    assert all(a.headers["content-type"] == "text/plain" for a in answers)


def test_pipelined_requests_on_one_socket_get_their_answers_in_order(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"".join(f"GET /p{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                             for n in range(3)))
        received = b""
        while received.count(b"hello /p") < 3:
            chunk = raw.recv(65536)
            assert chunk, "the server closed the connection early"
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 3
    assert received.index(b"hello /p0") < received.index(b"hello /p1") < received.index(
        b"hello /p2")


def test_a_stream_is_delivered_as_it_is_produced(base: str) -> None:
    released.clear()
    with httpx.Client(base_url=base, timeout=10) as client, \
            client.stream("GET", "/stream") as response:
        lines = response.iter_lines()
        assert next(lines) == "data: first"  # the second is not produced yet
        released.set()
        rest = [line for line in lines if line]
    assert rest == ["data: second"]


def test_connection_close_sends_the_response_first(base: str) -> None:
    with httpx.Client(base_url=base, headers={"Connection": "close"}) as client:
        answer = client.get("/closing")
    assert answer.text == "hello /closing"


class _Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_the_writes_of_one_loop_turn_reach_the_socket_as_one() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], str]:
        recorder = _Recorder()
        transport = CoalescingTransport(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        before = list(recorder.writes)
        await asyncio.sleep(0)
        return before, recorder.writes, transport.get_extra_info("peername")

    before, after, info = asyncio.run(scenario())
    assert before == []
    assert after == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    assert info == "info:peername"


def test_closing_flushes_what_is_pending() -> None:
    async def scenario() -> _Recorder:
        recorder = _Recorder()
        transport = CoalescingTransport(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"last words")
        transport.close()
        await asyncio.sleep(0)
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.writes == [b"last words"] and recorder.closed
