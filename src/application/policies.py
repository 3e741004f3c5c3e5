"""Process managers (policies): react to events by issuing commands.

A policy names the event classes it follows and, for each event, the commands it wants run
(``react``). A runner feeds it the log in commit order and remembers its position; commands are
run through the command bus, each its own commit, before the position moves. A crash in between
replays the reaction, so reactions must be idempotent — give the command the identity of what it
creates (e.g. the case id a LeadConverted names) so a replay finds it already done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Reaction:
    command: Any
    tenant_id: UUID
    actor: str


class Policy:
    name: ClassVar[str]
    event_classes: ClassVar[tuple[type, ...]]

    def react(self, event: Any) -> Sequence[Reaction]:
        raise NotImplementedError
