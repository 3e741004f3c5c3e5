"""One contract for every LanguageModel: the OpenAI and Anthropic SDKs against local servers
speaking their wire formats (streaming included), the offline assistant, and the scripted fake
used by application tests. Then the provider chain: retries, fallback, circuit breaker, 503."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.llm.anthropic_model import AnthropicModel
from adapters.llm.chain import ProviderChain
from adapters.llm.errors import ProviderError
from adapters.llm.local_model import OfflineAssistant
from adapters.llm.openai_model import OpenAIChatModel
from adapters.llm.pricing import PriceList
from application.conversations.ports import (
    Delta,
    Finished,
    ModelUnavailable,
    Passage,
    Prompt,
    PromptMessage,
    Restart,
)
from tests.fake_llm import ScriptedModel
from tests.vendors import FakeAnthropic, FakeOpenAI

PROMPT = Prompt(
    system="You are the assistant of Bright Smile.\nKnowledge:\n[d#1] Prices: whitening 300 EUR",
    messages=(PromptMessage("user", "How much is whitening?"),),
    question="How much is whitening?",
    passages=(Passage("d#1", "Prices", "Teeth whitening costs 300 EUR.", 0.5),),
    retrieval_confidence=1.0, assistant_name="Sonia", max_tokens=200)


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def healthy(openai_server: FakeOpenAI, anthropic_server: FakeAnthropic) -> None:
    for server in (openai_server, anthropic_server):
        server.fail_with, server.fail_next = None, 0


def openai_model(server: FakeOpenAI, timeout: float = 5.0) -> OpenAIChatModel:
    return OpenAIChatModel(api_key="sk-test", base_url=f"{server.url}/v1", model="gpt-4o-mini",
                           timeout=timeout)


def anthropic_model(server: FakeAnthropic) -> AnthropicModel:
    return AnthropicModel(api_key="sk-ant-test", base_url=server.url,
                          model="claude-haiku-4-5", timeout=5.0)


@pytest.fixture(params=["openai", "anthropic", "local", "scripted"])
def model(request: Any, openai_server: FakeOpenAI, anthropic_server: FakeAnthropic) -> Any:
    return {"openai": lambda: openai_model(openai_server),
            "anthropic": lambda: anthropic_model(anthropic_server),
            "local": OfflineAssistant,
            "scripted": lambda: ScriptedModel("Teeth whitening costs 300 EUR.")}[request.param]()


def test_every_model_streams_deltas_then_one_finished_with_token_counts(model: Any) -> None:
    items = list(model.stream(PROMPT))
    deltas = [i for i in items if isinstance(i, Delta)]
    finished = [i for i in items if isinstance(i, Finished)]
    assert len(deltas) > 1, "the answer arrives in pieces"
    assert len(finished) == 1 and items[-1] is finished[0]
    text = "".join(d.text for d in deltas)
    assert "300 EUR" in text, text
    assert finished[0].tokens_in > 0 and finished[0].tokens_out > 0
    assert finished[0].model


def test_the_sdks_send_the_prompt_in_their_wire_format(openai_server: FakeOpenAI,
                                                       anthropic_server: FakeAnthropic) -> None:
    list(openai_model(openai_server).stream(PROMPT))
    sent = json.loads(openai_server.received("/chat/completions")[-1]["body"])
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"][0] == {"role": "system", "content": PROMPT.system}
    assert sent["messages"][1] == {"role": "user", "content": "How much is whitening?"}
    assert openai_server.received("/chat/completions")[-1]["headers"]["authorization"] \
        == "Bearer sk-test"
    finished = list(anthropic_model(anthropic_server).stream(PROMPT))[-1]
    sent = json.loads(anthropic_server.received("/v1/messages")[-1]["body"])
    assert sent["system"] == PROMPT.system and sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "How much is whitening?"}]
    assert isinstance(finished, Finished)
    assert (finished.tokens_in, finished.model) == (37, "claude-haiku-4-5")


def test_the_offline_assistant_says_it_is_offline_and_reports_its_confidence() -> None:
    items = list(OfflineAssistant().stream(PROMPT))
    text = "".join(i.text for i in items if isinstance(i, Delta))
    assert "offline assistant" in text and "300 EUR" in text
    assert items[-1].confidence == 1.0  # type: ignore[union-attr]
    unknown = Prompt(system="s", messages=(), question="Do you do braces?", passages=())
    items = list(OfflineAssistant().stream(unknown))
    assert "couldn't find" in "".join(i.text for i in items if isinstance(i, Delta))
    assert items[-1].confidence == 0.0  # type: ignore[union-attr]


def test_transient_vendor_errors_are_reported_as_transient(openai_server: FakeOpenAI) -> None:
    openai_server.fail_with = 503
    with pytest.raises(ProviderError) as failed:
        list(openai_model(openai_server).stream(PROMPT))
    assert failed.value.transient
    openai_server.fail_with = 401
    with pytest.raises(ProviderError) as refused:
        list(openai_model(openai_server).stream(PROMPT))
    assert not refused.value.transient


def chain(openai_server: FakeOpenAI, anthropic_server: FakeAnthropic, **options: Any
          ) -> ProviderChain:
    return ProviderChain([("openai", openai_model(openai_server)),
                          ("anthropic", anthropic_model(anthropic_server)),
                          ("local", OfflineAssistant())],
                         prices=PriceList(), backoff=0.01, max_backoff=0.02, **options)


def test_the_chain_retries_a_transient_error_then_answers(openai_server: FakeOpenAI,
                                                          anthropic_server: FakeAnthropic
                                                          ) -> None:
    openai_server.fail_next = 2
    before = len(openai_server.received("/chat/completions"))
    finished = list(chain(openai_server, anthropic_server).stream(PROMPT))[-1]
    assert isinstance(finished, Finished)
    assert finished.provider == "openai" and finished.fallbacks == ()
    assert len(openai_server.received("/chat/completions")) - before == 3
    assert finished.cost_micros == round(42 * 0.15 + finished.tokens_out * 0.60)


def test_the_chain_falls_back_and_records_which_providers_failed(
        openai_server: FakeOpenAI, anthropic_server: FakeAnthropic) -> None:
    openai_server.fail_with = 500
    finished = list(chain(openai_server, anthropic_server).stream(PROMPT))[-1]
    assert isinstance(finished, Finished)
    assert (finished.provider, finished.fallbacks) == ("anthropic", ("openai",))
    anthropic_server.fail_with = 529
    finished = list(chain(openai_server, anthropic_server).stream(PROMPT))[-1]
    assert (finished.provider, finished.fallbacks) == ("local", ("openai", "anthropic"))


def test_when_every_provider_is_down_the_chain_says_so(openai_server: FakeOpenAI,
                                                       anthropic_server: FakeAnthropic) -> None:
    openai_server.fail_with = anthropic_server.fail_with = 503
    only_vendors = ProviderChain([("openai", openai_model(openai_server)),
                                  ("anthropic", anthropic_model(anthropic_server))],
                                 prices=PriceList(), backoff=0.01, max_backoff=0.02)
    with pytest.raises(ModelUnavailable) as down:
        list(only_vendors.stream(PROMPT))
    assert down.value.tried == ("openai", "anthropic")


def test_a_circuit_opens_after_repeated_failures_and_stops_calling(
        openai_server: FakeOpenAI, anthropic_server: FakeAnthropic) -> None:
    openai_server.fail_with = 503
    breaking = chain(openai_server, anthropic_server, attempts=1, fail_max=2,
                     reset_timeout=3600)
    for _ in range(2):
        list(breaking.stream(PROMPT))
    assert breaking.circuits()["openai"] == "open"
    calls = len(openai_server.received("/chat/completions"))
    finished = list(breaking.stream(PROMPT))[-1]
    assert len(openai_server.received("/chat/completions")) == calls  # not even tried
    assert isinstance(finished, Finished) and finished.provider == "anthropic"


def test_a_provider_failing_mid_answer_makes_the_chain_restart(
        openai_server: FakeOpenAI, anthropic_server: FakeAnthropic) -> None:
    openai_server.break_after = 3
    try:
        items = list(chain(openai_server, anthropic_server, attempts=1).stream(PROMPT))
    finally:
        openai_server.break_after = None
    restart = next(i for i, item in enumerate(items) if isinstance(item, Restart))
    assert restart > 0 and all(isinstance(i, Delta) for i in items[:restart])
    after = "".join(i.text for i in items[restart:] if isinstance(i, Delta))
    assert after == FakeAnthropic.reply
    assert items[-1].fallbacks == ("openai",)  # type: ignore[union-attr]
