"""Helpers every command handler uses to load an aggregate for a change."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from application.ports import UnitOfWork
from domain.shared.aggregate import TenantAggregate
from domain.shared.errors import StaleVersion

A = TypeVar("A", bound=TenantAggregate)


def load_for_change(uow: UnitOfWork, cls: type[A], aggregate_id: UUID,
                    expected_version: int | None) -> A:
    """Load an aggregate; an If-Match version that is not the current one is a stale write."""
    aggregate = uow.get(cls, aggregate_id)
    if expected_version is not None and aggregate.version != expected_version:
        raise StaleVersion(
            f"version {expected_version} is stale; the current version is {aggregate.version}",
            current_version=aggregate.version)
    return aggregate
