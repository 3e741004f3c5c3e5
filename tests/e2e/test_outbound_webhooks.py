"""Outbound webhooks over HTTP, end to end (ADR 0068): a tenant's admin subscribes a URL, the
enqueuer follows the log and the dispatcher POSTs each event, signed, to a local receiver that
verifies the signature with the standardwebhooks library.

A second composition root serves these tests, configured as an operator would for a receiver
inside the network (``FRONTDESK_WEBHOOKS_ALLOW_PRIVATE``) and with a retry schedule of seconds
instead of days; its enqueuer and dispatcher run in threads as a worker runs them. A third,
with the defaults of production (https only, no private addresses), refuses internal targets.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar.testing import TestClient
from standardwebhooks.webhooks import Webhook

from tests.conftest import ADMIN_TOKEN, NO_RATE_LIMITS, TenantSession, provision
from tests.vendors import FakeServer

GIVE_UP_AFTER = 3.0
Answer = Callable[[dict[str, Any]], int]


class Receiver(FakeServer):
    """A webhook receiver: each path answers by its rule (200 unless told), and every request
    is kept with its headers, body and the status it got."""

    def __init__(self) -> None:
        super().__init__()
        self.rules: dict[str, Answer] = {}
        self.answered: list[dict[str, Any]] = []
        self._answering = threading.Lock()

    def handle(self, request: Any, raw: bytes) -> None:
        with self._answering:
            body = json.loads(raw)
            status = self.rules.get(request.path, lambda _: 200)(body)
            self.answered.append({"path": request.path, "body": body, "raw": raw,
                                  "headers": {k.lower(): v for k, v in request.headers.items()},
                                  "status": status})
        request._json(status, {"ok": status < 300})

    def at(self, path: str) -> list[dict[str, Any]]:
        with self._answering:
            return [a for a in self.answered if a["path"] == path]

    def delivered(self, path: str) -> list[dict[str, Any]]:
        return [a for a in self.at(path) if a["status"] < 300]


def wait_for(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)
    return found


def composition_root(owner_url: str, **settings: Any) -> Any:
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.settings import Settings

    built = Container()
    built.settings.override(providers.Object(Settings(
        DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN, FRONTDESK_LOG_LEVEL="WARNING",
        FRONTDESK_STALE_POLICY_INTERVAL=3600.0,
        **NO_RATE_LIMITS, **settings)))  # type: ignore[arg-type]
    built.database()
    built.committer()  # commits wake this root's enqueuer, and the session's projections
    built.notifier().start()
    return built


def close(built: Any) -> None:
    built.notifier().stop()
    built.datastore().close()
    built.worker_pool().close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def hooks(owner_url: str, runtime: Any) -> Iterator[Any]:
    """A root whose enqueuer and dispatcher run in threads, retrying within seconds."""
    from adapters.projections.consumers import ConsumerRunner

    built = composition_root(
        owner_url, FRONTDESK_WEBHOOKS_ALLOW_PRIVATE=True, FRONTDESK_WEBHOOKS_RETRY_BASE=0.05,
        FRONTDESK_WEBHOOKS_RETRY_CAP=0.3, FRONTDESK_WEBHOOKS_GIVE_UP_AFTER=GIVE_UP_AFTER,
        FRONTDESK_WEBHOOKS_CIRCUIT_FAILURES=1000, FRONTDESK_WEBHOOKS_POLL_INTERVAL=0.1,
        FRONTDESK_WEBHOOKS_TIMEOUT=5.0)
    stop = threading.Event()
    enqueuer = ConsumerRunner(built.webhooks.enqueuer(), built.worker_pool(),
                              built.worker_mapper())
    enqueuer.ensure_tracking()
    enqueuer.catch_up()  # the log of the tests before (no subscription in it), once
    wake = built.notifier().subscribe(enqueuer.topics)
    dispatcher = built.webhooks.dispatcher()
    threads = [threading.Thread(target=enqueuer.run, args=(stop, wake), kwargs={"idle": 0.2},
                                daemon=True),
               threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)]
    for thread in threads:
        thread.start()
    yield built
    stop.set()
    wake.set()
    for thread in threads:
        thread.join(timeout=10)
    built.webhooks.sender().close()
    close(built)


@pytest.fixture(scope="module")
def hooks_client(hooks: Any) -> Iterator[TestClient[Any]]:
    from entrypoints.http.app import create_app

    with TestClient(app=create_app(hooks), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin(hooks_client: TestClient[Any]) -> TenantSession:
    return provision(hooks_client)


def subscribe(session: TenantSession, receiver: Receiver, event_types: list[str],
              rule: Answer | None = None) -> tuple[str, str, str]:
    """(subscription id, secret, the receiver's path)."""
    path = f"/hooks/{uuid4().hex}"
    if rule is not None:
        receiver.rules[path] = rule
    created = session.post("/v1/webhook-subscriptions", json={
        "url": receiver.url + path, "event_types": event_types, "description": "test"})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["secret"], path


def capture(session: TenantSession, campaign: str = "spring") -> str:
    lead = session.post("/v1/leads", json={"name": "Ana Ruiz", "email": f"{uuid4().hex}@x.io",
                                           "source": "web_form", "campaign": campaign})
    assert lead.status_code == 201, lead.text
    return str(lead.json()["id"])


def verified(secret: str, answer: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(answer["raw"], answer["headers"])
    return payload


# -- delivery ------------------------------------------------------------------------------------

def test_a_subscribed_event_arrives_signed_as_its_history_shows_it(
        admin: TenantSession, receiver: Receiver) -> None:
    sub_id, secret, path = subscribe(admin, receiver, ["LeadCaptured"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{40,}", secret)
    lead_id = capture(admin)
    answer = wait_for(lambda: receiver.delivered(path), "the delivery")[0]
    payload = verified(secret, answer)
    headers = answer["headers"]
    assert re.fullmatch(r"\d+:\d+", headers["webhook-id"])
    assert payload["id"] == headers["webhook-id"]
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    history = admin.get(f"/v1/leads/{lead_id}/events").json()["items"][0]
    assert payload["type"] == "LeadCaptured" == history["type"]
    assert payload["data"] == {"aggregate_id": lead_id, "aggregate_type": "Lead",
                               "version": 1, "actor": history["actor"],
                               "data": history["data"]}
    with pytest.raises(Exception, match="signature"):  # another secret does not verify it
        Webhook("whsec_" + "A" * 44).verify(answer["raw"], headers)
    deliveries = wait_for(lambda: [d for d in admin.get(
        f"/v1/webhook-subscriptions/{sub_id}/deliveries").json()["items"]
        if d["status"] == "delivered"], "the delivery recorded")
    assert deliveries[0]["id"] == headers["webhook-id"]
    assert (deliveries[0]["attempts"], deliveries[0]["last_status_code"]) == (1, 200)


def test_a_receiver_failing_three_times_gets_the_event_once_as_a_success_with_one_id(
        admin: TenantSession, receiver: Receiver) -> None:
    failures: dict[str, int] = {}

    def thrice(body: dict[str, Any]) -> int:
        failures[body["id"]] = failures.get(body["id"], 0) + 1
        return 503 if failures[body["id"]] <= 3 else 200

    sub_id, secret, path = subscribe(admin, receiver, ["LeadCaptured"], thrice)
    capture(admin)
    wait_for(lambda: receiver.delivered(path), "the fourth attempt")
    time.sleep(0.5)  # room for a wrong extra delivery to show
    answers = receiver.at(path)
    assert [a["status"] for a in answers] == [503, 503, 503, 200]
    assert len({a["headers"]["webhook-id"] for a in answers}) == 1
    assert all(verified(secret, a)["type"] == "LeadCaptured" for a in answers)
    delivery = admin.get(f"/v1/webhook-subscriptions/{sub_id}/deliveries").json()["items"][0]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 4)


def test_a_failing_event_holds_back_its_aggregate_only(admin: TenantSession,
                                                       receiver: Receiver) -> None:
    flowed = threading.Event()

    def hold_until_the_other_flows(body: dict[str, Any]) -> int:
        if body["type"] == "LeadCaptured" and body["data"]["data"]["campaign"] == "flow":
            flowed.set()
        if body["type"] == "LeadCaptured" and body["data"]["data"]["campaign"] == "hold":
            return 200 if flowed.is_set() else 503
        return 200

    _, _, path = subscribe(admin, receiver, ["LeadCaptured", "LeadQualified"],
                           hold_until_the_other_flows)
    held = capture(admin, "hold")
    wait_for(lambda: [a for a in receiver.at(path) if a["status"] == 503], "a failure")
    qualified = admin.post(f"/v1/leads/{held}/qualify", json={"note": "ready"})
    assert qualified.status_code == 200, qualified.text
    other = capture(admin, "flow")
    wait_for(lambda: len(receiver.delivered(path)) == 3, "every event")
    delivered = [(a["body"]["data"]["aggregate_id"], a["body"]["type"])
                 for a in receiver.delivered(path)]
    assert delivered.index((other, "LeadCaptured")) < delivered.index((held, "LeadCaptured"))
    assert [t for aggregate, t in delivered if aggregate == held] == ["LeadCaptured",
                                                                       "LeadQualified"]
    first_success = next(i for i, a in enumerate(receiver.at(path))
                         if a["body"]["data"]["aggregate_id"] == held and a["status"] == 200)
    assert all(a["body"]["type"] != "LeadQualified" for a in receiver.at(path)[:first_success])


def test_a_replay_delivers_again_what_came_after_a_position(admin: TenantSession,
                                                            receiver: Receiver) -> None:
    sub_id, secret, path = subscribe(admin, receiver, ["LeadCaptured"])
    first, second = capture(admin), capture(admin)
    wait_for(lambda: len(receiver.delivered(path)) == 2, "both deliveries")
    ids = {a["body"]["data"]["aggregate_id"]: a["headers"]["webhook-id"]
           for a in receiver.delivered(path)}
    replay = admin.post(f"/v1/webhook-subscriptions/{sub_id}/replay",
                        json={"after": ids[first]})
    assert replay.status_code == 202, replay.text
    assert replay.json() == {"subscription_id": sub_id, "after": ids[first],
                             "status": "accepted"}
    wait_for(lambda: len(receiver.delivered(path)) == 3, "the replayed delivery")
    again = receiver.delivered(path)[2]
    assert again["headers"]["webhook-id"] == ids[second]
    assert verified(secret, again)["data"]["aggregate_id"] == second
    assert admin.post(f"/v1/webhook-subscriptions/{sub_id}/replay",
                      json={"after": "yesterday"}).status_code == 422


def test_persistent_failure_disables_the_subscription_with_an_audit_entry(
        admin: TenantSession, receiver: Receiver) -> None:
    sub_id, _, path = subscribe(admin, receiver, ["LeadCaptured"], lambda _: 500)
    capture(admin)
    disabled = wait_for(lambda: (s := admin.get(f"/v1/webhook-subscriptions/{sub_id}").json())
                        ["status"] == "disabled" and s, "the subscription disabled",
                        timeout=GIVE_UP_AFTER + 20)
    assert "failed for" in disabled["disabled_reason"]
    assert "answered 500" in disabled["disabled_reason"]
    assert len(receiver.at(path)) > 3
    entries = wait_for(lambda: admin.get("/v1/audit", params={
        "resource_id": sub_id, "action": "SubscriptionDisabled"}).json()["items"],
        "the audit entry")
    assert (entries[0]["actor"], entries[0]["resource_type"]) == ("system:webhooks",
                                                                  "WebhookSubscription")
    delivery = admin.get(f"/v1/webhook-subscriptions/{sub_id}/deliveries").json()["items"][0]
    assert (delivery["status"], delivery["last_status_code"]) == ("failed", 500)
    assert delivery["next_attempt_at"] is None and delivery["attempts"] > 3
    enabled = admin.post(f"/v1/webhook-subscriptions/{sub_id}/enable")
    assert (enabled.status_code, enabled.json()["status"]) == (200, "active")


# -- the API's rules -------------------------------------------------------------------------------

def test_another_tenant_can_neither_see_nor_replay_a_subscription(
        admin: TenantSession, hooks_client: TestClient[Any], receiver: Receiver) -> None:
    sub_id, _, _ = subscribe(admin, receiver, ["CaseOpened"])
    stranger = provision(hooks_client)
    base = f"/v1/webhook-subscriptions/{sub_id}"
    for answer in (stranger.get(base), stranger.get(f"{base}/deliveries"),
                   stranger.post(f"{base}/replay", json={"after": "1:1"}),
                   stranger.post(f"{base}/disable", json={"reason": "mine now"}),
                   stranger.client.delete(base, headers=stranger.headers)):
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert stranger.get("/v1/webhook-subscriptions").json()["items"] == []
    # still the admin's, untouched (read once the read model has the subscription)
    assert wait_for(lambda: admin.get(base).json().get("status"), "the subscription") == "active"


def test_the_secret_is_shown_in_the_create_answer_only(admin: TenantSession,
                                                       receiver: Receiver, hooks: Any) -> None:
    body = {"url": receiver.url + "/hooks/once", "event_types": ["LeadCaptured"]}
    key = {"Idempotency-Key": uuid4().hex}
    first = admin.post("/v1/webhook-subscriptions", json=body, headers=key)
    again = admin.post("/v1/webhook-subscriptions", json=body, headers=key)
    secret, sub_id = first.json()["secret"], first.json()["id"]
    assert first.status_code == again.status_code == 201 and secret.startswith("whsec_")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["secret"] is None and again.json()["id"] == sub_id
    position = first.headers["x-frontdesk-position"]
    shown = [admin.read("/v1/webhook-subscriptions", position).text,
             admin.get(f"/v1/webhook-subscriptions/{sub_id}").text,
             admin.get(f"/v1/webhook-subscriptions/{sub_id}/deliveries").text,
             admin.get("/v1/audit", params={"resource_id": sub_id}).text]
    assert sub_id in shown[0] and sub_id in shown[1]
    key_text = secret.removeprefix("whsec_")
    assert all(key_text not in text for text in shown)
    with hooks.worker_pool().connection() as conn:
        stored = [bytes(r["state"]) for r in conn.execute(
            "SELECT state FROM events WHERE originator_id = %s", (sub_id,)).fetchall()]
    assert stored and all(key_text.encode() not in state for state in stored)
    answers = [bytes(r["body"]) for r in hooks.reader().fetch(
        UUID(admin.id), "SELECT body FROM idempotency_keys WHERE tenant_id = %(t)s",
        {"t": UUID(admin.id)})]
    assert any(sub_id.encode() in body for body in answers)  # the stored answer, without it
    assert all(key_text.encode() not in body for body in answers)
    removed = admin.client.delete(f"/v1/webhook-subscriptions/{sub_id}", headers=admin.headers)
    assert removed.status_code == 204
    listed = admin.read("/v1/webhook-subscriptions", removed.headers["x-frontdesk-position"])
    assert sub_id not in listed.text
    assert admin.get(f"/v1/webhook-subscriptions/{sub_id}").status_code == 404


def test_event_types_are_listed_and_unknown_ones_refused(admin: TenantSession,
                                                         receiver: Receiver) -> None:
    types = admin.get("/v1/webhook-subscriptions/event-types").json()["items"]
    assert {"LeadCaptured", "CaseOpened", "TaskCompleted"} <= set(types)
    assert "SubscriptionCreated" not in types
    refused = admin.post("/v1/webhook-subscriptions", json={
        "url": receiver.url + "/hooks/x", "event_types": ["LeadCaptured", "LeadStolen"]})
    assert refused.status_code == 422 and "LeadStolen" in refused.json()["detail"]


# -- SSRF ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def strict_client(owner_url: str, runtime: Any) -> Iterator[TestClient[Any]]:
    """The defaults of production: https only, no private addresses."""
    from entrypoints.http.app import create_app

    built = composition_root(owner_url, FRONTDESK_WEBHOOKS_REQUIRE_HTTPS=True)
    assert built.settings().webhooks_allow_private is False
    try:
        with TestClient(app=create_app(built), raise_server_exceptions=False) as client:
            yield client
    finally:
        close(built)


@pytest.mark.parametrize("url", [
    "https://10.0.0.1/hook", "https://127.0.0.1:8443/hook", "https://localhost/hook",
    "https://[::1]/hook", "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/hook", "https://api.localhost/hook",
    "http://93.184.215.14/hook",  # plain http where https is required
])
def test_internal_targets_and_plain_http_are_a_422_and_store_nothing(
        strict_client: TestClient[Any], url: str) -> None:
    session = provision(strict_client)
    refused = session.post("/v1/webhook-subscriptions",
                           json={"url": url, "event_types": ["LeadCaptured"]})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "url"
    assert "X-Frontdesk-Position".lower() not in refused.headers
    assert session.get("/v1/webhook-subscriptions").json()["items"] == []
    allowed = session.post("/v1/webhook-subscriptions",
                           json={"url": "https://93.184.215.14/hook",
                                 "event_types": ["LeadCaptured"]})
    assert allowed.status_code == 201, allowed.text
    removed = session.client.delete(f"/v1/webhook-subscriptions/{allowed.json()['id']}",
                                    headers=session.headers)
    assert removed.status_code == 204
