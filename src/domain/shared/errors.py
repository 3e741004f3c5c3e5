"""Domain errors. Each names the business rule that said no; entrypoints map them to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: a command was refused by a business rule."""

    code = "domain-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidValue(DomainError, ValueError):
    """A value failed validation (HTTP 422)."""

    code = "invalid-value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field


class RuleViolated(DomainError):
    """A state transition is not allowed (HTTP 409)."""

    code = "rule-violated"


class SubjectErased(RuleViolated):
    """Personal data about an erased person cannot be recorded again (HTTP 409)."""

    code = "subject-erased"


class Conflict(DomainError):
    """The command conflicts with existing state, e.g. a duplicate (HTTP 409)."""

    code = "conflict"


class StaleVersion(Conflict):
    """The client acted on an older version of the aggregate (HTTP 409)."""

    code = "stale-version"


class NotFound(DomainError):
    """The resource does not exist for this tenant (HTTP 404)."""

    code = "not-found"
