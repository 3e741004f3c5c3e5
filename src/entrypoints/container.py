"""The composition root: the one place that builds the object graph (dependency-injector).

Everything else takes its collaborators as constructor arguments; tests override providers
(for example the clock) instead of patching globals.
"""

from __future__ import annotations

from typing import Any

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
from adapters.identity.directory import PostgresTenantDirectory
from adapters.identity.passwords import Argon2PasswordHasher
from adapters.identity.tokens import JwtTokens
from adapters.phones import LibPhoneNormaliser
from adapters.postgres.database import DatabaseRoles, DictPool
from adapters.projections.consistency import TrackingConsistencyGate
from adapters.projections.manager import ProjectionManager
from adapters.projections.notify import CommitNotifier
from adapters.readmodels.contacts import SqlContactQueries
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.leads import SqlLeadQueries
from application.bus import CommandBus
from application.contacts import (
    ChangeContactConsentHandler,
    ChangeContactDetailsHandler,
    RegisterContactHandler,
)
from application.identity import AuthenticateHandler, ProvisionTenantHandler
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
from application.projections import ContactsProjection, LeadPipelineProjection
from entrypoints.contact_center_container import ContactCenterContainer
from entrypoints.database import provision_database
from entrypoints.settings import Settings


def _datastore(roles: DatabaseRoles, pool_size: int) -> PostgresDatastore:
    params = roles.params(roles.app_url)
    # A small warm core that grows under load: the pool hands connections out oldest-first,
    # so fewer idle connections means warmer backends for each statement.
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


def _committer(recorder: TenantEventRecorder, notifier: CommitNotifier) -> GroupCommitter:
    committer = GroupCommitter(recorder.write_batch)
    committer.on_commit(notifier)
    return committer


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    database = providers.Singleton(provision_database, settings)
    clock = providers.Singleton(SystemClock)
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
    bus = providers.Singleton(CommandBus, unit_of_work, event_store)
    contact_center = providers.Container(
        ContactCenterContainer, clock=clock, bus=bus, app_pool=app_pool, worker_pool=worker_pool,
        route_on_arrival=settings.provided.route_on_arrival)

    # -- read side --------------------------------------------------------------------------
    projections = providers.List(providers.Singleton(ContactsProjection),
                                 providers.Singleton(LeadPipelineProjection),
                                 contact_center.supervisor_projection,
                                 contact_center.performance_projection,
                                 contact_center.catalog_projection)
    projection_manager = providers.Singleton(ProjectionManager, database.provided.owner_url,
                                             worker_pool, worker_mapper, projections)
    consistency = providers.Singleton(TrackingConsistencyGate, app_pool)
    reader = providers.Singleton(ReadModelReader, app_pool)
    contact_queries = providers.Singleton(SqlContactQueries, reader)
    lead_queries = providers.Singleton(SqlLeadQueries, reader)

    # -- identity ---------------------------------------------------------------------------
    tenants = providers.Singleton(PostgresTenantDirectory, app_pool, worker_pool)
    passwords = providers.Singleton(Argon2PasswordHasher)
    tokens = providers.Singleton(JwtTokens, settings.provided.jwt_secret,
                                 lifetime=settings.provided.jwt_lifetime_seconds)
    provision_tenant = providers.Singleton(ProvisionTenantHandler, tenants, passwords)
    authenticate = providers.Singleton(AuthenticateHandler, tenants, passwords, tokens)

    # -- command handlers (one per command) -------------------------------------------------
    register_contact = providers.Singleton(RegisterContactHandler, clock, phones)
    change_contact_details = providers.Singleton(ChangeContactDetailsHandler, clock, phones)
    change_contact_consent = providers.Singleton(ChangeContactConsentHandler, clock)
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

    # -- process managers -------------------------------------------------------------------
    # Event-driven policies (application.policies.Policy), run by the runtime in order.
    policies = providers.List(contact_center.follow_up_tasks,
                              contact_center.follow_up_outcomes)
    stale_lead_policy = providers.Singleton(StaleLeadPolicy, bus, lead_queries, tenants, clock,
                                            schedule_stale_follow_up)
