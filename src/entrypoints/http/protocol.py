"""uvicorn's httptools protocol, with one write per response instead of two.

uvicorn writes a response's status line and headers as soon as the application starts the
response, then the body in a second write. On loopback and behind a proxy each write is a
syscall that wakes the reader, and uvloop makes it with the GIL held, so every other thread
of the process waits through it. The transport below gathers what one turn of the event loop
writes and hands it to the socket once, at the end of the turn (ADR 0053).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that joins the writes of one event-loop turn into one."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


DRAINING: list[Callable[[], None]] = []
"""Called when the server begins to shut down, before it waits for the open responses to
finish: responses without an end (server-sent event streams) register here to end
themselves, so a shutdown does not wait out its graceful timeout and then cancel them
(ADR 0067). Called once per open connection: they must be idempotent and quick."""


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def shutdown(self) -> None:
        for end in list(DRAINING):
            end()
        super().shutdown()


PROTOCOL = f"{__name__}:{CoalescingHttpToolsProtocol.__name__}"
