"""The AssistantSettings value object: the defaults, every rule at its bounds, and what it
normalises (disposition codes to upper case, senders into a read-only mapping)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from domain.conversations import AssistantSettings, HandoffRules
from domain.shared import InvalidValue


def refused(**fields: Any) -> InvalidValue:
    with pytest.raises(InvalidValue) as raised:
        AssistantSettings(**fields)
    return raised.value


def test_the_defaults_are_valid() -> None:
    settings = AssistantSettings()
    assert settings.persona == "You are the friendly front-desk assistant of this business."
    assert settings.assistant_name == "Frontdesk assistant"
    assert (settings.context_token_budget, settings.max_reply_tokens) == (2000, 400)
    assert settings.handoff == HandoffRules()
    assert dict(settings.senders) == {} and settings.dispositions == frozenset()
    assert settings.rules == () and settings.auto_reply is False


@pytest.mark.parametrize("budget", [200, 2000, 200_000])
def test_a_context_budget_between_200_and_200000_tokens_is_accepted(budget: int) -> None:
    assert AssistantSettings(context_token_budget=budget).context_token_budget == budget


@pytest.mark.parametrize("budget", [-1, 0, 199, 200_001])
def test_a_context_budget_outside_200_to_200000_tokens_is_refused(budget: int) -> None:
    error = refused(context_token_budget=budget)
    assert error.field == "context_token_budget"
    assert error.message == "context_token_budget: must be between 200 and 200000"


@pytest.mark.parametrize("tokens", [16, 400, 8000])
def test_a_reply_of_16_to_8000_tokens_is_accepted(tokens: int) -> None:
    assert AssistantSettings(max_reply_tokens=tokens).max_reply_tokens == tokens


@pytest.mark.parametrize("tokens", [0, 15, 8001])
def test_a_reply_length_outside_16_to_8000_tokens_is_refused(tokens: int) -> None:
    error = refused(max_reply_tokens=tokens)
    assert error.field == "max_reply_tokens"
    assert error.message == "max_reply_tokens: must be between 16 and 8000"


def test_senders_are_accepted_for_sms_whatsapp_and_email() -> None:
    senders = {"sms": "+15005550006", "whatsapp": "+15005550007", "email": "desk@example.com"}
    assert dict(AssistantSettings(senders=senders).senders) == senders


def test_a_sender_for_another_channel_is_refused_naming_the_unknown_channels() -> None:
    error = refused(senders={"sms": "+15005550006", "fax": "1", "pager": "2"})
    assert error.field == "senders"
    assert error.message == "senders: unknown channels ['fax', 'pager']"


def test_the_senders_cannot_be_changed_afterwards() -> None:
    given = {"sms": "+15005550006"}
    settings = AssistantSettings(senders=given)
    given["sms"] = "+15005550099"
    assert settings.senders["sms"] == "+15005550006"
    with pytest.raises(TypeError):
        settings.senders["sms"] = "+15005550099"  # type: ignore[index]


def test_disposition_codes_are_normalised_to_upper_case() -> None:
    settings = AssistantSettings(dispositions=frozenset({"treatment_plan_sent", " RESOLVED "}))
    assert settings.dispositions == frozenset({"TREATMENT_PLAN_SENT", "RESOLVED"})


@pytest.mark.parametrize("code", ["", "1ST_CALL", "NO SHOW", "X"])
def test_a_malformed_disposition_code_is_refused(code: str) -> None:
    error = refused(dispositions=frozenset({code}))
    assert error.field == "disposition"
    assert error.message == "disposition: must be an upper-case code such as RESOLVED"


def test_the_rules_are_checked_in_order_budget_reply_senders_dispositions() -> None:
    assert refused(context_token_budget=1, max_reply_tokens=1).field == "context_token_budget"
    assert refused(max_reply_tokens=1, senders={"fax": "1"}).field == "max_reply_tokens"
    assert refused(senders={"fax": "1"}, dispositions=frozenset({"?"})).field == "senders"


def test_it_is_a_frozen_hashable_value() -> None:
    settings = AssistantSettings(senders={"sms": "+15005550006"},
                                 dispositions=frozenset({"resolved"}))
    same = AssistantSettings(senders={"sms": "+15005550006"},
                             dispositions=frozenset({"RESOLVED"}))
    assert settings == same and hash(settings) == hash(same)
    assert settings != AssistantSettings(senders={"sms": "+15005550007"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_reply_tokens = 10  # type: ignore[misc]
