"""Log consumers: work that follows the event log in commit order and talks to the outside world
(the outbox dispatchers). A runner feeds each one the events it names, one process at a time,
and moves its position only past events it has handled; an exception makes the runner retry the
same events later, so ``handle`` must be idempotent (it checks the aggregate's state first)."""

from __future__ import annotations

from typing import Any, Protocol


class LogConsumer(Protocol):
    name: str
    event_classes: tuple[type, ...]

    def handle(self, event: Any) -> None: ...


class PositionedLogConsumer(LogConsumer, Protocol):
    """A consumer that is handed each event's position (``TX:ID``) with it, and told when its
    runner reloads its position (what it remembers of earlier events may then be stale: another
    process may have handled some meanwhile). The runner calls ``handle_at`` instead of
    ``handle``."""

    def handle_at(self, event: Any, position: str) -> None: ...

    def resume(self) -> None: ...
