"""AI answers run on workers of their own, to the end, whoever is listening (ADR 0022): the
request (JSON or SSE) only reads the queue, so a client that disconnects mid-stream neither
cancels the answer nor leaves half of one; it is stored once, complete.

The runner runs any reply-like generator (``AiAssistant.reply`` or ``AiAssistant.draft``):
``start`` for the customer's answer, ``start_draft`` for an agent's draft, ``run`` for either.
Each queue holds the generator's items in order, then a ``Failure`` if it raised, then
``FINISHED``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.conversations.assistant import AiAssistant
from application.ports import CommandContext

FINISHED = object()
"""The last item of every reply's queue."""


@dataclass(frozen=True)
class Failure:
    """The reply failed with ``error``; handed to the listener, which maps it."""

    error: BaseException


class ReplyRunner:
    def __init__(self, assistant: AiAssistant, *, wait_seconds: float, workers: int = 8) -> None:
        self._assistant = assistant
        self.wait_seconds = wait_seconds
        """How long a listener waits for the next item before giving up on the answer."""
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ai-reply")
        self._running = 0
        self._idle = threading.Condition()

    def start(self, ctx: CommandContext, conversation_id: UUID) -> queue.Queue[Any]:
        """The assistant's answer to the customer: ReplyStarted, Delta..., ReplyStored."""
        return self.run(self._assistant.reply(ctx, conversation_id))

    def start_draft(self, ctx: CommandContext, conversation_id: UUID) -> queue.Queue[Any]:
        """A draft for the agent: DraftStarted, Delta | Restart..., DraftStored."""
        return self.run(self._assistant.draft(ctx, conversation_id))

    def run(self, generation: Iterable[Any]) -> queue.Queue[Any]:
        """Consume ``generation`` (a reply-like generator, not yet started) to its end on a
        worker; its items go to the queue returned, as they come."""
        items: queue.Queue[Any] = queue.Queue()
        with self._idle:
            self._running += 1

        def run() -> None:
            try:
                for item in generation:
                    items.put(item)
            except BaseException as error:
                items.put(Failure(error))
            finally:
                items.put(FINISHED)
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        self._pool.submit(run)
        return items

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no reply is being generated (shutdown, tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
