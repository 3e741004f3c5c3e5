"""A tenant's recent events held in memory (``TenantTail``) and one stream's place in them
(``Follower``): the two halves of the hub's fan-out (``adapters.streams.hub``)."""

from __future__ import annotations

import asyncio
import bisect
import threading
from typing import TYPE_CHECKING
from uuid import UUID

import anyio.to_thread

from adapters.projections.reader import Position
from application.streams import StreamedEvent, erases_a_contact

if TYPE_CHECKING:
    from adapters.streams.hub import StreamHub

RETRY_SOON = 0.05
"""Seconds a follower behind the tail waits before reading again when its read found nothing
new (the tail's read and its own overlapped)."""


class TenantTail:
    """The recent events of one tenant: every event after ``start`` up to ``cursor``."""

    __slots__ = ("cursor", "events", "followers", "lock", "positions", "start", "tenant_id")

    def __init__(self, tenant_id: UUID, head: Position) -> None:
        self.tenant_id = tenant_id
        self.start = self.cursor = head
        self.positions: list[Position] = []
        self.events: list[StreamedEvent] = []
        self.followers: set[Follower] = set()
        self.lock = threading.Lock()

    def take(self, after: Position) -> tuple[list[StreamedEvent], Position] | None:
        """The events held after ``after`` and the position after them; None when ``after``
        is before what is held."""
        with self.lock:
            if after < self.start:
                return None
            index = bisect.bisect_right(self.positions, after)
            if index == len(self.positions):
                return [], after
            return self.events[index:], self.positions[-1]

    def extend(self, events: list[StreamedEvent], cursor: Position, keep: int) -> list[Follower]:
        """Hold ``events`` (read after ``cursor``'s predecessor, up to ``cursor``); returns
        the followers to wake."""
        positions = [Position.parse(e.position) for e in events]
        with self.lock:
            if any(erases_a_contact(e) for e in events):
                self.start = self.cursor
                self.positions.clear()
                self.events.clear()
            self.positions += positions
            self.events += events
            self.cursor = max(self.cursor, cursor)
            if len(self.positions) > keep + keep // 4:  # trimmed in chunks
                cut = len(self.positions) - keep
                self.start = self.positions[cut - 1]
                del self.positions[:cut], self.events[:cut]
            return list(self.followers) if events else []


class Follower:
    """One stream's place in its tenant's log. Used on the event loop that created it."""

    def __init__(self, hub: StreamHub, tail: TenantTail, position: Position) -> None:
        self.position = position
        self.closed = False
        self._hub, self.tail = hub, tail
        self.loop = asyncio.get_running_loop()
        self._signal = asyncio.Event()

    @property
    def tenant_id(self) -> UUID:
        return self.tail.tenant_id

    async def next(self, timeout: float) -> list[StreamedEvent] | None:
        """The tenant's events after this follower's position, oldest first, moving it past
        them: at once when there are some, else after waiting up to ``timeout`` seconds for
        some (``[]`` when none came). None once the hub has stopped."""
        deadline = self.loop.time() + timeout
        while not self.closed:
            self._signal.clear()
            wait = deadline - self.loop.time()
            taken = self.tail.take(self.position)
            if taken is None:  # behind the tail: read the log until it is reached
                events, moved = await anyio.to_thread.run_sync(self._hub.catch_up, self.tail,
                                                               self.position)
                progressed, self.position = moved != self.position, moved
                if events:
                    return events
                if progressed:
                    continue
                wait = min(wait, RETRY_SOON)
            else:
                events, self.position = taken
                if events:
                    return events
            if self.loop.time() >= deadline:
                return []
            try:  # a timer, not a task per wait (asyncio.wait_for): 200 streams wait at once
                async with asyncio.timeout(max(wait, 0.0)):
                    await self._signal.wait()
            except TimeoutError:
                if self.loop.time() >= deadline:
                    return []
        return None

    def wake(self) -> None:
        self._signal.set()

    def close(self) -> None:
        """Stop following (idempotent; any thread)."""
        self.closed = True
        self._hub.detach(self)
