"""Process managers run over the log: every event once in order, reactions through the bus,
a replay after a crash is harmless because reactions are idempotent."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from adapters.projections.policies import PolicyRunner
from application.leads.actions import ScoreLeadHandler
from application.leads.commands import ScoreLead
from application.policies import Policy, Reaction
from domain.leads import Lead
from tests.conftest import TenantSession


class ScoreEveryCapturedLead(Policy):
    """Reacts to LeadCaptured with ScoreLead at version 1 (a replay is a stale write)."""

    name = "test-score-captured"
    event_classes = (Lead.LeadCaptured,)

    def __init__(self, handler: ScoreLeadHandler, tenant_id: str) -> None:
        self.handler, self.tenant_id = handler, UUID(tenant_id)

    def react(self, event: Any) -> list[Reaction]:
        if event.tenant_id != self.tenant_id:
            return []
        return [Reaction(self.handler, ScoreLead(event.originator_id, 1, 42, ["policy"]),
                         event.tenant_id, f"system:{self.name}")]


def test_a_policy_reacts_once_and_a_replay_changes_nothing(container: Any,
                                                           tenant: TenantSession) -> None:
    leads = [tenant.post("/v1/leads", json={"email": f"p{n}@example.com", "source": "web"})
             .json()["id"] for n in range(3)]
    policy = ScoreEveryCapturedLead(container.score_lead(), tenant.id)

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
        history = tenant.get(f"/v1/leads/{lead_id}/events").json()["items"]
        assert [e["type"] for e in history] == ["LeadCaptured", "LeadScored"]
        assert history[1]["actor"] == "system:test-score-captured"


def test_a_caught_up_policy_is_idle_although_other_transactions_commit(
        container: Any, tenant: TenantSession) -> None:
    """Moving past the horizon is not work: a runner that only advanced its position reports
    0, so it sleeps until woken. (It reported 1 once: every idle policy runner then wrote its
    position in a loop, each write moving the others' horizon: ~1,500 transactions/s.)"""
    runner = PolicyRunner(ScoreEveryCapturedLead(container.score_lead(), tenant.id),
                          container.worker_pool(), container.worker_mapper(), container.bus(),
                          tenant_id=UUID(tenant.id))
    runner.ensure_tracking()
    tenant.post("/v1/leads", json={"email": "idle@example.com", "source": "web"})
    runner.catch_up()
    for _ in range(3):
        with container.worker_pool().connection() as conn:  # someone else commits a write
            conn.execute("SELECT pg_current_xact_id()")
        assert runner.step() == 0
    assert runner.catch_up() == 0
