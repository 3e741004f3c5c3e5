"""The conversations part of the composition root (a nested dependency-injector container, so
the main container only gains one line per collaborator it shares)."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from adapters.identity.assistant_settings import PostgresAssistantSettings
from adapters.knowledge.memory_retriever import MemoryRetriever
from adapters.knowledge.retriever import LexicalRetriever
from adapters.llm.tokens import EstimatedTokenCounter
from adapters.readmodels.conversations import SqlConversationQueries
from application.conversations.assistant import AiAssistant
from application.conversations.auto_reply import AutoReply
from application.conversations.context import ContextBuilder
from application.conversations.handlers import (
    BeginDispatchHandler,
    HandOffHandler,
    JoinConversationHandler,
    PostMessageHandler,
    RecordAiReplyHandler,
    RecordDeliveryHandler,
    RecordSurveyHandler,
    ResolveConversationHandler,
    StartConversationHandler,
)
from application.conversations.inbound import ReceiveInboundHandler, RecordCallHandler
from application.conversations.outbox import OutboxDispatcher
from application.knowledge import AddKnowledgeHandler
from entrypoints.vendors import email_transport, language_model, sms_transport


class ConversationsContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Any] = providers.Dependency()
    clock: providers.Dependency[Any] = providers.Dependency()
    phones: providers.Dependency[Any] = providers.Dependency()
    bus: providers.Dependency[Any] = providers.Dependency()
    unit_of_work: providers.Dependency[Any] = providers.Dependency()
    app_pool: providers.Dependency[Any] = providers.Dependency()
    reader: providers.Dependency[Any] = providers.Dependency()
    memory_search: providers.Dependency[Any] = providers.Dependency()
    circuits: providers.Dependency[Any] = providers.Dependency()

    assistant_settings = providers.Singleton(PostgresAssistantSettings, app_pool)
    queries = providers.Singleton(SqlConversationQueries, reader)
    retriever = providers.Selector(
        settings.provided.retriever,
        memory=providers.Singleton(MemoryRetriever, memory_search),
        lexical=providers.Singleton(LexicalRetriever, app_pool))
    tokens = providers.Singleton(EstimatedTokenCounter)
    language_model = providers.Singleton(language_model, settings, circuits)
    context = providers.Singleton(ContextBuilder, retriever, tokens)

    # -- command handlers (one per command) -------------------------------------------------
    start = providers.Singleton(StartConversationHandler, clock, assistant_settings)
    post_message = providers.Singleton(PostMessageHandler, clock, assistant_settings)
    hand_off = providers.Singleton(HandOffHandler, clock, assistant_settings)
    join = providers.Singleton(JoinConversationHandler, clock, assistant_settings)
    resolve = providers.Singleton(ResolveConversationHandler, clock, assistant_settings)
    survey = providers.Singleton(RecordSurveyHandler, clock, assistant_settings)
    record_ai_reply = providers.Singleton(RecordAiReplyHandler, clock, assistant_settings)
    begin_dispatch = providers.Singleton(BeginDispatchHandler, clock, assistant_settings)
    record_delivery = providers.Singleton(RecordDeliveryHandler, clock, assistant_settings)
    receive_inbound = providers.Singleton(ReceiveInboundHandler, clock, phones,
                                          assistant_settings)
    record_call = providers.Singleton(RecordCallHandler, clock, phones, assistant_settings)
    add_knowledge = providers.Singleton(AddKnowledgeHandler, clock)

    assistant = providers.Singleton(AiAssistant, unit_of_work, bus, language_model, context,
                                    assistant_settings, record_ai_reply)
    auto_reply = providers.Singleton(AutoReply, assistant, unit_of_work, bus,
                                     assistant_settings, hand_off)

    # -- the outboxes -----------------------------------------------------------------------
    sms_transport = providers.Singleton(sms_transport, settings, assistant_settings, circuits)
    email_transport = providers.Singleton(email_transport, settings, circuits)
    sms_outbox = providers.Singleton(OutboxDispatcher, sms_transport, unit_of_work, bus,
                                     begin_dispatch, record_delivery)
    email_outbox = providers.Singleton(OutboxDispatcher, email_transport, unit_of_work, bus,
                                       begin_dispatch, record_delivery)
