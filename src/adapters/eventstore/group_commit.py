"""Group commit: concurrent commands share one transaction and one WAL flush.

The first thread to arrive leads: it commits its own unit together with everything queued
(up to ``max_group``). Threads arriving meanwhile queue and sleep on their own event; when the
group is committed, the leader wakes exactly the members of its group, and hands leadership to
the first unit still queued. With one client there is no waiting and no thread hop; with many,
a durable commit is shared by a group, and no thread is woken for nothing.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from adapters.eventstore.recorder import CommitUnit


class GroupCommitter:
    def __init__(self, write_batch: Callable[[list[CommitUnit]], None], *,
                 max_group: int = 128) -> None:
        self._write_batch = write_batch
        self._max_group = max_group
        self._queue: deque[CommitUnit] = deque()
        self._leading = False
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str, frozenset[str]], None]] = []
        self.groups = 0
        self.units = 0

    def on_commit(self, listener: Callable[[str, frozenset[str]], None]) -> None:
        """Called with the position and the topics written after every successful group
        (outside any lock)."""
        self._listeners.append(listener)

    def commit(self, unit: CommitUnit) -> CommitUnit:
        with self._lock:
            if self._leading:
                self._queue.append(unit)
                follower = True
            else:
                self._leading = follower = True
                follower = False
        if follower:
            unit.wake.wait()
            if unit.finished:
                return unit
            # Promoted: this thread leads the next group, which starts with its own unit.
        group = [unit]
        with self._lock:
            while self._queue and len(group) < self._max_group:
                group.append(self._queue.popleft())
        try:
            self._write_batch(group)
        finally:
            for member in group:
                member.finished = True
                if member is not unit:
                    member.wake.set()
            with self._lock:
                self.groups += 1
                self.units += len(group)
                if self._queue:
                    self._queue.popleft().wake.set()  # leadership passes on
                else:
                    self._leading = False
        position = next((m.position for m in group if m.position), None)
        if position is not None:
            topics = frozenset(e.topic for m in group if m.position for e in m.events)
            for listener in self._listeners:
                listener(position, topics)
        return unit
