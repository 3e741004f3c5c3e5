"""Fixtures of the conversation tests: fake vendors, and a second composition root on the same
test database wired to them (Twilio and SMTP configured, the LLM chain on the fake OpenAI
server then the offline assistant). Projections run in the session runtime; this container's
commits wake it by NOTIFY, as another process's would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import ADMIN_TOKEN, NO_RATE_LIMITS, TenantSession, provision
from tests.vendors import FakeOpenAI, FakeTwilio, SmtpSink

PUBLIC_URL = "https://frontdesk.example.test"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token-for-tests"
EMAIL_SECRET = "email-webhook-secret-for-tests"


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    yield server
    server.close()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture(scope="session")
def vendor_container(owner_url: str, runtime: Any, fake_openai: FakeOpenAI,
                     fake_twilio: FakeTwilio, smtp_sink: SmtpSink) -> Iterator[Any]:
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.settings import Settings

    settings = Settings(
        DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN, FRONTDESK_LOG_LEVEL="WARNING",
        FRONTDESK_STALE_POLICY_INTERVAL=3600.0, FRONTDESK_PUBLIC_URL=PUBLIC_URL,
        FRONTDESK_LLM_CHAIN="openai", OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=f"{fake_openai.url}/v1", FRONTDESK_LLM_TIMEOUT=5.0,
        FRONTDESK_LLM_ATTEMPTS=1,
        TWILIO_ACCOUNT_SID=TWILIO_SID, TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_API_BASE=fake_twilio.url, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port,
        SMTP_FROM="hello@bright.example", FRONTDESK_EMAIL_WEBHOOK_SECRET=EMAIL_SECRET,
        **NO_RATE_LIMITS)  # type: ignore[arg-type]
    built = Container()
    built.settings.override(providers.Object(settings))
    built.database()
    built.committer()  # commits notify the session runtime's listener
    built.notifier().start()
    yield built
    built.notifier().stop()
    built.datastore().close()
    built.worker_pool().close()


@pytest.fixture(scope="session")
def vendor_client(vendor_container: Any) -> Iterator[TestClient[Any]]:
    from entrypoints.http.app import create_app

    with TestClient(app=create_app(vendor_container), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def desk(vendor_client: TestClient[Any]) -> TenantSession:
    """A fresh tenant on the service wired to the fake vendors."""
    return provision(vendor_client)


def drain_outbox(container: Any, consumers: list[Any] | None = None) -> None:
    """Run the outbox dispatchers (the container's, or ``consumers``) over the log until caught
    up (the runtime would)."""
    from adapters.projections.consumers import ConsumerRunner

    for consumer in container.consumers() if consumers is None else consumers:
        runner = ConsumerRunner(consumer, container.worker_pool(), container.worker_mapper())
        runner.ensure_tracking()
        runner.catch_up()
