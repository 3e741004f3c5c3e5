"""Privacy: a person's access export, and the erasure's compaction and retention of the rest."""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers

from adapters.postgres.database import DictPool
from adapters.privacy.compaction import ErasureCompactor
from adapters.privacy.retention import Retention
from adapters.privacy.tenant_retention import (
    PostgresInactiveContacts,
    PostgresMessageBodiesToDelete,
    PostgresRetentionPolicies,
    PostgresRetentionReports,
)
from application.audit import AuditQueries
from application.bus import CommandBus
from application.cases.views import CaseQueries
from application.contact_center.views import ContactCenterQueries
from application.contacts.export import ContactExport, ContactMemories
from application.contacts.views import ContactQueries
from application.conversations.views import ConversationQueries
from application.leads.views import LeadQueries
from application.ports import EventHistory
from application.privacy import ApplyRetention
from domain.ports import Clock
from entrypoints.settings import Settings


class PrivacyContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    clock: providers.Dependency[Clock] = providers.Dependency()
    worker_pool: providers.Dependency[DictPool] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    bus: providers.Dependency[CommandBus] = providers.Dependency()
    contact_queries: providers.Dependency[ContactQueries] = providers.Dependency()
    lead_queries: providers.Dependency[LeadQueries] = providers.Dependency()
    conversation_queries: providers.Dependency[ConversationQueries] = providers.Dependency()
    case_queries: providers.Dependency[CaseQueries] = providers.Dependency()
    task_queries: providers.Dependency[ContactCenterQueries] = providers.Dependency()
    audit_queries: providers.Dependency[AuditQueries] = providers.Dependency()
    history: providers.Dependency[EventHistory] = providers.Dependency()
    memories: providers.Dependency[ContactMemories] = providers.Dependency()
    projection_names: providers.Dependency[list[str]] = providers.Dependency()
    personal_tables: providers.Dependency[list[str]] = providers.Dependency()
    rebuild_tables: providers.Dependency[dict[str, list[str]]] = providers.Dependency()

    contact_export = providers.Singleton(ContactExport, contact_queries, lead_queries,
                                         conversation_queries, case_queries, task_queries,
                                         history, memories, audit_queries, clock)
    compactor = providers.Singleton(ErasureCompactor, worker_pool, projection_names,
                                    personal_tables, rebuilds=rebuild_tables)
    retention = providers.Singleton(
        Retention, worker_pool,
        idempotency_keys=providers.Callable(
            lambda hours: timedelta(hours=hours), settings.provided.idempotency_retention_hours),
        auth_events=providers.Callable(
            lambda days: timedelta(days=days) if days else None,
            settings.provided.auth_events_retention_days))
    # Per-tenant policies (ADR 0086): set by the tenant's admins, applied by the worker and
    # `frontdesk retention run` through the command bus, one report per tenant and run.
    retention_policies = providers.Singleton(PostgresRetentionPolicies, app_pool, worker_pool)
    retention_reports = providers.Singleton(PostgresRetentionReports, app_pool, worker_pool)
    tenant_retention = providers.Singleton(
        ApplyRetention, retention_policies, providers.Singleton(PostgresInactiveContacts,
                                                                worker_pool),
        retention_reports, bus, clock,
        bodies=providers.Singleton(PostgresMessageBodiesToDelete, worker_pool))
