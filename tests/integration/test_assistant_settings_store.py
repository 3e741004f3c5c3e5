"""The assistant settings store on PostgreSQL: what is saved and what is read back both pass
through the AssistantSettings value object, so a bad value is refused when saved and, if one
was stored anyway, when read."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from adapters.identity.assistant_settings import PostgresAssistantSettings
from domain.shared import InvalidValue


@pytest.fixture
def tenant_id(owner_url: str, container: Any) -> uuid.UUID:
    """A bare tenant row: the settings store needs nothing else."""
    created = uuid.uuid4()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, 'Settings')",
                     (created, f"s-{created.hex[:10]}"))
    return created


@pytest.fixture
def store(container: Any) -> PostgresAssistantSettings:
    return PostgresAssistantSettings(container.app_pool(), ttl=0)


def stored(owner_url: str, tenant_id: uuid.UUID) -> Any:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        row = conn.execute("SELECT settings -> 'assistant' FROM tenants WHERE id = %s",
                           (tenant_id,)).fetchone()
    assert row is not None
    return row[0]


def test_a_tenant_without_settings_reads_the_defaults(store: PostgresAssistantSettings,
                                                      tenant_id: uuid.UUID) -> None:
    settings = store.for_tenant(tenant_id)
    assert (settings.context_token_budget, settings.max_reply_tokens) == (2000, 400)
    assert settings.persona.startswith("You are the friendly front-desk assistant")


def test_saved_settings_read_back_as_the_value_object(store: PostgresAssistantSettings,
                                                      tenant_id: uuid.UUID) -> None:
    raw = {"persona": "You are Sonia.", "context_token_budget": 500, "max_reply_tokens": 16,
           "senders": {"sms": "+15005550006"}, "dispositions": ["plan_sent"],
           "max_ai_turns": 3, "auto_reply": True, "unknown_key": 1}
    saved = store.save(tenant_id, raw)
    assert store.for_tenant(tenant_id) == saved
    assert saved.persona == "You are Sonia." and saved.handoff.max_ai_turns == 3
    assert dict(saved.senders) == {"sms": "+15005550006"} and saved.auto_reply is True
    assert saved.dispositions == frozenset({"PLAN_SENT"})
    assert store.raw(tenant_id) == raw  # stored as given


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"context_token_budget": 199}, "context_token_budget", "must be between 200 and 200000"),
    ({"max_reply_tokens": 8001}, "max_reply_tokens", "must be between 16 and 8000"),
    ({"senders": {"fax": "1"}}, "senders", "unknown channels ['fax']"),
    ({"dispositions": ["no show"]}, "disposition", "must be an upper-case code such as RESOLVED"),
    ({"max_ai_turns": 0}, "max_ai_turns", "must be between 1 and 100"),
])
def test_a_bad_value_is_refused_on_save_and_on_read(
        store: PostgresAssistantSettings, tenant_id: uuid.UUID, owner_url: str,
        raw: dict[str, Any], field: str, message: str) -> None:
    store.save(tenant_id, {"persona": "Kept"})
    with pytest.raises(InvalidValue) as on_save:
        store.save(tenant_id, raw)
    assert (on_save.value.field, on_save.value.message) == (field, f"{field}: {message}")
    assert stored(owner_url, tenant_id) == {"persona": "Kept"}  # nothing written

    with psycopg.connect(owner_url, autocommit=True) as conn:  # stored by some other way
        conn.execute("UPDATE tenants SET settings = jsonb_set(settings, '{assistant}', %s) "
                     "WHERE id = %s", (Jsonb(raw), tenant_id))
    with pytest.raises(InvalidValue) as on_read:
        store.for_tenant(tenant_id)
    assert (on_read.value.field, on_read.value.message) == (field, f"{field}: {message}")
