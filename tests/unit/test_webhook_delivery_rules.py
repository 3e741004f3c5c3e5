"""Outbound webhooks, the pure parts (ADR 0068): the retry schedule, the circuit per
subscription, the address check (SSRF) with a stand-in resolver, the URL rules, the settings'
https default, and the subscription's rules."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import uuid4

import pytest

from adapters.webhooks.targets import UrlTargets, refusal
from application.webhooks.circuits import EndpointCircuits
from application.webhooks.ports import TargetRefused
from application.webhooks.schedule import RetrySchedule
from domain.shared.errors import InvalidValue, NotFound, RuleViolated
from domain.webhooks import SubscriptionStatus, WebhookSubscription, webhook_url

T0 = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)

# -- the retry schedule -------------------------------------------------------------------------


def test_delays_double_from_the_base_up_to_the_cap() -> None:
    schedule = RetrySchedule(base=5, cap=3600, give_up_after=3 * 86_400)
    ceilings = [schedule.delay(n, draw=1.0) for n in range(1, 14)]
    assert ceilings[:4] == [5, 10, 20, 40]
    assert ceilings[-1] == 3600 and max(ceilings) == 3600
    assert all(a <= b for a, b in pairwise(ceilings))


def test_jitter_draws_between_half_and_all_of_the_delay() -> None:
    schedule = RetrySchedule(base=8, cap=100)
    assert schedule.delay(3, draw=0.0) == 16
    assert schedule.delay(3, draw=0.5) == 24
    assert schedule.delay(3, draw=0.999) < 32
    assert schedule.delay(200, draw=0.0) == 50  # capped, no overflow


def test_a_delivery_is_retried_for_days_then_given_up() -> None:
    schedule = RetrySchedule()
    first = T0
    at, failures, attempts = T0, 0, []
    while (due := schedule.next_attempt(failures=failures + 1, first_attempt=first, now=at,
                                         draw=0.5)) is not None:
        failures += 1
        attempts.append(due)
        at = due
    assert timedelta(days=3) <= at - first < timedelta(days=3, hours=1)
    assert 60 < len(attempts) < 120  # about one an hour once capped
    assert attempts[0] - T0 < timedelta(seconds=5)


def test_a_schedule_must_make_sense() -> None:
    with pytest.raises(ValueError, match="base <= cap"):
        RetrySchedule(base=10, cap=5)
    with pytest.raises(ValueError, match="positive"):
        RetrySchedule(give_up_after=0)


# -- the circuit of a subscription -------------------------------------------------------------

def test_a_circuit_opens_after_failures_in_a_row_then_lets_one_trial_through() -> None:
    circuits = EndpointCircuits(fail_max=3, reset_timeout=60)
    sub, other = uuid4(), uuid4()
    assert not circuits.failed(sub, T0)
    circuits.succeeded(sub)  # a success in between: the count starts again
    assert not circuits.failed(sub, T0) and not circuits.failed(sub, T0)
    assert circuits.failed(sub, T0)
    circuits.failed(other, T0)
    assert circuits.closed_out(T0 + timedelta(seconds=59)) == ({sub}, set())
    assert circuits.closed_out(T0 + timedelta(seconds=60)) == (set(), {sub})
    assert circuits.failed(sub, T0 + timedelta(seconds=61))  # the trial failed: open again
    assert circuits.closed_out(T0 + timedelta(seconds=62)) == ({sub}, set())
    circuits.succeeded(sub)
    assert circuits.closed_out(T0 + timedelta(seconds=200)) == (set(), set())


# -- the address check (SSRF) -----------------------------------------------------------------

DNS = {"hooks.example.test": ["127.0.0.1"], "rebinding.example.test": ["93.184.215.14", "10.1.2.3"],
       "public.example.test": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}


def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError("no such host")
    return DNS[host]


def strict() -> UrlTargets:
    return UrlTargets(https_only=True, allow_private=False, resolve=resolver)


@pytest.mark.parametrize("url", [
    "https://10.0.0.1/hook", "https://127.0.0.1/hook", "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/", "https://hooks.example.test/hook",
    "https://rebinding.example.test/hook", "https://192.168.1.20:8443/hook",
    "https://172.16.0.1/hook", "https://100.64.0.1/hook", "https://0.0.0.0/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://[64:ff9b::a00:1]/hook",
    "https://[fe80::1]/hook", "https://[fd00::1]/hook", "https://224.0.0.1/hook",
    "https://api.localhost/hook", "https://nowhere.example.test/hook",
    "http://public.example.test/hook",
])
def test_internal_targets_and_plain_http_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        strict().check(url)
    assert refused.value.field == "url"


def test_a_public_https_target_passes_with_every_address_it_resolves_to() -> None:
    target = strict().target("https://public.example.test:8443/hook?x=1")
    assert (target.scheme, target.host, target.port) == ("https", "public.example.test", 8443)
    assert len(target.addresses) == 2
    strict().check("https://93.184.215.14/hook")


def test_the_settings_let_private_addresses_and_http_through() -> None:
    lenient = UrlTargets(https_only=False, allow_private=True, resolve=resolver)
    for url in ("http://127.0.0.1:9000/hook", "https://hooks.example.test/hook",
                "http://10.0.0.1/hook", "https://169.254.169.254/"):
        lenient.check(url)
    with pytest.raises(TargetRefused):  # never a host address
        lenient.check("http://0.0.0.0:9000/hook")


def test_refusals_say_why() -> None:
    assert "loopback" in str(refusal(ipaddress.ip_address("127.0.0.1"), allow_private=False))
    assert "link-local" in str(refusal(ipaddress.ip_address("169.254.169.254"),
                                       allow_private=False))
    assert refusal(ipaddress.ip_address("93.184.215.14"), allow_private=False) is None


def test_production_mode_requires_https_unless_told_otherwise() -> None:
    from entrypoints.settings import Settings

    secrets = {"JWT_SECRET": "j" * 40, "FRONTDESK_KEKS": "k1:" + "A" * 43 + "=",
               "FRONTDESK_BLIND_INDEX_KEY": "B" * 43 + "=", "ADMIN_API_TOKEN": "a" * 40,
               "FRONTDESK_APP_DB_PASSWORD": "app-secret", "FRONTDESK_WORKER_DB_PASSWORD": "w-s"}
    production = Settings(FRONTDESK_ENV="production", **secrets)  # type: ignore[arg-type]
    assert production.webhooks_https_only and not production.webhooks_allow_private
    assert not Settings(FRONTDESK_ENV="development").webhooks_https_only
    assert Settings(FRONTDESK_ENV="development",
                    FRONTDESK_WEBHOOKS_REQUIRE_HTTPS=True).webhooks_https_only


# -- the subscription --------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://example.com/x", "https://user:pw@example.com/x",
                                 "https://example.com/x#frag", "https:///nohost", "",
                                 "https://exa mple.com/x", "https://example.com:0/x"])
def test_a_webhook_url_is_absolute_http_without_credentials(url: str) -> None:
    with pytest.raises(InvalidValue):
        webhook_url(url)


def subscription() -> WebhookSubscription:
    return WebhookSubscription.create(
        subscription_id=uuid4(), tenant_id=uuid4(), actor="user:1", at=T0,
        url="https://hooks.example.com/x", event_types=["LeadCaptured", "LeadCaptured"],
        description=None, secret="whsec_c2VjcmV0")


def test_a_subscription_is_disabled_enabled_replayed_and_removed_by_its_rules() -> None:
    sub = subscription()
    assert sub.event_types == ("LeadCaptured",) and sub.subject_id == sub.id
    sub.request_replay(actor="user:1", at=T0, after="12:3")
    with pytest.raises(InvalidValue):
        sub.request_replay(actor="user:1", at=T0, after="yesterday")
    sub.disable(actor="system:webhooks", at=T0, reason="down for days")
    assert (sub.status, sub.disabled_reason) == (SubscriptionStatus.DISABLED, "down for days")
    with pytest.raises(RuleViolated):
        sub.disable(actor="user:1", at=T0, reason="again")
    with pytest.raises(RuleViolated):
        sub.request_replay(actor="user:1", at=T0, after="12:3")
    sub.enable(actor="user:1", at=T0)
    with pytest.raises(RuleViolated):
        sub.enable(actor="user:1", at=T0)
    sub.remove(actor="user:1", at=T0)
    with pytest.raises(NotFound):
        sub.request_replay(actor="user:1", at=T0, after="12:3")
    assert [type(e).__name__ for e in sub.collect_events()] == [
        "SubscriptionCreated", "ReplayRequested", "SubscriptionDisabled",
        "SubscriptionEnabled", "SubscriptionRemoved"]
