"""Contacts and leads: their handlers, queries and the stale-lead process."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.readmodels.contacts import SqlContactQueries
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.leads import SqlLeadQueries
from application import contacts, leads
from application.bus import CommandBus, merge_handlers
from application.leads.stale_policy import StaleLeadPolicy, TenantSettingsSource
from domain.ports import Clock, PhoneNormaliser


class LeadsContainer(containers.DeclarativeContainer):
    clock: providers.Dependency[Clock] = providers.Dependency()
    phones: providers.Dependency[PhoneNormaliser] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()
    bus: providers.Dependency[CommandBus] = providers.Dependency()
    tenants: providers.Dependency[TenantSettingsSource] = providers.Dependency()
    purged_read_models: providers.Dependency[tuple[str, ...]] = providers.Dependency()

    handlers = providers.Callable(
        merge_handlers, providers.Callable(contacts.command_handlers, phones, purged_read_models),
        providers.Callable(leads.command_handlers, phones))
    contact_queries = providers.Singleton(SqlContactQueries, reader)
    lead_queries = providers.Singleton(SqlLeadQueries, reader)
    stale_lead_policy = providers.Singleton(StaleLeadPolicy, bus, lead_queries, tenants, clock)
