"""Conversations: messages on every channel, the AI assistant's replies and settings, hand-off,
resolution and surveys, and the inbound webhooks of Twilio and email."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.openapi.spec import Tag

from adapters.messaging.inbound_email import MalformedEmail
from application.conversations.ports import ModelUnavailable
from entrypoints.container import Container
from entrypoints.http.conversations.assistant import AssistantController
from entrypoints.http.conversations.inbound import (
    BadSignature,
    ChannelDisabled,
    InboundSecrets,
    WebhooksController,
)
from entrypoints.http.conversations.routes import ConversationsController, ReplyTimedOut
from entrypoints.http.problems import problem
from entrypoints.http.slices import Slice

Problem = Response[dict[str, Any]]


def _model_unavailable(_: Request[Any, Any, Any], error: ModelUnavailable) -> Problem:
    return problem(503, "llm-unavailable", "no language-model provider is available; the "
                   "conversation is unchanged, retry later", headers={"Retry-After": "30"},
                   tried=list(error.tried))


def _provide(root: Container) -> dict[str, object]:
    settings, conversations = root.settings(), root.conversations
    return {"conversations": conversations.queries(), "replies": conversations.replies(),
            "assistant_settings": conversations.assistant_settings(),
            "tenants": root.identity.tenants(),
            "secrets": InboundSecrets(settings.twilio_auth_token,
                                      root.identity.email_secrets(), settings.public_url,
                                      root.clock())}


def _stop(root: Container) -> None:
    root.conversations.replies().wait_idle(timeout=30)  # answers under way are stored first


SLICE = Slice(
    "conversations", [ConversationsController, AssistantController, WebhooksController],
    [Tag(name="conversations", description="Conversations, AI replies, hand-off")],
    provide=_provide, stop=_stop,
    problems={
        ModelUnavailable: _model_unavailable,
        ReplyTimedOut: lambda _, __: problem(504, "llm-timeout", "the answer is still being "
                                             "generated; it will be stored when complete"),
        ChannelDisabled: lambda _, off: problem(503, f"{off.channel}-disabled", off.detail),
        BadSignature: lambda _, bad: problem(403, "bad-signature", str(bad)),
        MalformedEmail: lambda _, bad: problem(400, "malformed-email", str(bad))})
