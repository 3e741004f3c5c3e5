"""Group commit: concurrent commands share one transaction and one WAL flush.

The first thread to arrive leads: it takes everything queued (up to ``max_group``) and commits it
as one group; threads arriving meanwhile wait, and one of them leads the next group. With one
client there is no waiting and no thread hop; with many, a durable commit is shared by a group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from adapters.eventstore.recorder import CommitUnit


class GroupCommitter:
    def __init__(self, write_batch: Callable[[list[CommitUnit]], None], *,
                 max_group: int = 128) -> None:
        self._write_batch = write_batch
        self._max_group = max_group
        self._queue: list[CommitUnit] = []
        self._leading = False
        self._cond = threading.Condition(threading.Lock())
        self._listeners: list[Callable[[str], None]] = []
        self.groups = 0
        self.units = 0

    def on_commit(self, listener: Callable[[str], None]) -> None:
        """Called with the position after every successful group (outside any lock)."""
        self._listeners.append(listener)

    def commit(self, unit: CommitUnit) -> CommitUnit:
        committed: list[str] = []
        with self._cond:
            self._queue.append(unit)
            while not unit.finished:
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                group = self._queue[: self._max_group]
                del self._queue[: self._max_group]
                self._cond.release()
                try:
                    self._write_batch(group)
                finally:
                    self._cond.acquire()
                    for member in group:
                        member.finished = True
                    self._leading = False
                    self.groups += 1
                    self.units += len(group)
                    self._cond.notify_all()
                position = next((m.position for m in group if m.position), None)
                if position is not None:
                    committed.append(position)
        for position in committed:
            for listener in self._listeners:
                listener(position)
        return unit
