"""The bus traces every command it dispatches through the ``CommandTracer`` port (ADR 0083):
one trace per command, open while the handler and the commit run, ended with the command's
outcome. The stateful fake and the OpenTelemetry adapter pass one contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.clock import ManualClock
from adapters.observability.tracing import SpanCommandTracer
from application.bus import CommandBus
from application.ports import CommandContext, CommandTrace, CommandTracer, UnitOfWork
from domain.shared import Conflict
from domain.shared.errors import DomainError
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory, RecordingTracer

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class Probe:
    """One implementation of the port, and how to read what it recorded."""

    tracer: CommandTracer
    ended: Callable[[], list[tuple[str, str, bool]]]
    """(command, outcome, ended by an error) of every ended trace, in order."""
    is_open: Callable[[str], bool]
    """Whether the trace of this command is the one open here and now."""


def recording() -> Probe:
    fake = RecordingTracer()
    return Probe(fake, lambda: [(t.command, t.outcome, e is not None) for t, e in fake.ended],
                 lambda command: [t.command for t in fake.open][-1:] == [command])


def opentelemetry() -> Probe:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def ended() -> list[tuple[str, str, bool]]:
        return [(str(attributes["frontdesk.command"]),
                 str(attributes["frontdesk.command.outcome"]), "error.type" in attributes)
                for span in exporter.get_finished_spans()
                if (attributes := span.attributes or {})]

    def is_open(command: str) -> bool:
        current: Any = trace.get_current_span()
        return current.is_recording() and current.name == f"command {command}"

    return Probe(SpanCommandTracer(provider.get_tracer("test")), ended, is_open)


IMPLEMENTATIONS = [recording, opentelemetry]


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_a_trace_is_open_inside_its_block_and_ends_with_the_outcome_set_there(
        make: Callable[[], Probe]) -> None:
    probe = make()
    with probe.tracer.trace("CaptureLead") as traced:
        assert traced.command == "CaptureLead"
        assert traced.outcome == "error"  # until the bus knows better
        assert probe.is_open("CaptureLead")
        traced.outcome = "executed"
    assert not probe.is_open("CaptureLead")
    assert probe.ended() == [("CaptureLead", "executed", False)]


def conflict(traced: CommandTrace) -> None:
    traced.outcome = "conflict"  # as the bus does before the error leaves it
    raise Conflict("taken")


@pytest.mark.parametrize("make", IMPLEMENTATIONS)
def test_an_error_leaves_the_block_unchanged_and_marks_only_an_unexpected_failure(
        make: Callable[[], Probe]) -> None:
    probe = make()
    with pytest.raises(RuntimeError, match="boom"), probe.tracer.trace("Crash"):
        raise RuntimeError("boom")
    with pytest.raises(Conflict), probe.tracer.trace("Twice") as traced:
        conflict(traced)
    ended = probe.ended()
    assert ended[0] == ("Crash", "error", True)
    assert ended[1][:2] == ("Twice", "conflict")


# -- the bus --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Do:
    what: str


class Refused(DomainError):
    code = "refused"


def bus_with(tracer: RecordingTracer, seen: list[tuple[str, str, float]]) -> CommandBus:
    store = InMemoryEventStore()

    def handle(command: Do, uow: UnitOfWork, ctx: CommandContext) -> str:
        assert [t.command for t in tracer.open] == ["Do"]  # the handler runs inside
        if command.what == "conflict":
            raise Conflict("taken")
        if command.what == "refuse":
            raise Refused("no")
        if command.what == "crash":
            raise RuntimeError("boom")
        return command.what

    return CommandBus(InMemoryUnitOfWorkFactory(store), store, ManualClock(T0),
                      handlers={Do: handle},
                      observe=lambda *observed: seen.append(observed), tracer=tracer)


def test_the_bus_traces_each_command_with_the_outcome_its_metrics_count() -> None:
    tracer, seen = RecordingTracer(), []
    bus = bus_with(tracer, seen)
    ctx = CommandContext(uuid4(), "user:1")
    bus.execute(Do("fine"), ctx)
    for what, error in (("conflict", Conflict), ("refuse", Refused), ("crash", RuntimeError)):
        with pytest.raises(error):
            bus.execute(Do(what), ctx)

    outcomes = [(t.command, t.outcome) for t, _ in tracer.ended]
    assert outcomes == [("Do", "executed"), ("Do", "conflict"), ("Do", "refused"),
                        ("Do", "error")]
    assert [(command, outcome) for command, outcome, _ in seen] == outcomes
    assert tracer.open == []


def test_without_a_tracer_the_bus_runs_commands_as_before() -> None:
    store = InMemoryEventStore()
    bus = CommandBus(InMemoryUnitOfWorkFactory(store), store, ManualClock(T0),
                     handlers={Do: lambda command, uow, ctx: command.what})
    assert bus.execute(Do("fine"), CommandContext(uuid4(), "user:1")).result == "fine"
