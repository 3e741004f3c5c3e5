"""The conversation routes and what they receive, built from the container (kept apart from
app.py so that file only gains a couple of lines)."""

from __future__ import annotations

from typing import Any

from entrypoints.container import Container
from entrypoints.http.conversation_deps import (
    AssistantAdmin,
    ConversationHandlers,
    ReplyRunner,
    Webhooks,
)
from entrypoints.http.routes.assistant import (
    AiUsageController,
    AssistantController,
    KnowledgeController,
)
from entrypoints.http.routes.conversations import ConversationsController
from entrypoints.http.routes.webhooks import WebhooksController

conversation_routes = [ConversationsController, KnowledgeController, AssistantController,
                       AiUsageController, WebhooksController]


def conversation_dependencies(container: Container) -> tuple[dict[str, Any], ReplyRunner]:
    c = container.conversations
    settings = container.settings()
    replies = ReplyRunner(c.assistant())
    handlers = ConversationHandlers(
        start=c.start(), post_message=c.post_message(), hand_off=c.hand_off(), join=c.join(),
        resolve=c.resolve(), survey=c.survey(), queries=c.queries(), replies=replies,
        reply_timeout=settings.llm_timeout * 4 + 30)
    assistant = AssistantAdmin(settings=c.assistant_settings(),
                               add_knowledge=c.add_knowledge(), retriever=c.retriever(),
                               queries=c.queries())
    hooks = Webhooks(tenants=container.tenants(), receive=c.receive_inbound(),
                     record_call=c.record_call(), record_delivery=c.record_delivery(),
                     twilio_auth_token=settings.twilio_auth_token,
                     email_secret=settings.email_webhook_secret, public_url=settings.public_url)
    return {"conversations": handlers, "assistant": assistant, "hooks": hooks}, replies
