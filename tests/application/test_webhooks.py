"""Webhook subscriptions through the command bus, on the fake store and on PostgreSQL: the
target policy and the catalog refuse before anything is stored, the secret is kept sealed
(never in the clear in the log) and destroyed with the subscription, and the rules of
disabling, enabling, replaying and removing; another tenant's subscription is not found."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from application.bus import CommandBus
from application.webhooks import (
    CreatedSubscription,
    CreateSubscription,
    DisableSubscription,
    EnableSubscription,
    RemoveSubscription,
    ReplaySubscription,
    TargetRefused,
    command_handlers,
)
from domain.shared import InvalidValue, NotFound, RuleViolated, StaleVersion
from domain.webhooks import SubscriptionStatus, WebhookSubscription
from tests.application.backends import App

URL = "https://hooks.bright.example/frontdesk"


class FakeTargets:
    """The target policy: hosts the test names are internal."""

    def __init__(self) -> None:
        self.internal: set[str] = {"metadata.internal"}

    def check(self, url: str) -> None:
        if any(f"//{host}" in url for host in self.internal):
            raise TargetRefused("refused: resolves to a private address")


@pytest.fixture
def bus(app: App) -> CommandBus:
    return app.bus_with(dict(command_handlers(FakeTargets())))


def create(app: App, bus: CommandBus, **changes: Any) -> CreatedSubscription:
    command = CreateSubscription(**{"url": URL, "event_types": ["LeadCaptured", "CaseOpened"],
                                    "description": "CRM sync", **changes})
    result: CreatedSubscription = app.run(command, bus=bus)
    return result


def test_a_subscription_is_created_with_a_secret_that_is_stored_sealed(app: App,
                                                                       bus: CommandBus) -> None:
    created = create(app, bus)
    view = created.subscription
    assert (view.url, view.event_types, view.status) == (URL, ["LeadCaptured", "CaseOpened"],
                                                         "active")
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    assert create(app, bus).secret != created.secret
    assert app.types(view.id) == ["SubscriptionCreated"]
    assert app.load(WebhookSubscription, view.id).secret == created.secret
    if app.backend == "postgres":  # the log itself holds only the sealed form
        with app.log.container.worker_pool().connection() as conn:  # type: ignore[attr-defined]
            row = conn.execute("SELECT state, subject_id FROM events WHERE originator_id = %s",
                               (view.id,)).fetchone()
        assert created.secret.removeprefix("whsec_").encode() not in bytes(row["state"])
        assert b"_pii" in bytes(row["state"]) and row["subject_id"] == view.id


@pytest.mark.parametrize("changes", [
    {"url": "https://metadata.internal/latest"}, {"url": "ftp://hooks.example/x"},
    {"event_types": ["LeadCaptured", "NoSuchEvent"]}, {"event_types": []},
    {"event_types": ["SubscriptionCreated"]},  # configuration is not deliverable
])
def test_refused_targets_and_unknown_types_store_nothing(app: App, bus: CommandBus,
                                                         changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as refused:
        create(app, bus, **changes)
    assert refused.value.field in ("url", "event_types")
    assert app.all_events() == []


def test_disable_enable_replay_and_remove_follow_the_rules(app: App, bus: CommandBus) -> None:
    sub_id = create(app, bus).subscription.id
    replay = app.run(ReplaySubscription(sub_id, "100:2"), bus=bus)
    assert replay.after == "100:2"
    with pytest.raises(InvalidValue):
        app.run(ReplaySubscription(sub_id, "the beginning"), bus=bus)
    disabled = app.run(DisableSubscription(sub_id, "endpoint retired"), bus=bus)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "endpoint retired")
    with pytest.raises(RuleViolated):
        app.run(ReplaySubscription(sub_id, "100:2"), bus=bus)
    with pytest.raises(StaleVersion):
        app.run(EnableSubscription(sub_id, expected_version=1), bus=bus)
    assert app.run(EnableSubscription(sub_id, expected_version=3), bus=bus).status == "active"
    app.run(RemoveSubscription(sub_id), bus=bus)
    with pytest.raises(NotFound):
        app.run(DisableSubscription(sub_id, "again"), bus=bus)
    assert app.types(sub_id) == ["SubscriptionCreated", "ReplayRequested",
                                 "SubscriptionDisabled", "SubscriptionEnabled",
                                 "SubscriptionRemoved"]
    removed = app.load(WebhookSubscription, sub_id)
    assert removed.status is SubscriptionStatus.REMOVED
    if app.backend == "postgres":  # its data key was destroyed with the removal
        assert removed.secret == "[erased]"


def test_another_tenants_subscription_is_not_found(app: App, bus: CommandBus) -> None:
    sub_id = create(app, bus).subscription.id
    stranger = app.context(tenant_id=uuid4())
    for command in (ReplaySubscription(sub_id, "1:1"), DisableSubscription(sub_id, "x"),
                    RemoveSubscription(sub_id)):
        with pytest.raises(NotFound):
            app.run(command, stranger, bus=bus)
    assert app.types(sub_id) == ["SubscriptionCreated"]
