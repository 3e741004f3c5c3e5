"""Analytics: lifetime value, live or as of a past moment."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.ltv import SqlLtvQueries


class AnalyticsContainer(containers.DeclarativeContainer):
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()
    worker_pool: providers.Dependency[DictPool] = providers.Dependency()
    worker_mapper: providers.Dependency[PersonalDataMapper] = providers.Dependency()

    ltv_queries = providers.Singleton(SqlLtvQueries, reader, worker_pool, worker_mapper)
