"""AI replies run on workers of their own, to the end, whoever is listening (ADR 0022): the
request (JSON or SSE) only reads the queue, so a client that disconnects mid-stream neither
cancels the answer nor leaves half of one; it is stored once, complete."""

from __future__ import annotations

import queue
import threading
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
        items: queue.Queue[Any] = queue.Queue()
        with self._idle:
            self._running += 1

        def run() -> None:
            try:
                for item in self._assistant.reply(ctx, conversation_id):
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
