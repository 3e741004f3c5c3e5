"""Traces (OpenTelemetry, ADR 0083): one tracer provider per process, sending spans over
OTLP/HTTP when ``FRONTDESK_OTLP_ENDPOINT`` is set; without it nothing here is built and
nothing is instrumented.

- SQL: psycopg's instrumentation, with the statement (placeholders, never the values: query
  parameters are not captured) on each span. Its spans come from a second provider, sharing
  the processor, whose sampler drops a statement with no span around it (a pool's check, a
  reader polling the log, a claim's heartbeat): a query is traced as part of something. A
  failing statement's span names the error's type only: PostgreSQL's messages quote values
  (``Key (email)=(…) already exists``, ``invalid input syntax …: "…"``).
- Vendor calls: httpx's instrumentation (the SDKs of Twilio, OpenAI, Anthropic, Stripe and
  the webhook sender go through httpx), without query strings.
- Commands: ``SpanCommandTracer``, the application's ``CommandTracer`` port.
- Background work: one span per event a policy reacts to or a consumer (outbox, auto-reply,
  webhook enqueuer) handles (``event_span``), its commands and vendor calls inside. A
  projection's batch is not traced.
- HTTP: the server span is Litestar's OpenTelemetry middleware (``entrypoints.http.app``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import (
    INVALID_SPAN,
    Span,
    Status,
    StatusCode,
    Tracer,
    get_current_span,
)

from application.ports import CommandTrace

TRACER = "frontdesk"
QUERY_ATTRIBUTES = ("http.url", "url.full")
"""Span attributes holding a whole URL: kept without their query string, which may carry
personal data (a search) or a secret (a webhook target's token)."""


def without_query(span: Span) -> None:
    """Rewrite the URL attributes of ``span`` without their query string (``url.query``,
    where the newer conventions set it, is replaced too)."""
    attributes: Any = getattr(span, "attributes", None) or {}
    for name in QUERY_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(name, value.split("?", 1)[0])
    if attributes.get("url.query"):
        span.set_attribute("url.query", "REDACTED")


def _vendor_request(span: Span, request: Any) -> None:
    without_query(span)


def event_span(tracer: Tracer | None, reader: str, event: object
               ) -> AbstractContextManager[object]:
    """A span for one event a background reader handles (``<reader> <EventType>``), or
    nothing when not traced. The event's type only: never its fields."""
    if tracer is None:
        return nullcontext()
    kind = type(event).__qualname__
    return tracer.start_as_current_span(f"{reader} {kind}", attributes={
        "frontdesk.reader": reader, "frontdesk.event": kind})


class SpanCommandTracer:
    """A span per command the bus runs: ``command <Type>``, with its outcome."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    @contextmanager
    def trace(self, command: str) -> Iterator[CommandTrace]:
        traced = CommandTrace(command)
        with self._tracer.start_as_current_span(
                f"command {command}", attributes={"frontdesk.command": command},
                record_exception=False, set_status_on_exception=False) as span:
            try:
                yield traced
            except BaseException as error:
                if traced.outcome == "error":
                    # The type only: an exception's message may quote a value.
                    span.set_attribute("error.type", type(error).__qualname__)
                    span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
                raise
            finally:
                span.set_attribute("frontdesk.command.outcome", traced.outcome)


class _TypeOnlyErrors(Tracer):
    """A tracer whose spans, when an error leaves them, record its type, never its message
    (no exception event, no message in the status). A statement with no recording span around
    it gets no span at all, at once: the sampler would drop it anyway, only slower (the pools'
    and the readers' statements, and every statement of an unsampled request)."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> Span:
        kwargs.update(record_exception=False, set_status_on_exception=False)
        return self._tracer.start_span(name, *args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
            self, name: str, *args: Any, **kwargs: Any) -> Iterator[Span]:
        if not get_current_span().is_recording():
            yield INVALID_SPAN
            return
        kwargs.update(record_exception=False, set_status_on_exception=False)
        with self._tracer.start_as_current_span(name, *args, **kwargs) as span:
            try:
                yield span
            except Exception as error:
                span.set_attribute("error.type", type(error).__qualname__)
                span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
                raise


class _QueriesProvider(TracerProvider):
    """The statements' provider: errors by type only (``_TypeOnlyErrors``)."""

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> Tracer:
        return _TypeOnlyErrors(super().get_tracer(instrumenting_module_name, *args, **kwargs))


class Tracing:
    """The process's tracer providers and instrumentation. ``instrument`` before the first
    database connection is opened (connections opened earlier are not traced); ``close``
    flushes what is pending and undoes the instrumentation."""

    def __init__(self, processor: SpanProcessor, *, sample_ratio: float = 1.0) -> None:
        resource = Resource.create({SERVICE_NAME: "frontdesk"})
        self.provider = TracerProvider(
            sampler=ParentBased(TraceIdRatioBased(sample_ratio)), resource=resource)
        self.provider.add_span_processor(processor)
        self._queries = _QueriesProvider(sampler=_only_within_spans(), resource=resource,
                                         shutdown_on_exit=False)
        self._queries.add_span_processor(processor)
        self.commands = SpanCommandTracer(self.provider.get_tracer(TRACER))
        self._instrumented = False

    @classmethod
    def exporting(cls, endpoint: str, *, sample_ratio: float = 1.0) -> Tracing:
        """Spans batched and sent to the OTLP/HTTP collector at ``endpoint`` (its base URL,
        e.g. ``http://collector:4318``; spans go to ``/v1/traces``). Headers, timeout,
        compression and certificates follow the standard ``OTEL_EXPORTER_OTLP_*`` variables."""
        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
        return cls(BatchSpanProcessor(exporter), sample_ratio=sample_ratio)

    def tracer(self, name: str = TRACER) -> Tracer:
        return self.provider.get_tracer(name)

    def instrument(self) -> Tracing:
        if not self._instrumented:
            # Statements only: parameters (personal data) are never captured.
            PsycopgInstrumentor().instrument(tracer_provider=self._queries,
                                             capture_parameters=False, enable_commenter=False)
            HTTPXClientInstrumentor().instrument(tracer_provider=self.provider,
                                                 request_hook=_vendor_request,
                                                 async_request_hook=_async_vendor_request)
            self._instrumented = True
        return self

    def close(self) -> None:
        if self._instrumented:
            PsycopgInstrumentor().uninstrument()
            HTTPXClientInstrumentor().uninstrument()
            self._instrumented = False
        self.provider.shutdown()  # its processor, shared with the queries' provider


async def _async_vendor_request(span: Span, request: Any) -> None:
    without_query(span)


def _only_within_spans() -> Sampler:
    """A statement is sampled as the span around it was; with none around it, not at all."""
    return ParentBased(root=ALWAYS_OFF)
