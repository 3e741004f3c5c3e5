"""The composition root: the one place that builds the object graph (dependency-injector).

Everything else takes its collaborators as constructor arguments; tests override providers
(for example the clock) instead of patching globals.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from adapters.clock import SystemClock
from adapters.crypto.blind_index import HmacBlindIndex
from adapters.crypto.keys import DataKeyStore, KeyEncryptionKeys
from adapters.documents.proposal_pdf import FpdfProposalRenderer
from adapters.embeddings.hashing import HashingEmbedder
from adapters.eventstore.group_commit import GroupCommitter
from adapters.eventstore.mapper import PersonalDataMapper
from adapters.eventstore.recorder import TenantEventRecorder
from adapters.eventstore.store import TenantEventStore
from adapters.eventstore.transcoding import frontdesk_transcoder
from adapters.eventstore.unit_of_work import PostgresUnitOfWorkFactory
from adapters.identity.access import PostgresAccessDirectory, PostgresCounters
from adapters.identity.directory import PostgresTenantDirectory
from adapters.identity.passwords import Argon2PasswordHasher
from adapters.identity.tokens import JwtTokens
from adapters.observability.memory import observe_search
from adapters.observability.service import observe_command
from adapters.payments.stripe_webhooks import StripeWebhooks
from adapters.phones import LibPhoneNormaliser
from adapters.postgres.database import DatabaseRoles, DictPool
from adapters.privacy.compaction import ErasureCompactor
from adapters.privacy.retention import Retention
from adapters.projections.consistency import TrackingConsistencyGate
from adapters.projections.manager import ProjectionManager, followers_of
from adapters.projections.notify import CommitNotifier
from adapters.projections.tables import EMBEDDING_DIMENSIONS, TABLES
from adapters.readmodels.cases import SqlCaseQueries
from adapters.readmodels.contacts import SqlContactQueries
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.leads import SqlLeadQueries
from adapters.readmodels.ltv import SqlLtvQueries
from adapters.readmodels.memories import PgContactMemories, PgMemoryCandidates
from adapters.resilience import VendorCircuits
from application.bus import CommandBus
from application.cases.handlers import (
    AcceptQuoteHandler,
    CancelCaseHandler,
    CompleteCaseHandler,
    IssueInvoiceHandler,
    IssueQuoteHandler,
    OpenCaseHandler,
)
from application.cases.opening import OpenCaseForConvertedLeadHandler, OpenCaseOnConversion
from application.cases.payments import (
    CreatePaymentLinkHandler,
    RecordPaymentHandler,
    RefundPaymentHandler,
)
from application.cases.provider import (
    RecordProviderDisputeHandler,
    RecordProviderPaymentHandler,
    RecordProviderRefundsHandler,
)
from application.contacts import (
    ChangeContactConsentHandler,
    ChangeContactDetailsHandler,
    RegisterContactHandler,
)
from application.contacts.erasure import ContactExport, EraseContactHandler
from application.contacts.keys import RecordKeyRotationHandler
from application.identity import AuthenticateHandler, ProvisionTenantHandler
from application.identity.access import (
    ApiKeyAdministration,
    LoginThrottle,
    ThrottlePolicy,
    UserAdministration,
)
from application.leads.actions import (
    AssignLeadHandler,
    CompleteFollowUpHandler,
    ConvertLeadHandler,
    LoseLeadHandler,
    QualifyLeadHandler,
    RecordLeadContactHandler,
    ReopenLeadHandler,
    ScheduleFollowUpHandler,
    ScheduleStaleFollowUpHandler,
    ScoreLeadHandler,
)
from application.leads.capture import CaptureLeadHandler
from application.leads.importing import ImportLeadsHandler
from application.leads.stale_policy import StaleLeadPolicy
from application.memories import MemorySearch, Scoring
from application.projections import ContactsProjection, LeadPipelineProjection
from application.projections.ai_usage import AiUsageProjection
from application.projections.audit import AuditProjection
from application.projections.base import Projection
from application.projections.cases import CasesProjection
from application.projections.conversations import ConversationsProjection
from application.projections.knowledge import KnowledgeProjection
from application.projections.ltv import LtvProjection
from application.projections.memories import MemoryProjection
from domain.contacts import Contact
from domain.ports import Embedder
from entrypoints.contact_center_container import ContactCenterContainer
from entrypoints.conversations_container import ConversationsContainer
from entrypoints.database import provision_database
from entrypoints.payments import payment_gateway as build_payment_gateway
from entrypoints.settings import Settings
from entrypoints.vendors import every_vendor


def _datastore(roles: DatabaseRoles, pool_size: int) -> PostgresDatastore:
    params = roles.params(roles.app_url)
    # A small warm core that grows under load: the pool hands connections out oldest-first,
    # so fewer idle connections means warmer backends for each statement.
    # No pre_ping (a round trip per checkout, measurable under load): connections broken by
    # a database restart are dropped by a pool check after the first failure (app.py).
    datastore = PostgresDatastore(**params, pool_size=2, max_overflow=pool_size * 3,
                                  connect_timeout=10)
    datastore.pool.open(wait=True, timeout=30)
    return datastore


def _worker_pool(roles: DatabaseRoles, size: int) -> DictPool:
    def configure(conn: Any) -> None:
        conn.autocommit = True
        # Projection batches commit their rows with their tracking position, so a crash can
        # only lose both together (and the batch is redone): no need to wait for the fsync.
        conn.execute("SET synchronous_commit = off")

    pool: DictPool = ConnectionPool(roles.worker_url, min_size=1, max_size=size,
                                          kwargs={"row_factory": dict_row},
                                          configure=configure, open=False,
                                          check=ConnectionPool.check_connection)
    pool.open(wait=True, timeout=30)
    return pool


def _embedder(settings: Settings) -> Embedder:
    """The configured embedder; every one produces EMBEDDING_DIMENSIONS dimensions."""
    if settings.embedder == "openai":
        from adapters.embeddings.openai import OpenAIEmbedder

        return OpenAIEmbedder(api_key=settings.openai_api_key or "missing",
                              base_url=settings.openai_base_url,
                              model=settings.embedding_model, dimensions=EMBEDDING_DIMENSIONS)
    if settings.embedder == "sentence-transformers":
        from adapters.embeddings.local_model import SentenceTransformerEmbedder

        local = SentenceTransformerEmbedder(settings.embedding_model)
        if local.dimensions != EMBEDDING_DIMENSIONS:
            raise ValueError(f"the memory table holds {EMBEDDING_DIMENSIONS}-dimensional "
                             f"vectors; {settings.embedding_model} makes {local.dimensions}")
        return local
    return HashingEmbedder(EMBEDDING_DIMENSIONS)


def personal_tables(projections: list[Projection]) -> list[str]:
    """The read-model tables with a personal column: rewritten after an erasure."""
    return [t for p in projections for t in p.tables
            if any(c.info.get("personal") for c in TABLES[t].columns)]


def _committer(recorder: TenantEventRecorder, notifier: CommitNotifier) -> GroupCommitter:
    committer = GroupCommitter(recorder.write_batch)
    committer.on_commit(notifier)
    return committer


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    database = providers.Singleton(provision_database, settings)
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
    bus = providers.Singleton(CommandBus, unit_of_work, event_store,
                              observe=providers.Object(observe_command))
    contact_center = providers.Container(
        ContactCenterContainer, clock=clock, bus=bus, app_pool=app_pool, worker_pool=worker_pool,
        route_on_arrival=settings.provided.route_on_arrival)

    # -- read side --------------------------------------------------------------------------
    embedder = providers.Singleton(_embedder, settings)
    projections = providers.List(providers.Singleton(ContactsProjection),
                                 providers.Singleton(LeadPipelineProjection),
                                 providers.Singleton(MemoryProjection, embedder),
                                 providers.Singleton(ConversationsProjection),
                                 providers.Singleton(KnowledgeProjection),
                                 providers.Singleton(AiUsageProjection),
                                 providers.Singleton(CasesProjection),
                                 providers.Singleton(LtvProjection),
                                 providers.Singleton(AuditProjection),
                                 contact_center.supervisor_projection,
                                 contact_center.performance_projection,
                                 contact_center.catalog_projection)
    consistency = providers.Singleton(TrackingConsistencyGate, app_pool)
    reader = providers.Singleton(ReadModelReader, app_pool)
    contact_queries = providers.Singleton(SqlContactQueries, reader)
    lead_queries = providers.Singleton(SqlLeadQueries, reader)
    memory_search = providers.Singleton(
        MemorySearch, providers.Singleton(PgMemoryCandidates, reader,
                                          settings.provided.memory_ef_search),
        embedder, clock,
        providers.Singleton(Scoring, half_life_days=settings.provided.memory_half_life_days),
        providers.Object(observe_search))
    contact_export = providers.Singleton(ContactExport, contact_queries, lead_queries,
                                         event_store, providers.Singleton(PgContactMemories,
                                                                          reader), clock)
    compactor = providers.Singleton(
        ErasureCompactor, worker_pool,
        providers.Callable(lambda ps: [p.name for p in ps], projections),
        providers.Callable(personal_tables, projections))
    retention = providers.Singleton(
        Retention, worker_pool,
        idempotency_keys=providers.Callable(
            lambda hours: timedelta(hours=hours), settings.provided.idempotency_retention_hours),
        auth_events=providers.Callable(
            lambda days: timedelta(days=days) if days else None,
            settings.provided.auth_events_retention_days))

    # -- conversations, AI assistant, outbox (issue 4) ---------------------------------------
    conversations = providers.Container(ConversationsContainer, settings=settings,
                                        clock=clock, phones=phones, bus=bus,
                                        unit_of_work=unit_of_work, app_pool=app_pool,
                                        reader=reader, memory_search=memory_search,
                                        circuits=circuits)
    case_queries = providers.Singleton(SqlCaseQueries, reader)
    ltv_queries = providers.Singleton(SqlLtvQueries, reader, worker_pool, worker_mapper)

    # -- identity ---------------------------------------------------------------------------
    tenants = providers.Singleton(PostgresTenantDirectory, app_pool, worker_pool)
    passwords = providers.Singleton(Argon2PasswordHasher)
    tokens = providers.Singleton(JwtTokens, settings.provided.jwt_secret,
                                 previous=settings.provided.jwt_previous_secret_list,
                                 lifetime=settings.provided.jwt_lifetime_seconds)
    access_directory = providers.Singleton(PostgresAccessDirectory, app_pool)
    counters = providers.Singleton(PostgresCounters, app_pool)
    login_throttle = providers.Singleton(
        LoginThrottle, counters, providers.Singleton(
            ThrottlePolicy, window_seconds=settings.provided.login_throttle_window,
            per_account=settings.provided.login_throttle_per_account,
            per_ip=settings.provided.login_throttle_per_ip))
    provision_tenant = providers.Singleton(ProvisionTenantHandler, tenants, passwords)
    authenticate = providers.Singleton(AuthenticateHandler, tenants, passwords, tokens,
                                       login_throttle, access_directory)
    users = providers.Singleton(UserAdministration, access_directory, passwords)
    api_keys = providers.Singleton(ApiKeyAdministration, access_directory, clock)

    # -- command handlers (one per command) -------------------------------------------------
    register_contact = providers.Singleton(RegisterContactHandler, clock, phones)
    change_contact_details = providers.Singleton(ChangeContactDetailsHandler, clock, phones)
    change_contact_consent = providers.Singleton(ChangeContactConsentHandler, clock)
    erase_contact = providers.Singleton(EraseContactHandler, clock, providers.Callable(
        lambda ps: tuple(p.name for p in ps if Contact.ContactErased in p.event_classes),
        projections))
    record_key_rotation = providers.Singleton(RecordKeyRotationHandler, clock)
    capture_lead = providers.Singleton(CaptureLeadHandler, clock, phones)
    import_leads = providers.Singleton(ImportLeadsHandler, clock, phones)
    assign_lead = providers.Singleton(AssignLeadHandler, clock)
    record_lead_contact = providers.Singleton(RecordLeadContactHandler, clock)
    score_lead = providers.Singleton(ScoreLeadHandler, clock)
    qualify_lead = providers.Singleton(QualifyLeadHandler, clock)
    schedule_follow_up = providers.Singleton(ScheduleFollowUpHandler, clock)
    complete_follow_up = providers.Singleton(CompleteFollowUpHandler, clock)
    convert_lead = providers.Singleton(ConvertLeadHandler, clock)
    lose_lead = providers.Singleton(LoseLeadHandler, clock)
    reopen_lead = providers.Singleton(ReopenLeadHandler, clock)
    schedule_stale_follow_up = providers.Singleton(ScheduleStaleFollowUpHandler, clock)

    # -- cases and payments -----------------------------------------------------------------
    payment_gateway = providers.Singleton(build_payment_gateway, settings, circuits)
    stripe_webhooks = providers.Singleton(StripeWebhooks,
                                          settings.provided.stripe_webhook_secret,
                                          payment_gateway)
    proposal_renderer = providers.Singleton(FpdfProposalRenderer)
    open_case = providers.Singleton(OpenCaseHandler, clock)
    open_case_for_converted_lead = providers.Singleton(OpenCaseForConvertedLeadHandler)
    issue_quote = providers.Singleton(IssueQuoteHandler, clock)
    accept_quote = providers.Singleton(AcceptQuoteHandler, clock)
    issue_invoice = providers.Singleton(IssueInvoiceHandler, clock, payment_gateway)
    create_payment_link = providers.Singleton(CreatePaymentLinkHandler, clock, payment_gateway)
    record_payment = providers.Singleton(RecordPaymentHandler, clock)
    refund_payment = providers.Singleton(RefundPaymentHandler, clock, payment_gateway)
    complete_case = providers.Singleton(CompleteCaseHandler, clock)
    cancel_case = providers.Singleton(CancelCaseHandler, clock)
    record_provider_payment = providers.Singleton(RecordProviderPaymentHandler, clock)
    record_provider_refunds = providers.Singleton(RecordProviderRefundsHandler, clock)
    record_provider_dispute = providers.Singleton(RecordProviderDisputeHandler, clock)

    # -- process managers -------------------------------------------------------------------
    # Event-driven policies (application.policies.Policy), run by the runtime in order.
    # Log consumers that talk to vendors (the outboxes), run by the runtime like policies.
    consumers = providers.List(conversations.auto_reply, conversations.sms_outbox,
                               conversations.email_outbox)
    policies = providers.List(
        providers.Singleton(OpenCaseOnConversion, open_case_for_converted_lead),
        contact_center.follow_up_tasks, contact_center.follow_up_outcomes,
        contact_center.handoff_tasks,
    )
    projection_manager = providers.Singleton(
        ProjectionManager, database.provided.owner_url, worker_pool, worker_mapper, projections,
        followers=providers.Callable(followers_of, policies, consumers))
    stale_lead_policy = providers.Singleton(StaleLeadPolicy, bus, lead_queries, tenants, clock,
                                            schedule_stale_follow_up)

    # -- readiness ---------------------------------------------------------------------------
    vendor_circuits = providers.Callable(every_vendor, circuits, payment_gateway,
                                         conversations.language_model,
                                         conversations.sms_transport,
                                         conversations.email_transport)
