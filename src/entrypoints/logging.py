"""structlog JSON logs, with request id, tenant and user bound per request, and the trace and
span ids of the current span when traced (ADR 0083). Library logs go through the same
renderer. Never log bodies, query strings or secrets.

Our own loggers (``structlog.get_logger``) take structlog's direct path: one JSON line written
to stderr, no stdlib ``logging`` machinery on the way (the access log writes one per request).
"""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, WrappedLogger

_configured: list[bool] = []


# Tracebacks as data, without local variables: a frame's locals hold settings (database
# password, JWT and key-encryption secrets) and request bodies (passwords).
_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False))


def add_trace_ids(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """``trace_id`` and ``span_id`` (hex, as tracing back ends show them) of the span current
    where the line is logged; nothing when there is none (tracing off: one context lookup)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def configure_logging(level: str = "INFO") -> None:
    if _configured:
        return
    _configured.append(True)
    numeric = logging.getLevelName(level.upper())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, _TRACEBACKS,
                    structlog.processors.JSONRenderer()],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    _TRACEBACKS, structlog.processors.JSONRenderer()])
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "uvicorn.access", "psycopg.pool"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
