"""Process managers and log consumers run over the log: every event once in order, reactions
through the bus, a replay after a crash is harmless because reactions are idempotent, and a
reader that cannot go on says so in status and readiness, then carries on from where it
stopped (ADR 0060)."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID, uuid4

from adapters.postgres.health import HealthChecks
from adapters.projections.manager import ProjectionManager, TrackedReader
from adapters.projections.policies import PolicyRunner
from application.leads.commands import CaptureLead, ScoreLead
from application.policies import Policy, Reaction
from application.ports import CommandContext
from domain.leads import Lead
from tests.conftest import status_when


class ScoreEveryCapturedLead(Policy):
    """Reacts to LeadCaptured with ScoreLead at version 1 (a replay is a stale write)."""

    name = "test-score-captured"
    event_classes = (Lead.LeadCaptured,)

    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id

    def react(self, event: Any) -> list[Reaction]:
        if event.tenant_id != self.tenant_id:
            return []
        return [Reaction(ScoreLead(event.originator_id, 1, 42, ["policy"]),
                         event.tenant_id, f"system:{self.name}")]


def capture(container: Any, tenant_id: UUID, email: str) -> UUID:
    """A lead captured through the composition root's bus (as the API would)."""
    outcome = container.bus().execute(
        CaptureLead(name=None, email=email, phone=None, source="web"),
        CommandContext(tenant_id=tenant_id, actor="user:test"))
    return outcome.result.lead.id  # type: ignore[no-any-return]


def test_a_policy_reacts_once_and_a_replay_changes_nothing(container: Any) -> None:
    tenant_id = uuid4()
    leads = [capture(container, tenant_id, f"p{n}@example.com") for n in range(3)]
    policy = ScoreEveryCapturedLead(tenant_id)

    def runner() -> PolicyRunner:
        made = PolicyRunner(policy, container.worker_pool(), container.worker_mapper(),
                            container.bus())
        made.ensure_tracking()
        return made

    with container.worker_pool().connection() as conn:
        conn.execute("DELETE FROM projection_tracking WHERE name = %s",
                     (f"policy:{policy.name}",))
    assert runner().catch_up() > 0
    with container.worker_pool().connection() as conn:  # as if it crashed before moving on
        conn.execute("DELETE FROM projection_tracking WHERE name = %s",
                     (f"policy:{policy.name}",))
    runner().catch_up()
    for lead_id in leads:
        history = container.event_store().of(tenant_id, lead_id)
        assert [e.type for e in history] == ["LeadCaptured", "LeadScored"]
        assert history[1].actor == "system:test-score-captured"


def test_a_caught_up_policy_is_idle_although_other_transactions_commit(
        container: Any) -> None:
    """Moving past the horizon is not work: a runner that only advanced its position reports
    0, so it sleeps until woken. (It reported 1 once: every idle policy runner then wrote its
    position in a loop, each write moving the others' horizon: ~1,500 transactions/s.)"""
    tenant_id = uuid4()
    runner = PolicyRunner(ScoreEveryCapturedLead(tenant_id),
                          container.worker_pool(), container.worker_mapper(), container.bus(),
                          tenant_id=tenant_id)
    runner.ensure_tracking()
    capture(container, tenant_id, "idle@example.com")
    runner.catch_up()
    for _ in range(3):
        with container.worker_pool().connection() as conn:  # someone else commits a write
            conn.execute("SELECT pg_current_xact_id()")
        assert runner.step() == 0
    assert runner.catch_up() == 0


class Outage:
    """Fails every event of one tenant while ``down``; counts what it let through."""

    def __init__(self, tenant_id: UUID, error: Exception) -> None:
        self.tenant_id, self.error = tenant_id, error
        self.down = True
        self.handled: list[UUID] = []

    def __call__(self, event: Any) -> None:
        if event.tenant_id != self.tenant_id:
            return
        if self.down:
            raise self.error
        if event.originator_id not in self.handled:
            self.handled.append(event.originator_id)


class FlakyConsumer:
    event_classes = (Lead.LeadCaptured,)

    def __init__(self, outage: Outage) -> None:
        self.name = f"test-flaky-{uuid4().hex[:8]}"
        self.handle = outage


class FlakyPolicy(Policy):
    event_classes = (Lead.LeadCaptured,)

    def __init__(self, outage: Outage) -> None:
        self.name = f"test-flaky-{uuid4().hex[:8]}"
        self.outage = outage

    def react(self, event: Any) -> list[Reaction]:
        self.outage(event)
        return []


def follow_until_recovered(container: Any, tenant_id: UUID, kind: str,
                           make_runner: Any, error: Exception) -> None:
    """Two leads, then ``make_runner(outage)`` run as the runtime does while the outage fails
    them: the failure must show in status and readiness (degraded, still ready), and after
    the outage the runner must carry on by itself from where it stopped, the failure
    cleared."""
    for n in range(2):
        capture(container, tenant_id, f"{kind}{n}@example.com")
    outage = Outage(tenant_id, error)
    runner = make_runner(outage)
    runner.ensure_tracking()
    reader = TrackedReader(runner.tracking_name, runner.topics, kind)
    manager = ProjectionManager(container.database().owner_url, container.worker_pool(),
                                container.worker_mapper(), [], followers=[reader])
    health = HealthChecks(container.app_pool(), manager, container.vendor_circuits())
    stop, wake = threading.Event(), threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, wake), kwargs={"idle": 0.05})
    thread.start()
    try:
        failing = status_when(manager, lambda s: s.failures >= 2)
        assert failing.kind == kind and not failing.needs_rebuild
        assert failing.last_error.startswith(f"{type(error).__name__} after ")
        assert failing.pending >= 1 and outage.handled == []
        readiness = health.readiness()
        assert readiness.ready and readiness.degraded
        assert readiness.checks["projections"]["failing"] == [runner.tracking_name]
        outage.down = False
        recovered = status_when(manager, lambda s: s.failing_since is None and s.pending == 0)
    finally:
        stop.set()
        wake.set()
        thread.join(timeout=30)
    assert (recovered.failures, recovered.last_error) == (0, None)
    assert len(outage.handled) == 2  # both events, once each, after the outage
    assert not health.readiness().degraded


def test_a_consumer_stopped_by_a_vendor_outage_says_so_and_carries_on_after_it(
        container: Any) -> None:
    from adapters.projections.consumers import ConsumerRunner
    from application.conversations.ports import TransportUnavailable

    follow_until_recovered(
        container, uuid4(), "consumer",
        lambda outage: ConsumerRunner(FlakyConsumer(outage), container.worker_pool(),
                                      container.worker_mapper()),
        TransportUnavailable("twilio: 503"))


def test_a_policy_that_cannot_react_says_so_and_carries_on_once_it_can(
        container: Any) -> None:
    tenant_id = uuid4()
    follow_until_recovered(
        container, tenant_id, "policy",
        lambda outage: PolicyRunner(FlakyPolicy(outage), container.worker_pool(),
                                    container.worker_mapper(), container.bus(),
                                    tenant_id=tenant_id),
        RuntimeError("the handler's dependency is down"))
