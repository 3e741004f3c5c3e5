"""AI answers while they are written, for the web chat visitor's live stream (ADR 0092).

An answer is stored once, complete (ADR 0022); until then its text exists only in the process
that asks the model. ``LiveAnswers`` carries it to the visitor's stream, which may be open on
another API process: each piece goes to this process's watchers at once, and to the other
processes by NOTIFY on ``frontdesk_answers``, sent by a thread of its own so that the model's
stream never waits for the database. A piece names its answer and its place in it (the offset
of its first character) and is applied only where it continues the text; a process that missed
a piece (it began listening mid-answer, or its LISTEN reconnected) shows no more of that answer
until it is stored, never text out of place. The text so far is kept per conversation until
the answer is stored or abandoned, and ``KEEP`` seconds at most.

What it carries is a preview, never a record: nothing here is written to the log, and a lost
piece costs the visitor the preview of one answer, not the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from uuid import UUID

import psycopg

from adapters.projections.notify import listen

CHANNEL = "frontdesk_answers"
PIECE = 1_500
"""Characters per NOTIFY: at most 6,000 bytes of UTF-8, under NOTIFY's 8,000 with the header."""
KEEP = 300.0
"""Seconds an answer not heard of again is kept (its end was lost with a process)."""
BATCH = 64
"""NOTIFYs sent in one transaction when pieces come faster than they are sent."""
log = logging.getLogger("frontdesk.answers")

Key = tuple[UUID, UUID]
"""A conversation: (tenant, conversation)."""


@dataclass(frozen=True, slots=True)
class AnswerSoFar:
    message_id: UUID
    text: str


@dataclass(slots=True)
class _Writing:
    message_id: UUID
    text: str
    at: float


class AnswerWatch:
    """One live stream's view of the answer being written in its conversation. Used on the
    event loop that created it; ``latest`` is None when no answer is being written."""

    def __init__(self, owner: LiveAnswers, key: Key, latest: AnswerSoFar | None) -> None:
        self.loop = asyncio.get_running_loop()
        self.key, self.latest = key, latest
        self._owner = owner
        self._signal = asyncio.Event()

    def offer(self, latest: AnswerSoFar | None) -> None:
        """On the watch's loop: the answer as it now stands (None: abandoned)."""
        self.latest = latest
        self._signal.set()

    async def changed(self) -> None:
        """Wait until ``latest`` changes."""
        await self._signal.wait()
        self._signal.clear()

    def close(self) -> None:
        self._owner.forget(self)


class LiveAnswers:
    """One per process. ``publish`` and ``end`` from any thread (the assistant's); ``watch``
    from a stream's event loop."""

    def __init__(self, url: str | None, *, keep: float = KEEP) -> None:
        """``url``: a connection string for NOTIFY and LISTEN (None: this process only)."""
        self._url, self._keep = url, keep
        self.origin = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._writing: dict[Key, _Writing] = {}
        self._watches: dict[Key, set[AnswerWatch]] = {}
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    # -- the writer's side ------------------------------------------------------------------

    def publish(self, key: Key, message_id: UUID, offset: int, piece: str) -> None:
        """``piece`` of the answer ``message_id``, starting at character ``offset`` (0 with
        an empty piece: the answer starts again, a provider failed mid-answer)."""
        self._apply(key, message_id, offset, piece)
        for start in range(0, max(len(piece), 1), PIECE):
            self._send("p", key, message_id, offset + start, piece[start:start + PIECE])

    def end(self, key: Key, message_id: UUID, *, stored: bool) -> None:
        """The answer is over: ``stored`` (the stream's next thread shows it) or abandoned
        (the watchers drop what they showed)."""
        self._finish(key, message_id, stored)
        self._send("s" if stored else "a", key, message_id, 0, "")

    # -- the streams' side ------------------------------------------------------------------

    def watch(self, tenant_id: UUID, conversation_id: UUID) -> AnswerWatch:
        """A watch of the conversation's answers, starting from the one being written."""
        key = (tenant_id, conversation_id)
        self._start()
        with self._lock:
            writing = self._writing.get(key)
            latest = AnswerSoFar(writing.message_id, writing.text) if writing else None
            watch = AnswerWatch(self, key, latest)
            self._watches.setdefault(key, set()).add(watch)
        return watch

    def forget(self, watch: AnswerWatch) -> None:
        with self._lock:
            watches = self._watches.get(watch.key)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[watch.key]

    # -- state ------------------------------------------------------------------------------

    def _apply(self, key: Key, message_id: UUID, offset: int, piece: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            writing = self._writing.get(key)
            if offset == 0:
                writing = self._writing[key] = _Writing(message_id, piece, now)
            elif (writing is None or writing.message_id != message_id
                  or len(writing.text) != offset):
                return  # a piece missed: no more of this answer until it is stored
            else:
                writing.text += piece
                writing.at = now
            latest = AnswerSoFar(message_id, writing.text)
            watches = list(self._watches.get(key, ()))
        _offer(watches, latest)

    def _finish(self, key: Key, message_id: UUID, stored: bool) -> None:
        with self._lock:
            writing = self._writing.get(key)
            if writing is None or writing.message_id != message_id:
                return
            del self._writing[key]
            watches = [] if stored else list(self._watches.get(key, ()))
        _offer(watches, None)

    def _expire(self, now: float) -> None:
        """Drop answers not heard of for ``keep`` seconds (lock held)."""
        for key in [k for k, w in self._writing.items() if now - w.at > self._keep]:
            del self._writing[key]

    # -- other processes --------------------------------------------------------------------

    def _send(self, kind: str, key: Key, message_id: UUID, offset: int, piece: str) -> None:
        if self._url is None:
            return
        self._start()
        # NOTIFY payloads cannot hold NUL; one character for one keeps the offsets.
        self._outbox.put(f"{self.origin}|{kind}|{key[0]}|{key[1]}|{message_id}|{offset}|"
                         f"{piece.replace(chr(0), chr(0xFFFD))}")

    def heard(self, payload: str) -> None:
        """A NOTIFY of another process (its own are skipped)."""
        try:
            origin, kind, tenant, conversation, message, offset, piece = payload.split("|", 6)
            key, message_id = (UUID(tenant), UUID(conversation)), UUID(message)
            at = int(offset)
        except ValueError:
            log.debug("malformed answer notification skipped")
            return
        if origin == self.origin:
            return
        if kind == "p":
            self._apply(key, message_id, at, piece)
        else:
            self._finish(key, message_id, kind == "s")

    def _start(self) -> None:
        with self._lock:
            if self._url is None or self._threads or self._stop.is_set():
                return
            self._threads = [threading.Thread(target=self._sending, name="answers-notify",
                                              daemon=True),
                             threading.Thread(target=self._listening, name="answers-listen",
                                              daemon=True)]
            for thread in self._threads:
                thread.start()

    def _sending(self) -> None:
        conn: psycopg.Connection | None = None
        while True:
            payload = self._outbox.get()
            if payload is None:
                break
            batch = [payload]
            with contextlib.suppress(queue.Empty):
                while len(batch) < BATCH and batch[-1] is not None:
                    batch.append(self._outbox.get_nowait())  # type: ignore[arg-type]
            stopping = batch[-1] is None
            sent = [p for p in batch if p is not None]
            try:
                if conn is None or conn.closed:
                    assert self._url is not None
                    conn = psycopg.connect(self._url, autocommit=True)
                    conn.execute("SET synchronous_commit = off")
                with conn.transaction():
                    for one in sent:
                        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, one))
            except psycopg.Error as error:  # previews only: the stored answer still comes
                log.debug("answer notification failed: %s", error)
                conn = None
            if stopping:
                break
        if conn is not None:
            conn.close()

    def _listening(self) -> None:
        assert self._url is not None
        listen(self._url, CHANNEL, self.heard, self._stop)

    def stop(self) -> None:
        """Stop both threads; a later ``watch`` or ``publish`` starts them again."""
        with self._lock:
            threads, self._threads = self._threads, []
        if not threads:
            return
        self._stop.set()
        self._outbox.put(None)
        for thread in threads:
            thread.join(timeout=5)
        self._stop = threading.Event()


def _offer(watches: list[AnswerWatch], latest: AnswerSoFar | None) -> None:
    for watch in watches:
        with contextlib.suppress(RuntimeError):  # a closed loop: its stream is gone
            watch.loop.call_soon_threadsafe(watch.offer, latest)
