"""Who sees what on a live event stream (application.streams.Visibility, ADR 0067), and the
positions a client may send to resume."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.streams import (
    MalformedPosition,
    StreamedEvent,
    Visibility,
    aggregate_kind,
    position_text,
)
from domain.cases import Case
from domain.contact_center import Agent, Task
from domain.leads import Lead
from domain.webhooks.subscription import WebhookSubscription

KINDS = ["Contact", "Lead", "Case", "Conversation", "KnowledgeDocument", "Agent", "Queue",
         "Task", "Script", "DispositionCatalog", "TenantKeyRing", "WebhookSubscription"]
ME = uuid4()


def event(kind: str, aggregate_id: UUID | None = None) -> StreamedEvent:
    return StreamedEvent(position="10:1", type=f"{kind}Changed",
                         aggregate_id=aggregate_id or uuid4(), aggregate_kind=kind, version=1,
                         at="2026-12-06T09:00:00+00:00", actor="user:x", data={})


def shown(roles: list[str]) -> set[str]:
    visibility = Visibility.of(ME, roles)
    return {kind for kind in KINDS if visibility.sees(event(kind))}


def test_an_admin_sees_every_event_of_the_tenant() -> None:
    assert shown(["admin"]) == set(KINDS)


@pytest.mark.parametrize("role", ["supervisor", "analyst"])
def test_supervisors_and_analysts_see_everything_but_the_admins_configuration(
        role: str) -> None:
    assert shown([role]) == set(KINDS) - {"WebhookSubscription"}


def test_an_agent_sees_conversations_tasks_and_their_own_agent_only() -> None:
    agent = Visibility.of(ME, ["agent"])
    assert shown(["agent"]) == {"Conversation", "Task"}
    assert agent.sees(event("Agent", ME))
    assert not agent.sees(event("Agent", uuid4()))
    for kind in ("Lead", "Case", "Contact", "Queue", "KnowledgeDocument"):
        assert not agent.sees(event(kind, ME))


def test_several_roles_see_what_any_of_them_sees_and_no_role_sees_nothing() -> None:
    assert shown(["agent", "analyst"]) == shown(["analyst"])
    assert shown(["agent", "admin"]) == set(KINDS)
    assert shown([]) == set()
    assert not Visibility.of(ME, []).sees(event("Agent", ME))


@given(st.sampled_from(KINDS), st.booleans(),
       st.sets(st.sampled_from(["admin", "supervisor", "analyst", "agent"])))
def test_more_roles_never_see_less(kind: str, own: bool, roles: set[str]) -> None:
    seen = event(kind, ME if own else None)
    if Visibility.of(ME, roles).sees(seen):
        assert Visibility.of(ME, roles | {"admin"}).sees(seen)
    if Visibility.of(ME, ["agent"]).sees(seen):
        assert Visibility.of(ME, roles | {"agent"}).sees(seen)


def test_the_kind_of_an_event_is_the_aggregate_it_belongs_to() -> None:
    assert aggregate_kind(Lead.LeadCaptured) == "Lead"
    assert aggregate_kind(Case.CaseOpened) == "Case"
    assert aggregate_kind(Task.TaskCreated) == "Task"
    assert aggregate_kind(Agent.AgentRegistered) == "Agent"
    assert aggregate_kind(WebhookSubscription.SubscriptionCreated) == "WebhookSubscription"


@pytest.mark.parametrize(("text", "position"), [
    ("1234:5678", "1234:5678"), (" 12:0 ", "12:0"), ("007:08", "7:8"),
    (f"{2**64 - 1}:{2**63 - 1}", f"{2**64 - 1}:{2**63 - 1}")])
def test_a_position_is_tx_colon_id(text: str, position: str) -> None:
    assert position_text(text) == position


@pytest.mark.parametrize("text", [
    "", "abc", "12", "12:", ":12", "1:2:3", "-1:2", "1:-2", "1.5:2", "1:2x", "\uff10:1",
    f"{2**64}:1", f"1:{2**63}", "1" * 21 + ":1"])
def test_anything_else_is_a_malformed_position(text: str) -> None:
    with pytest.raises(MalformedPosition):
        position_text(text)
