"""The composition root: the one place that builds the object graph (dependency-injector).

The root builds what every bounded context shares (settings, the database and its pools, the
event store, the clock, the command bus) and includes one typed sub-container per context
(``entrypoints.composition``). The bus is built from every context's handler mapping, merged
(ADR 0066). Everything else takes its collaborators as constructor arguments; tests override
providers (for example the clock) instead of patching globals.
"""

from __future__ import annotations

from typing import Any, cast

from dependency_injector import containers, providers
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from adapters.clock import SystemClock
from adapters.crypto.blind_index import HmacBlindIndex
from adapters.crypto.keys import DataKeyStore, KeyEncryptionKeys
from adapters.eventstore.group_commit import GroupCommitter
from adapters.eventstore.mapper import PersonalDataMapper
from adapters.eventstore.recorder import TenantEventRecorder
from adapters.eventstore.store import TenantEventStore
from adapters.eventstore.transcoding import frontdesk_transcoder
from adapters.eventstore.unit_of_work import PostgresUnitOfWorkFactory
from adapters.observability.service import observe_command
from adapters.observability.tracing import SpanCommandTracer, Tracing
from adapters.phones import LibPhoneNormaliser
from adapters.postgres.circuit import CONNECT_TIMEOUT, RECONNECT_TIMEOUT
from adapters.postgres.database import DatabaseRoles, DictPool, OnDemandPool
from adapters.privacy.rebuild_leftovers import rebuild_tables
from adapters.projections.consistency import TrackingConsistencyGate
from adapters.projections.manager import ProjectionManager, followers_of
from adapters.projections.notify import CommitNotifier
from adapters.projections.tables import TABLES
from adapters.readmodels.engine import ReadModelReader
from adapters.resilience import VendorCircuits
from application.bus import CommandBus, merge_handlers
from application.projections import ContactsProjection, LeadPipelineProjection
from application.projections.ai_usage import AiUsageProjection
from application.projections.audit import AuditProjection
from application.projections.base import Projection
from application.projections.cases import CasesProjection
from application.projections.conversations import ConversationsProjection
from application.projections.ltv import LtvProjection
from domain.contacts import Contact
from entrypoints.composition import (
    AnalyticsContainer,
    CasesContainer,
    ContactCenterContainer,
    ConversationsContainer,
    IdentityContainer,
    KnowledgeContainer,
    LeadsContainer,
    PrivacyContainer,
    StreamsContainer,
    WebhooksContainer,
)
from entrypoints.database import connect_database
from entrypoints.settings import Settings
from entrypoints.vendors import every_vendor


def _datastore(roles: DatabaseRoles, pool_size: int) -> PostgresDatastore:
    params = roles.params(roles.app_url)
    # A small warm core that grows under load: the pool hands connections out oldest-first,
    # so fewer idle connections means warmer backends for each statement.
    # No pre_ping (a round trip per checkout, measurable under load): connections broken by
    # a database restart are dropped by the database circuit's recovery, after the first
    # failure opened it (ADR 0073, app.py).
    datastore = PostgresDatastore(**params, pool_size=2, max_overflow=pool_size * 3,
                                  connect_timeout=10)  # eventsourcing's name for the pool wait
    # Not settable through eventsourcing: a bound on each new connection, and a pool that
    # gives up retrying after RECONNECT_TIMEOUT instead of doubling its back-off for minutes,
    # so it connects at once when asked after an outage (ADR 0073).
    datastore.pool.kwargs = {**cast(dict[str, Any], datastore.pool.kwargs),
                             "connect_timeout": CONNECT_TIMEOUT}
    datastore.pool.reconnect_timeout = RECONNECT_TIMEOUT
    datastore.pool.open(wait=True, timeout=30)
    return datastore


def _worker_pool(roles: DatabaseRoles, size: int) -> DictPool:
    """The worker role's pool, opened at its first use: an API process has the worker's
    readers wired (its readiness lists them) but never reads as the worker, so it never
    connects as it; without the worker's credentials, that first use raises RoleNotGiven
    (ADR 0072)."""
    def configure(conn: Any) -> None:
        conn.autocommit = True
        # Projection batches commit their rows with their tracking position, so a crash can
        # only lose both together (and the batch is redone): no need to wait for the fsync.
        conn.execute("SET synchronous_commit = off")

    return OnDemandPool(roles.worker, min_size=1, max_size=size,
                        kwargs={"row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT},
                        configure=configure, check=ConnectionPool.check_connection,
                        reconnect_timeout=RECONNECT_TIMEOUT)


def personal_tables(projections: list[Projection]) -> list[str]:
    """The read-model tables with a personal column: rewritten after an erasure."""
    return [t for p in projections for t in p.tables
            if any(c.info.get("personal") for c in TABLES[t].columns)]


def _tracing(settings: Settings) -> Tracing | None:
    """The process's traces (ADR 0083), instrumented: only with ``FRONTDESK_OTLP_ENDPOINT``.
    Resolved before any pool opens (``start_tracing``): connections opened earlier are not
    traced."""
    if not settings.otlp_endpoint:
        return None
    return Tracing.exporting(settings.otlp_endpoint,
                             sample_ratio=settings.trace_sample_ratio).instrument()


def _command_tracer(tracing: Tracing | None) -> SpanCommandTracer | None:
    return tracing.commands if tracing is not None else None


def _committer(recorder: TenantEventRecorder, notifier: CommitNotifier) -> GroupCommitter:
    committer = GroupCommitter(recorder.write_batch)
    committer.on_commit(notifier)
    return committer


def _purged_by_erasure(projections: list[Projection]) -> tuple[str, ...]:
    return tuple(p.name for p in projections if Contact.ContactErased in p.event_classes)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    database = providers.Singleton(connect_database, settings)
    tracing = providers.Singleton(_tracing, settings)
    clock = providers.Singleton(SystemClock)
    circuits = providers.Singleton(VendorCircuits)  # every vendor's breaker (ADR 0050)
    phones = providers.Singleton(LibPhoneNormaliser,
                                 default_region=settings.provided.default_phone_region)

    # -- persistence ------------------------------------------------------------------------
    datastore = providers.Singleton(_datastore, database, settings.provided.db_pool_size)
    app_pool = providers.Callable(lambda datastore: datastore.pool, datastore)
    worker_pool = providers.Singleton(_worker_pool, database, 8)
    keks = providers.Singleton(KeyEncryptionKeys.parse, settings.provided.key_encryption_keys)
    blind_index = providers.Singleton(HmacBlindIndex, settings.provided.blind_index_key_bytes)
    data_keys = providers.Singleton(DataKeyStore, app_pool, keks)
    worker_data_keys = providers.Singleton(DataKeyStore, worker_pool, keks, tenant_scoped=False)
    transcoder = providers.Singleton(frontdesk_transcoder)
    mapper = providers.Singleton(PersonalDataMapper, transcoder, data_keys)
    worker_mapper = providers.Singleton(PersonalDataMapper, transcoder, worker_data_keys)
    recorder = providers.Singleton(TenantEventRecorder, datastore)
    notifier = providers.Singleton(CommitNotifier, database.provided.app_url)
    committer = providers.Singleton(_committer, recorder, notifier)
    event_store = providers.Singleton(TenantEventStore, recorder, mapper, committer, blind_index)
    unit_of_work = providers.Singleton(PostgresUnitOfWorkFactory, event_store)
    # Its handlers are added below, once every context is declared.
    bus = providers.Singleton(CommandBus, unit_of_work, event_store, clock,
                              observe=providers.Object(observe_command),
                              tracer=providers.Callable(_command_tracer, tracing))
    consistency = providers.Singleton(TrackingConsistencyGate, app_pool)
    reader = providers.Singleton(ReadModelReader, app_pool)

    # -- the bounded contexts ---------------------------------------------------------------
    identity = providers.Container(IdentityContainer, settings=settings, clock=clock,
                                   app_pool=app_pool, worker_pool=worker_pool, reader=reader,
                                   keks=keks)
    knowledge = providers.Container(KnowledgeContainer, settings=settings, clock=clock,
                                    reader=reader)
    contact_center = providers.Container(
        ContactCenterContainer, clock=clock, bus=bus, app_pool=app_pool, worker_pool=worker_pool,
        reader=reader, mapper=mapper, route_on_arrival=settings.provided.route_on_arrival)
    webhooks = providers.Container(
        WebhooksContainer, settings=settings, clock=clock, bus=bus, unit_of_work=unit_of_work,
        worker_pool=worker_pool, worker_mapper=worker_mapper, reader=reader)
    projections = providers.List(providers.Singleton(ContactsProjection),
                                 providers.Singleton(LeadPipelineProjection),
                                 knowledge.memory_projection,
                                 providers.Singleton(ConversationsProjection),
                                 knowledge.knowledge_projection,
                                 providers.Singleton(AiUsageProjection),
                                 providers.Singleton(CasesProjection),
                                 providers.Singleton(LtvProjection),
                                 providers.Singleton(AuditProjection),
                                 contact_center.supervisor_projection,
                                 contact_center.performance_projection,
                                 contact_center.catalog_projection,
                                 webhooks.projection)
    leads = providers.Container(
        LeadsContainer, clock=clock, phones=phones, reader=reader, bus=bus,
        tenants=identity.tenants,
        purged_read_models=providers.Callable(_purged_by_erasure, projections))
    cases = providers.Container(CasesContainer, settings=settings, circuits=circuits,
                                reader=reader)
    conversations = providers.Container(
        ConversationsContainer, settings=settings, phones=phones, bus=bus,
        unit_of_work=unit_of_work, app_pool=app_pool, reader=reader, mapper=mapper,
        memory_search=knowledge.memory_search, circuits=circuits)
    analytics = providers.Container(AnalyticsContainer, reader=reader, app_pool=app_pool,
                                    mapper=mapper)
    privacy = providers.Container(
        PrivacyContainer, settings=settings, clock=clock, worker_pool=worker_pool,
        app_pool=app_pool, bus=bus,
        contact_queries=leads.contact_queries, lead_queries=leads.lead_queries,
        conversation_queries=conversations.queries, case_queries=cases.queries,
        task_queries=contact_center.queries, audit_queries=identity.audit_queries,
        history=event_store, memories=knowledge.contact_memories,
        projection_names=providers.Callable(lambda ps: [p.name for p in ps], projections),
        personal_tables=providers.Callable(personal_tables, projections),
        rebuild_tables=providers.Callable(rebuild_tables, projections))
    # Live event streams (ADR 0067): read as the API's role, woken by this process's commits
    # and by a LISTEN of its own for the others'.
    streams = providers.Container(StreamsContainer, settings=settings, app_pool=app_pool,
                                  mapper=mapper, notifier=notifier,
                                  listen_url=database.provided.app_url)
    bus.add_kwargs(handlers=providers.Callable(
        merge_handlers, leads.handlers, cases.handlers, conversations.handlers,
        contact_center.handlers, knowledge.handlers, webhooks.handlers))

    # -- process managers -------------------------------------------------------------------
    # Event-driven policies (application.policies.Policy), run by the runtime in order.
    # Log consumers that talk to vendors (the outboxes), run by the runtime like policies.
    consumers = providers.List(conversations.auto_reply, conversations.sms_outbox,
                               conversations.email_outbox, webhooks.enqueuer)
    policies = providers.List(cases.open_case_on_conversion, contact_center.follow_up_tasks,
                              contact_center.follow_up_outcomes, contact_center.handoff_tasks)
    # Its owner is None in `serve` and `worker` (ADR 0072); status reads as the API's role.
    projection_manager = providers.Singleton(
        ProjectionManager, database.provided.owner, worker_pool, worker_mapper, projections,
        followers=providers.Callable(followers_of, policies, consumers), status_pool=app_pool)

    # -- readiness ---------------------------------------------------------------------------
    vendor_circuits = providers.Callable(every_vendor, circuits, cases.payment_gateway,
                                         conversations.language_model,
                                         conversations.sms_transport,
                                         conversations.email_transport)
