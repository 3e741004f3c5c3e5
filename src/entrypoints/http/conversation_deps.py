"""What the conversation routes receive: handlers and services grouped per resource."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.di import NamedDependency

from adapters.identity.assistant_settings import PostgresAssistantSettings
from adapters.knowledge.retriever import LexicalRetriever
from adapters.readmodels.conversations import SqlConversationQueries
from application.conversations.assistant import AiAssistant
from application.conversations.handlers import (
    HandOffHandler,
    JoinConversationHandler,
    PostMessageHandler,
    RecordDeliveryHandler,
    RecordSurveyHandler,
    ResolveConversationHandler,
    StartConversationHandler,
)
from application.conversations.inbound import ReceiveInboundHandler, RecordCallHandler
from application.identity import TenantDirectory
from application.knowledge import AddKnowledgeHandler
from application.ports import CommandContext

FINISHED = object()


@dataclass(frozen=True)
class Failure:
    error: BaseException


class ReplyRunner:
    """Runs AI replies on workers of their own, to the end, whoever is listening (ADR 0022):
    the request (JSON or SSE) only reads the queue, so a client that disconnects mid-stream
    neither cancels the answer nor leaves half of one — it is stored once, complete."""

    def __init__(self, assistant: AiAssistant, workers: int = 8) -> None:
        self._assistant = assistant
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
            except BaseException as error:  # handed to the request, which maps it
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


@dataclass(frozen=True)
class ConversationHandlers:
    start: StartConversationHandler
    post_message: PostMessageHandler
    hand_off: HandOffHandler
    join: JoinConversationHandler
    resolve: ResolveConversationHandler
    survey: RecordSurveyHandler
    queries: SqlConversationQueries
    replies: ReplyRunner
    reply_timeout: float


@dataclass(frozen=True)
class AssistantAdmin:
    settings: PostgresAssistantSettings
    add_knowledge: AddKnowledgeHandler
    retriever: LexicalRetriever
    queries: SqlConversationQueries


@dataclass(frozen=True)
class Webhooks:
    tenants: TenantDirectory
    receive: ReceiveInboundHandler
    record_call: RecordCallHandler
    record_delivery: RecordDeliveryHandler
    twilio_auth_token: str | None
    email_secret: str | None
    public_url: str | None


Conversations = NamedDependency[ConversationHandlers]
Assistant = NamedDependency[AssistantAdmin]
Hooks = NamedDependency[Webhooks]
