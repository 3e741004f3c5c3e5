"""Wake projection runners after commits: at once in this process, by NOTIFY in others.

In this process a runner is woken at once only by commits of the topics it reads; the others
move their position past such commits within ``LAGGING`` seconds (in one wake-up for many
commits). Every runner woken by every commit cost a read and a tracking write per runner and
commit: with two dozen runners that was most of the CPU of a write.

NOTIFY is not sent from the command's transaction (PostgreSQL serialises NOTIFYing commits on
one global lock); a background thread sends at most one per ``interval``, on its own connection
with synchronous_commit off, so it costs the write path nothing. Its payload names the sending
process and the topics committed since the previous one, so a listening process wakes only
the runners that read them, as for its own commits (no topics named, for a list too long for
NOTIFY, wakes them all), and skips its own.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

import psycopg

CHANNEL = "frontdesk_events"
LAGGING = 0.05
MAX_PAYLOAD = 7_900  # NOTIFY payloads must be shorter than 8,000 bytes
log = logging.getLogger("frontdesk.notify")


class CommitNotifier:
    def __init__(self, url: str | None, *, interval: float = 0.005) -> None:
        self._url, self._interval = url, interval
        self._local: list[tuple[threading.Event, frozenset[str] | None]] = []
        self._lagging: set[threading.Event] = set()
        self._lagging_since = 0.0
        self._topics: set[str] | None = set()  # committed since the last NOTIFY; None: any
        self.origin = uuid.uuid4().hex[:12]  # names this process's NOTIFYs (it skips them)
        self._lock = threading.Lock()
        self._pending = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def subscribe(self, topics: Iterable[str] | None = None) -> threading.Event:
        """An event set after commits (for a runner in this process): at once after a commit
        of one of ``topics`` (None: of anything), within ``LAGGING`` seconds otherwise."""
        wake = threading.Event()
        self._local.append((wake, frozenset(topics) if topics is not None else None))
        return wake

    def __call__(self, position: str, topics: frozenset[str] | None = None) -> None:
        self.wake_local(topics)
        with self._lock:
            if topics is None or self._topics is None:
                self._topics = None
            else:
                self._topics.update(topics)
        if self._thread is None:  # the first commit of a process that runs no runtime
            self.start()
        self._pending.set()

    def wake_local(self, topics: frozenset[str] | None) -> None:
        """Wake this process's runners for commits of ``topics`` (None: of anything), made
        here or, through NOTIFY, elsewhere; the others within ``LAGGING`` seconds."""
        now = time.monotonic()
        with self._lock:
            for wake, interest in self._local:
                if interest is None or topics is None or interest & topics:
                    wake.set()
                else:
                    if not self._lagging:
                        self._lagging_since = now
                    self._lagging.add(wake)
            self._wake_lagging_if_due(now)

    def _wake_lagging_if_due(self, now: float) -> None:
        """Wake the lagging runners once the oldest of them has waited ``LAGGING`` (lock
        held)."""
        if self._lagging and now - self._lagging_since >= LAGGING:
            for wake in self._lagging:
                wake.set()
            self._lagging.clear()

    def start(self) -> None:
        with self._starting:
            if self._url is None or self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="commit-notifier",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._pending.set()

    def _run(self) -> None:
        conn: psycopg.Connection | None = None
        while not self._stop.is_set():
            if not self._pending.wait(LAGGING):
                with self._lock:  # no commit for a while: move the others' positions now
                    self._wake_lagging_if_due(time.monotonic())
                continue
            self._pending.clear()
            if self._stop.is_set():
                break
            payload = self.next_payload()
            if payload is None:
                continue
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self._url, autocommit=True)  # type: ignore[arg-type]
                    conn.execute("SET synchronous_commit = off")
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
            except psycopg.Error as error:
                log.debug("notify failed: %s", error)
                conn = None
            self._stop.wait(self._interval)
        if conn is not None:
            conn.close()


    def next_payload(self) -> str | None:
        """The NOTIFY for the commits since the previous one: this process and their topics
        (none named: any). None when there is nothing to send: a commit that added its topics
        while the previous NOTIFY was being prepared went out with it, and an empty NOTIFY
        would wake every runner of every other process."""
        with self._lock:
            topics, self._topics = self._topics, set()
        if topics is not None and not topics:
            return None
        named = ",".join(sorted(topics)) if topics is not None else ""
        return f"{self.origin}|{named if len(named) <= MAX_PAYLOAD else ''}"


def read_payload(payload: str) -> tuple[str, frozenset[str] | None]:
    """The origin of a NOTIFY and the topics it names (None: any)."""
    origin, _, named = payload.rpartition("|")
    return origin, frozenset(named.split(",")) if named else None


class NotificationListener:
    """LISTENs for commits of other processes and wakes the local runners that read the
    committed topics (``wake``: ``CommitNotifier.wake_local``)."""

    def __init__(self, url: str, wake: Callable[[frozenset[str] | None], None], *,
                 origin: str = "") -> None:
        """``origin``: this process's notifier, whose own NOTIFYs are skipped (its commits
        woke the local runners already)."""
        self._url, self._wake, self._origin = url, wake, origin
        self._stop = threading.Event()

    def run(self) -> None:
        listen(self._url, CHANNEL, self._heard, self._stop)

    def _heard(self, payload: str) -> None:
        origin, topics = read_payload(payload)
        if not origin or origin != self._origin:
            self._wake(topics)

    def stop(self) -> None:
        self._stop.set()


def listen(url: str, channel: str, heard: Callable[[str], None], stop: threading.Event) -> None:
    """LISTEN on ``channel`` until ``stop`` is set, handing each payload to ``heard``; a lost
    connection is opened again a second later."""
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"LISTEN {channel}")
                while not stop.is_set():
                    for notice in conn.notifies(timeout=1.0, stop_after=1):
                        heard(notice.payload)
        except psycopg.Error as error:
            log.debug("listen on %s failed: %s", channel, error)
            stop.wait(1.0)
