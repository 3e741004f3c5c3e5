"""The stream hub: one per process. It follows the log of every tenant that has an open
stream and fans each new event out to that tenant's streams, so 200 streams of one tenant
cost one read per wake, not 200.

- **Waking.** One thread waits on the process's ``CommitNotifier`` (its own commits, at once)
  and on a LISTEN of its own (other processes' commits, by their NOTIFY), with
  ``poll_interval`` as the bound when neither comes. Each wake reads, for each tenant with
  streams, the events after what it already holds: one indexed query per tenant, as the
  API's role under row-level security (``PostgresTenantLog``).
- **Fan-out.** A tenant's ``TenantTail`` keeps the last ``buffer`` events read, decoded once. Each
  stream (``Follower``) takes from it the events after its own position, on its event loop;
  the hub wakes them with one call per loop. A stream behind what the tail holds (a client
  resuming from an older position) reads the log itself until it reaches the tail.
- **Erasure.** A batch with a ``ContactErased`` drops what the tail held: events decoded
  before are read again by whoever still needs them, with the personal fields ``[erased]``.
- **Stopping.** ``stop`` ends every follower (their streams finish cleanly) and joins the
  threads; the hub starts again with the next stream (tests build several apps on one
  container).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from uuid import UUID

import anyio.to_thread

from adapters.projections.notify import CommitNotifier, NotificationListener
from adapters.projections.reader import Position
from adapters.streams.follower import Follower, TenantTail
from adapters.streams.slots import StreamSlots
from adapters.streams.tail import PostgresTenantLog
from application.streams import StreamedEvent

log = logging.getLogger("frontdesk.streams")
def _wake_all(followers: Sequence[Follower]) -> None:
    for follower in followers:
        follower.wake()


class StreamHub:
    def __init__(self, log: PostgresTenantLog, notifier: CommitNotifier, *,
                 listen_url: str | None = None, poll_interval: float = 1.0,
                 slots: StreamSlots | None = None, buffer: int = 2048,
                 batch: int = 500) -> None:
        self.log, self.slots = log, slots
        self._poll, self._keep, self._batch = poll_interval, buffer, batch
        self._listen_url, self._origin = listen_url, notifier.origin
        self._wake = notifier.subscribe()  # this process's commits wake it at once
        self._lock = threading.Lock()
        self._tails: dict[UUID, TenantTail] = {}
        self._threads: list[threading.Thread] = []
        self._listener: NotificationListener | None = None
        self._stop = threading.Event()

    # -- streams (on their event loop) ------------------------------------------------------

    async def follow(self, tenant_id: UUID, after: str | None) -> Follower:
        """A follower of the tenant's log after ``after`` (a checked ``TX:ID``), or from now
        on when None."""
        start = None if after is None else Position.parse(after)
        follower = self._attach(tenant_id, start, None)
        if follower is None:
            head = await anyio.to_thread.run_sync(self.log.head, tenant_id)
            follower = self._attach(tenant_id, start, Position.parse(head))
        assert follower is not None
        return follower

    def _attach(self, tenant_id: UUID, start: Position | None,
                head: Position | None) -> Follower | None:
        with self._lock:
            tail = self._tails.get(tenant_id)
            if tail is None:
                if head is None:
                    return None
                tail = self._tails[tenant_id] = TenantTail(tenant_id, head)
            with tail.lock:
                follower = Follower(self, tail, start if start is not None else tail.cursor)
                tail.followers.add(follower)
            if not self._threads:
                self._start()
            return follower

    def detach(self, follower: Follower) -> None:
        tail = follower.tail
        with self._lock:
            with tail.lock:
                tail.followers.discard(follower)
                left = len(tail.followers)
            if not left and self._tails.get(tail.tenant_id) is tail:
                del self._tails[tail.tenant_id]

    def catch_up(self, tail: TenantTail, position: Position
                 ) -> tuple[list[StreamedEvent], Position]:
        """Read the log after ``position`` for a follower behind the tail (in a worker
        thread): the events and the position after them."""
        read = self.log.read(tail.tenant_id, position.text(), self._batch)
        return read.events, read.cursor(position)

    # -- the thread -------------------------------------------------------------------------

    def _start(self) -> None:
        """Start the reading thread and the listener (lock held)."""
        stop = self._stop
        reader = threading.Thread(target=self._run, args=(stop,), name="stream-hub",
                                  daemon=True)
        self._threads.append(reader)
        if self._listen_url is not None:
            self._listener = NotificationListener(self._listen_url, self._heard,
                                                  origin=self._origin)
            self._threads.append(threading.Thread(target=self._listener.run,
                                                  name="stream-hub-listener", daemon=True))
        for thread in self._threads:
            thread.start()

    def _heard(self, topics: frozenset[str] | None) -> None:
        self._wake.set()

    def _run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            self._wake.wait(self._poll)
            self._wake.clear()
            if stop.is_set():
                break
            if self.slots is not None:
                try:
                    self.slots.sync()
                except Exception as error:  # written at the next turn; leases last ``ttl``
                    log.warning("stream slots not synced: %s", error.__class__.__name__)
            try:
                with self._lock:
                    tails = list(self._tails.values())
                more = [self._advance(tail) for tail in tails]
                failures = 0
                if any(more):
                    self._wake.set()
            except Exception as error:  # the database away: try again, more slowly
                failures += 1
                log.warning("stream hub: %s; reading again", error.__class__.__name__)
                stop.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))

    def _advance(self, tail: TenantTail) -> bool:
        """Read the tenant's next events into its tail and wake its followers; True when
        there may be more."""
        with tail.lock:
            cursor = tail.cursor
        read = self.log.read(tail.tenant_id, cursor.text(), self._batch)
        woken = tail.extend(read.events, read.cursor(cursor), self._keep)
        by_loop: dict[asyncio.AbstractEventLoop, list[Follower]] = {}
        for follower in woken:
            by_loop.setdefault(follower.loop, []).append(follower)
        for loop, followers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: its followers are gone
                loop.call_soon_threadsafe(_wake_all, followers)
        return len(read.events) == self._batch

    def end_streams(self) -> None:
        """End every follower now, without waiting for anything: their streams finish (the
        server is shutting down and waits for open responses)."""
        with self._lock:
            tails = list(self._tails.values())
        for tail in tails:
            with tail.lock:
                followers = list(tail.followers)
            for follower in followers:
                follower.closed = True
                with contextlib.suppress(RuntimeError):  # a closed loop: nothing to end
                    follower.loop.call_soon_threadsafe(follower.wake)

    def stop(self) -> None:
        """End every follower (their streams finish) and stop the threads; a later
        ``follow`` starts them again."""
        self.end_streams()
        with self._lock:
            self._tails.clear()
            threads, self._threads = self._threads, []
            listener, self._listener = self._listener, None
            stop, self._stop = self._stop, threading.Event()
        stop.set()
        self._wake.set()
        if listener is not None:
            listener.stop()
        for thread in threads:
            thread.join(timeout=5)
        if self.slots is not None:
            try:
                self.slots.forget()
            except Exception as error:  # expired by their lease anyway
                log.warning("stream slots not removed: %s", error.__class__.__name__)
