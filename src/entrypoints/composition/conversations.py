"""Conversations: the AI assistant, its settings and context, inbound messages, the outboxes."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.identity.assistant_settings import PostgresAssistantSettings
from adapters.knowledge.memory_retriever import MemoryRetriever
from adapters.knowledge.retriever import LexicalRetriever
from adapters.llm.tokens import EstimatedTokenCounter
from adapters.postgres.database import DictPool
from adapters.readmodels.conversations import SqlConversationQueries
from adapters.readmodels.engine import ReadModelReader
from adapters.resilience import VendorCircuits
from application.bus import CommandBus
from application.conversations.assistant import AiAssistant
from application.conversations.auto_reply import AutoReply
from application.conversations.context import ContextBuilder
from application.conversations.handlers import command_handlers
from application.conversations.outbox import OutboxDispatcher
from application.conversations.replies import ReplyRunner
from application.memories import MemorySearch
from application.ports import UnitOfWorkFactory
from domain.ports import PhoneNormaliser
from entrypoints.settings import Settings
from entrypoints.vendors import email_transport, language_model, sms_transport


class ConversationsContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    phones: providers.Dependency[PhoneNormaliser] = providers.Dependency()
    bus: providers.Dependency[CommandBus] = providers.Dependency()
    unit_of_work: providers.Dependency[UnitOfWorkFactory] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()
    mapper: providers.Dependency[PersonalDataMapper] = providers.Dependency()
    memory_search: providers.Dependency[MemorySearch] = providers.Dependency()
    circuits: providers.Dependency[VendorCircuits] = providers.Dependency()

    assistant_settings = providers.Singleton(PostgresAssistantSettings, app_pool)
    handlers = providers.Callable(command_handlers, assistant_settings, phones)
    # AI usage as of a past moment is read as the API's role and the tenant (ADR 0072, 0091).
    queries = providers.Singleton(SqlConversationQueries, reader, app_pool, mapper)
    lexical = providers.Singleton(LexicalRetriever, app_pool)
    retriever = providers.Selector(
        settings.provided.retriever,
        memory=providers.Singleton(MemoryRetriever, memory_search),
        lexical=lexical)
    tokens = providers.Singleton(EstimatedTokenCounter)
    language_model = providers.Singleton(language_model, settings, circuits)
    context = providers.Singleton(ContextBuilder, retriever, tokens)
    assistant = providers.Singleton(AiAssistant, unit_of_work, bus, language_model, context,
                                    assistant_settings)
    auto_reply = providers.Singleton(AutoReply, assistant, unit_of_work, assistant_settings)
    replies = providers.Singleton(ReplyRunner, assistant, wait_seconds=providers.Callable(
        lambda timeout: timeout * 4 + 30, settings.provided.llm_timeout))

    # -- the outboxes -----------------------------------------------------------------------
    sms_transport = providers.Singleton(sms_transport, settings, assistant_settings, circuits)
    email_transport = providers.Singleton(email_transport, settings, circuits)
    sms_outbox = providers.Singleton(OutboxDispatcher, sms_transport, unit_of_work, bus)
    email_outbox = providers.Singleton(OutboxDispatcher, email_transport, unit_of_work, bus)
