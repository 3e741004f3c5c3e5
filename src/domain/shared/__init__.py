"""Building blocks shared by every bounded context."""

from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    RuleViolated,
    StaleVersion,
    SubjectErased,
)
from domain.shared.values import Email, PhoneNumber, Score, Slug

__all__ = [
    "Claim",
    "Conflict",
    "DomainError",
    "Email",
    "InvalidValue",
    "NotFound",
    "PhoneNumber",
    "RuleViolated",
    "Score",
    "Slug",
    "StaleVersion",
    "SubjectErased",
    "TenantAggregate",
]
