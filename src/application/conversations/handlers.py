"""The conversations context's command handlers (``command_handlers``): load (checking
If-Match), call the aggregate, stage it. Inbound messages and calls are in ``inbound``."""

from __future__ import annotations

from contextlib import suppress

from application.aggregates import load_for_change
from application.bus import Handlers
from application.conversations.body_deletion import DeleteMessageBodies, delete_message_bodies
from application.conversations.commands import (
    BeginDispatch,
    HandOff,
    JoinConversation,
    PostMessage,
    ReceiveInbound,
    RecordAiDraft,
    RecordAiReply,
    RecordCall,
    RecordDelivery,
    RecordSurvey,
    ResolveConversation,
    StartConversation,
)
from application.conversations.inbound import ReceiveInboundHandler, RecordCallHandler
from application.conversations.ports import AssistantSettingsSource
from application.conversations.reachability import address_on, agent_of, must_be_reachable
from application.conversations.views import ConversationView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import DispositionCatalog, catalog_id
from domain.contacts import Contact
from domain.conversations import (
    Channel,
    Conversation,
    Delivery,
    DispositionCode,
    HandoffReason,
    Rating,
)
from domain.conversations.errors import ConversationAlreadyOpen
from domain.ports import PhoneNormaliser
from domain.shared import InvalidValue, NotFound
from domain.shared.ids import new_id


class _WithSettings:
    """A handler that reads the tenant's assistant settings (senders, hand-off rules,
    dispositions)."""

    def __init__(self, settings: AssistantSettingsSource) -> None:
        self._settings = settings


class StartConversationHandler(_WithSettings):
    def __call__(self, command: StartConversation, uow: UnitOfWork,
                 ctx: CommandContext) -> ConversationView:
        channel = Channel.parse(command.channel)
        contact = uow.get(Contact, command.contact_id)
        customer_address = address_on(contact, channel)
        if channel is not Channel.WEBCHAT and customer_address is None:
            raise InvalidValue("channel", f"the contact has no address for {channel.value}")
        existing = uow.owners_of([Conversation.open_claim(contact.id, channel)])
        if existing:
            raise ConversationAlreadyOpen(
                f"the contact already has an open {channel.value} conversation",
                existing_id=str(next(iter(existing.values()))))
        sender = self._settings.for_tenant(ctx.tenant_id).senders.get(channel.value)
        conversation = Conversation.start(
            conversation_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor,
            at=ctx.now, contact_id=contact.id, channel=channel,
            subject=command.subject, customer_address=customer_address, our_address=sender)
        uow.add(conversation)
        return ConversationView.of(conversation)


class PostMessageHandler(_WithSettings):
    """The customer's message (web chat, or any channel relayed by an integration) or an
    agent's reply; an agent's reply on SMS, WhatsApp or email goes out through the outbox."""

    def __call__(self, command: PostMessage, uow: UnitOfWork,
                 ctx: CommandContext) -> ConversationView:
        conversation = load_for_change(uow, Conversation, command.conversation_id,
                                       command.expected_version)
        now = ctx.now
        if command.author == "customer":
            rules = self._settings.for_tenant(ctx.tenant_id).handoff
            conversation.receive(actor=ctx.actor, at=now, message_id=new_id(),
                                 body=command.body, external_id=command.external_id,
                                 rules=rules)
        elif command.author == "agent":
            must_be_reachable(uow.get(Contact, conversation.contact_id), conversation.channel)
            conversation.send_agent_message(actor=ctx.actor, at=now, message_id=new_id(),
                                            agent_id=agent_of(ctx), body=command.body)
        else:
            raise InvalidValue("author", "must be customer or agent")
        uow.add(conversation)
        return ConversationView.of(conversation)


def hand_off(command: HandOff, uow: UnitOfWork,
             ctx: CommandContext) -> ConversationView:
    conversation = load_for_change(uow, Conversation, command.conversation_id,
                                   command.expected_version)
    conversation.hand_off(actor=ctx.actor, at=ctx.now,
                          reason=HandoffReason(command.code), detail=command.reason)
    uow.add(conversation)
    return ConversationView.of(conversation)


def join_conversation(command: JoinConversation, uow: UnitOfWork,
                      ctx: CommandContext) -> ConversationView:
    conversation = load_for_change(uow, Conversation, command.conversation_id,
                                   command.expected_version)
    conversation.join(actor=ctx.actor, at=ctx.now, agent_id=agent_of(ctx))
    uow.add(conversation)
    return ConversationView.of(conversation)


class ResolveConversationHandler(_WithSettings):
    def __call__(self, command: ResolveConversation, uow: UnitOfWork,
                 ctx: CommandContext) -> ConversationView:
        conversation = load_for_change(uow, Conversation, command.conversation_id,
                                       command.expected_version)
        codes = self._settings.for_tenant(ctx.tenant_id).dispositions
        with suppress(NotFound):  # the tenant's codes of POST /v1/dispositions count too
            codes = codes | frozenset(uow.get(DispositionCatalog, catalog_id(ctx.tenant_id)).codes)
        conversation.resolve(actor=ctx.actor, at=ctx.now,
                             disposition=DispositionCode(command.disposition),
                             tenant_codes=codes, note=command.note)
        uow.add(conversation)
        return ConversationView.of(conversation)


def record_survey(command: RecordSurvey, uow: UnitOfWork,
                  ctx: CommandContext) -> ConversationView:
    conversation = load_for_change(uow, Conversation, command.conversation_id,
                                   command.expected_version)
    now = ctx.now
    if command.kind == "csat":
        conversation.record_csat(actor=ctx.actor, at=now, score=Rating.csat(command.score),
                                 comment=command.comment)
    elif command.kind == "nps":
        conversation.record_nps(actor=ctx.actor, at=now, score=Rating.nps(command.score),
                                comment=command.comment)
    else:
        raise InvalidValue("kind", "must be csat or nps")
    uow.add(conversation)
    return ConversationView.of(conversation)


class RecordAiReplyHandler(_WithSettings):
    """Stores a complete AI answer once (the assistant service generated it beforehand)."""

    def __call__(self, command: RecordAiReply, uow: UnitOfWork,
                 ctx: CommandContext) -> tuple[ConversationView, bool]:
        conversation = uow.get(Conversation, command.conversation_id)
        if conversation.channel.delivers_outbound:
            must_be_reachable(uow.get(Contact, conversation.contact_id), conversation.channel)
        rules = self._settings.for_tenant(ctx.tenant_id).handoff
        delivered = conversation.record_ai_reply(
            actor=ctx.actor, at=ctx.now, message_id=command.message_id,
            body=command.body, provenance=command.provenance, rules=rules)
        uow.add(conversation)
        return ConversationView.of(conversation), delivered


def record_ai_draft(command: RecordAiDraft, uow: UnitOfWork,
                    ctx: CommandContext) -> ConversationView:
    """Stores a reply the assistant drafted for the agent (the assistant generated it)."""
    conversation = uow.get(Conversation, command.conversation_id)
    conversation.record_ai_draft(actor=ctx.actor, at=ctx.now, draft_id=command.draft_id,
                                 body=command.text, provenance=command.provenance)
    uow.add(conversation)
    return ConversationView.of(conversation)


def begin_dispatch(command: BeginDispatch, uow: UnitOfWork, ctx: CommandContext) -> int:
    conversation = uow.get(Conversation, command.conversation_id)
    attempt = conversation.begin_dispatch(actor=ctx.actor, at=ctx.now,
                                          message_id=command.message_id)
    uow.add(conversation)
    return attempt


def record_delivery(command: RecordDelivery, uow: UnitOfWork, ctx: CommandContext) -> bool:
    """The outbox's outcome, or a vendor's status callback (repeats are ignored)."""
    conversation = uow.get(Conversation, command.conversation_id)
    try:
        status = Delivery(command.status)
    except ValueError:
        raise InvalidValue("status", "is not a delivery status") from None
    changed = conversation.update_delivery(actor=ctx.actor, at=ctx.now,
                                           message_id=command.message_id, status=status,
                                           external_id=command.external_id,
                                           error=command.error)
    if changed:
        uow.add(conversation)
    return changed


def command_handlers(settings: AssistantSettingsSource, phones: PhoneNormaliser) -> Handlers:
    """The conversations context's handlers; those that read the assistant settings or
    normalise addresses hold them."""
    return {StartConversation: StartConversationHandler(settings),
            PostMessage: PostMessageHandler(settings), HandOff: hand_off,
            JoinConversation: join_conversation,
            ResolveConversation: ResolveConversationHandler(settings),
            RecordSurvey: record_survey, RecordAiReply: RecordAiReplyHandler(settings),
            RecordAiDraft: record_ai_draft,
            BeginDispatch: begin_dispatch, RecordDelivery: record_delivery,
            ReceiveInbound: ReceiveInboundHandler(phones, settings),
            RecordCall: RecordCallHandler(phones, settings),
            DeleteMessageBodies: delete_message_bodies}
