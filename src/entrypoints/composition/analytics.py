"""Analytics: lifetime value, live or as of a past moment."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.ltv import SqlLtvQueries


class AnalyticsContainer(containers.DeclarativeContainer):
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    mapper: providers.Dependency[PersonalDataMapper] = providers.Dependency()

    # As of a past moment too, the report is read as the API's role and the tenant (ADR 0072).
    ltv_queries = providers.Singleton(SqlLtvQueries, reader, app_pool, mapper)
