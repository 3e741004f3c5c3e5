"""RFC 9457 problem details for every error: a stable ``type``, a ``title``, a ``detail``, field
errors for validation; never a stack trace, SQL or an internal message."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import OperationalError as StoreUnavailable
from eventsourcing.persistence import PersistenceError
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from adapters.postgres.circuit import DatabaseCircuit
from application.bus import IdempotencyKeyReused
from application.identity.access import TooManyAttempts
from application.identity.handlers import EnrolmentRequired, InvalidCredentials
from application.ports import BadCursor
from domain.shared.errors import Conflict, DomainError, InvalidValue, NotFound, RuleViolated

PROBLEM_BASE = "https://frontdesk.dev/problems/"
PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("frontdesk.http")

_TITLES = {
    400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Request too large",
    415: "Unsupported media type", 422: "Validation failed", 429: "Too many requests",
    500: "Internal error", 503: "Service unavailable",
}
_TYPES = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 409: "conflict", 413: "too-large",
          415: "unsupported-media-type", 422: "validation", 429: "rate-limited",
          500: "internal", 503: "unavailable"}


OWN_TYPES = ("bad-cursor", "bad-range", "unstorable-value", "malformed-file", "unreadable-file",
             "malformed-position", "malformed-email", "bad-signature", "too-many-streams",
             "llm-unavailable", "llm-timeout", "twilio-disabled", "email-disabled",
             "origin-not-allowed", "bad-visitor-token")
"""Problem types the slices and the edge answer besides the status defaults (``_TYPES``) and
the domain's error codes; the document lists them all (ADR 0077)."""


_OUR_PACKAGES = frozenset({"domain", "application", "adapters", "entrypoints"})


def problem_types() -> list[str]:
    """Every problem ``type`` this API answers: the status defaults, this module's and the
    slices' own kinds, and the code of every domain error (each a class attribute) that the
    service's own packages define (not one a test or a plug-in declared in this process)."""
    codes: set[str] = set(_TYPES.values()) | set(OWN_TYPES)
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        error = pending.pop()
        if error.__module__.partition(".")[0] in _OUR_PACKAGES:
            codes.add(error.code)
        pending.extend(error.__subclasses__())
    codes.discard("domain-error")
    return sorted(PROBLEM_BASE + code for code in codes)


def problem(status: int, kind: str | None = None, detail: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + (kind or _TYPES.get(status, "error")),
                            "title": _TITLES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain(request: Request[Any, Any, Any], error: DomainError) -> Response[dict[str, Any]]:
    if isinstance(error, InvalidValue):  # a rule beyond the published schema (ADR 0077)
        return problem(422, error.code, error.message,
                       errors=[{"field": error.field, "message": error.message}])
    if isinstance(error, IdempotencyKeyReused):
        return problem(422, error.code, error.message)
    if isinstance(error, InvalidCredentials):
        return problem(401, error.code, error.message)
    if isinstance(error, EnrolmentRequired):  # with the enrolment token (ADR 0081)
        return problem(403, error.code, error.message, **error.details)
    if isinstance(error, TooManyAttempts):
        return problem(429, error.code, error.message, headers={
            "Retry-After": str(error.retry_after)}, retry_after=error.retry_after)
    if isinstance(error, NotFound):
        return problem(404, "not-found", error.message)
    if isinstance(error, Conflict | RuleViolated):
        return problem(409, error.code, error.message, **error.details)
    return problem(409, error.code, error.message)


def _validation(request: Request[Any, Any, Any],
                error: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            errors.append({"field": str(item.get("key") or item.get("source") or "body"),
                           "message": str(item.get("message", "is invalid"))})
    return problem(422, "validation", "the request does not match the schema", errors=errors)


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    status = error.status_code
    detail = error.detail if isinstance(error.detail, str) else None
    if detail and len(detail) > 300:
        detail = detail[:300]
    headers = dict(error.headers or {})
    return problem(status, None, detail, headers=headers or None)


class BadRange(ValueError):
    """A range of days or moments that is reversed or too long (HTTP 400 ``bad-range``)."""


def _bad_range(request: Request[Any, Any, Any], error: BadRange) -> Response[dict[str, Any]]:
    return problem(400, "bad-range", str(error))


def _bad_cursor(request: Request[Any, Any, Any], error: BadCursor) -> Response[dict[str, Any]]:
    return problem(400, "bad-cursor", str(error))


DATABASE_CIRCUIT = "database_circuit"
"""The key of the app's :class:`DatabaseCircuit` in ``app.state`` (ADR 0073)."""


def _unavailable(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """A dependency did not answer. When the error says the database cannot be reached, the
    app's circuit opens: the next requests are answered 503 at once, without waiting on a
    pool, until a trial reaches the database again and refreshes the pools."""
    log.warning("dependency unavailable: %s", error.__class__.__name__)
    circuit: DatabaseCircuit | None = request.app.state.get(DATABASE_CIRCUIT)
    retry_after = 2
    if circuit is not None and circuit.trip(error):
        retry_after = circuit.retry_after()
    return problem(503, "unavailable", "the database is unavailable; retry shortly",
                   headers={"Retry-After": str(retry_after)})


def _bad_data(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """A value PostgreSQL cannot take (a NUL character in text, a number out of range) that
    validation let through: the client's input, refused with nothing written."""
    log.info("value refused by the database: %s", error.__class__.__name__)
    return problem(422, "unstorable-value", "a value cannot be stored (for example a NUL "
                                            "character in text)")


def _persistence(request: Request[Any, Any, Any],
                 error: PersistenceError) -> Response[dict[str, Any]]:
    if isinstance(error, StoreUnavailable) or isinstance(error.__cause__, psycopg.OperationalError):
        return _unavailable(request, error)
    if isinstance(error.__cause__, psycopg.DataError):
        return _bad_data(request, error)
    return _internal(request, error)


def _internal(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", exc_info=error)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal",
                   "an internal error occurred; it has been logged")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    BadCursor: _bad_cursor,
    BadRange: _bad_range,
    psycopg.OperationalError: _unavailable,
    psycopg_pool.PoolTimeout: _unavailable,
    psycopg.DataError: _bad_data,
    PersistenceError: _persistence,
    Exception: _internal,
}

PROBLEM_MEDIA_TYPE = MediaType.JSON
