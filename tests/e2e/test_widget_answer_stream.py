"""The web chat visitor watches the assistant's answer as it is written (ADR 0092), on the API
process that asks the model and on another one (the load balancer sent the visitor's stream
there), before the answer is stored; then the stored answer replaces it. An answer that may
yet be withheld for low confidence is never shown before it is stored.

The model is the OpenAI SDK against a local fake that holds its stream after three words, so
the test looks at an answer caught half written."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.serving import Served, served
from tests.sse import Message, messages
from tests.vendors import FakeOpenAI

ORIGIN = "https://bright-smile.example"
HOURS = {"title": "Opening hours", "source": "website",
         "text": "We are open Monday to Friday, 9:00 to 18:00, and Saturday 9:00 to 13:00."}
REPLY = "We are open on Saturday from 9:00 to 13:00."


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.reply = REPLY
    yield server
    server.resume.set()
    server.close()


@pytest.fixture(scope="module")
def two_apis(owner_url: str, model: FakeOpenAI) -> Iterator[tuple[Served, Served]]:
    """Two API processes on one database: the first runs the projections too, the second is
    the API only (FRONTDESK_IN_PROCESS_PROJECTIONS=false)."""
    settings = {"FRONTDESK_LLM_CHAIN": "openai", "OPENAI_API_KEY": "sk-test",
                "OPENAI_BASE_URL": f"{model.url}/v1", "FRONTDESK_LLM_ATTEMPTS": "1",
                "FRONTDESK_LLM_TIMEOUT": "60", "FRONTDESK_STREAMS_HEARTBEAT": "0.3",
                "FRONTDESK_RATE_LIMIT_PER_IP": "0", "FRONTDESK_RATE_LIMIT_PER_TENANT": "0"}
    with ExitStack() as stack:
        first = stack.enter_context(served(owner_url, **settings))
        second = stack.enter_context(served(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS="false",
                                            **settings))
        yield first, second


def _tenant(api: Served) -> tuple[str, str]:
    """A clinic with its opening hours in the knowledge base: (admin token, widget key)."""
    slug = f"stream-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{api.url}/v1/admin/tenants", timeout=30,
                         headers={"Authorization": "Bearer dev-admin-token"},
                         json={"name": "Bright Smile Clinic", "slug": slug,
                               "admin_email": f"owner@{slug}.example",
                               "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    token = api.login(slug, f"owner@{slug}.example")
    added = httpx.post(f"{api.url}/v1/knowledge", json=HOURS, timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    assert added.status_code == 201, added.text
    found = httpx.get(f"{api.url}/v1/knowledge/search", params={"q": "Saturday"}, timeout=30,
                      headers={"Authorization": f"Bearer {token}",
                               "X-Frontdesk-Min-Position": added.headers["x-frontdesk-position"]})
    assert found.headers.get("x-frontdesk-consistency") == "consistent" and found.json()
    key = api.call(token, "POST", "/v1/widget-keys",
                   json={"name": "Website", "allowed_origins": [ORIGIN]})["key"]
    return token, key


def _start_chat(api: Served, key: str, name: str) -> dict[str, str]:
    """A visitor (Origin: the clinic's site) starts a chat asking about Saturday: the live
    stream's parameters (the key and the visitor's token)."""
    started = httpx.post(f"{api.url}/widget/conversations?key={key}", timeout=30,
                         headers={"Origin": ORIGIN}, data={
                             "name": name, "email": f"{name.lower()}-{uuid.uuid4().hex[:6]}"
                                                    "@example.com",
                             "message": "When are you open on Saturday?"})
    assert started.status_code == 200, started.text
    found = re.search(r'name="token" value="([^"]+)"', started.text)
    assert found is not None
    return {"key": key, "token": found.group(1)}


def _next(stream: Iterator[Message], wanted: Any, *, within: float = 30.0) -> Message:
    """The stream's next message for which ``wanted(message)`` holds."""
    deadline = time.monotonic() + within
    for message in stream:
        if wanted(message):
            return message
        assert time.monotonic() < deadline, "the stream did not send it"
    raise AssertionError("the stream ended")


def _answer(message: Message) -> bool:
    return message.event == "answer"


def _authors(api: Served, token: str, conversation_id: str) -> list[str]:
    view = api.call(token, "GET", f"/v1/conversations/{conversation_id}")
    return [m["author"] for m in view["messages"]]


def test_the_visitor_watches_the_answer_being_written_on_either_api_process(
        two_apis: tuple[Served, Served], model: FakeOpenAI) -> None:
    first, second = two_apis
    token, key = _tenant(first)
    visitor = httpx.Client(timeout=30, headers={"Origin": ORIGIN})
    model.pause_after = 3
    model.resume.clear()

    params = _start_chat(first, key, "Vera")
    [conversation] = [c["id"] for c in first.call(token, "GET", "/v1/conversations",
                                                  params={"channel": "webchat"})["items"]]

    with visitor.stream("GET", f"{first.url}/widget/live", params=params) as here, \
            visitor.stream("GET", f"{second.url}/widget/live", params=params) as there:
        near, far = messages(here), messages(there)
        # The first answer is held after three words. The stream opened on the process that
        # asks the model shows them at once, though it opened mid-answer; nothing is stored.
        shown = _next(near, _answer)
        assert "We are open" in str(shown.data) and "13:00" not in str(shown.data)
        assert 'class="message ai writing"' in str(shown.data)
        assert _authors(first, token, conversation) == ["customer"]
        model.resume.set()
        stored = _next(near, lambda m: m.event == "thread" and REPLY in str(m.data))
        assert "message ai writing" not in str(stored.data)
        _next(far, lambda m: m.event == "thread" and REPLY in str(m.data))

        # The second answer, asked for on the first process, is watched from the second
        # one too, word by word, before it is stored.
        model.resume.clear()
        said = visitor.post(f"{first.url}/widget/messages?key={key}",
                            data={**params, "body": "And is it open on Saturday in May?"})
        assert said.status_code == 200, said.text
        for stream in (near, far):
            shown = _next(stream, lambda m: _answer(m) and "We are open" in str(m.data))
            assert "13:00" not in str(shown.data)
        assert _authors(first, token, conversation) == ["customer", "ai", "customer"]
        model.resume.set()
        for stream in (near, far):
            thread = _next(stream, lambda m: m.event == "thread" and str(m.data).count(REPLY)
                           == 2)
            assert "message ai writing" not in str(thread.data)
    assert _authors(first, token, conversation) == ["customer", "ai", "customer", "ai"]


def test_an_answer_that_may_be_withheld_is_not_shown_before_it_is_stored(
        two_apis: tuple[Served, Served], model: FakeOpenAI) -> None:
    """A question the knowledge base does not cover (the retrieval's confidence is below the
    tenant's bar): the visitor sees nothing of the answer while it is written."""
    first, _ = two_apis
    token, key = _tenant(first)
    visitor = httpx.Client(timeout=30, headers={"Origin": ORIGIN})
    model.pause_after = 3
    model.resume.set()  # the first answer in full
    params = _start_chat(first, key, "Otto")
    with visitor.stream("GET", f"{first.url}/widget/live", params=params) as live:
        stream = messages(live)
        _next(stream, lambda m: m.event == "thread" and REPLY in str(m.data))
        model.resume.clear()
        model.paused.clear()
        said = visitor.post(f"{first.url}/widget/messages?key={key}",
                            data={**params, "body": "Do you sell parking permits?"})
        assert said.status_code == 200, said.text
        assert model.paused.wait(30)  # three words of the answer are out, the rest held
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            message = next(stream)
            assert message.event != "answer", message.data
        model.resume.set()
        _next(stream, lambda m: m.event == "thread" and str(m.data).count(REPLY) == 2)
    [conversation] = [c["id"] for c in first.call(token, "GET", "/v1/conversations",
                                                  params={"channel": "webchat"})["items"]]
    assert _authors(first, token, conversation) == ["customer", "ai", "customer", "ai"]


def test_in_a_browser_the_answer_grows_in_place_then_is_the_stored_one(
        two_apis: tuple[Served, Served], model: FakeOpenAI) -> None:
    """The chat page as a visitor's browser shows it (htmx's SSE extension): the answer's
    first words in a bubble marked as being written, replaced by the stored answer."""
    from tests.browser import DESKTOP, chromium, screenshot

    first, _ = two_apis
    token, key = _tenant(first)
    model.pause_after = 3
    model.resume.clear()
    with chromium() as browser:
        page = browser.new_context(viewport={**DESKTOP, "width": 420, "height": 640}
                                   ).new_page()
        page.goto(f"{first.url}/widget/chat?key={key}")
        page.fill("input[name=name]", "Vera")
        page.fill("input[name=email]", f"vera-{uuid.uuid4().hex[:6]}@example.com")
        page.fill("textarea[name=message]", "When are you open on Saturday?")
        page.click("button:has-text('Start the chat')")
        writing = page.locator(".message.ai.writing .body")
        writing.wait_for(timeout=30_000)
        assert writing.inner_text().startswith("We are open")
        assert page.locator(".message.ai:not(.writing)").count() == 0
        screenshot(page, "widget-writing")
        model.resume.set()
        page.locator(".message.ai:not(.writing) .body").wait_for(timeout=30_000)
        assert page.locator(".message.ai:not(.writing) .body").inner_text() == REPLY
        assert page.locator(".message.ai.writing").count() == 0
    [conversation] = [c["id"] for c in first.call(token, "GET", "/v1/conversations",
                                                  params={"channel": "webchat"})["items"]]
    assert _authors(first, token, conversation) == ["customer", "ai"]


def test_when_no_model_can_answer_a_person_takes_the_chat(
        two_apis: tuple[Served, Served], model: FakeOpenAI) -> None:
    """The model is down (503 on every call): the visitor is not left waiting for an answer
    that will not come; the chat is handed to a person, which the visitor's thread says."""
    first, _ = two_apis
    token, key = _tenant(first)
    visitor = httpx.Client(timeout=30, headers={"Origin": ORIGIN})
    model.fail_with = 503
    try:
        params = _start_chat(first, key, "Ida")
        with visitor.stream("GET", f"{first.url}/widget/live", params=params) as live:
            _next(messages(live), lambda m: m.event == "thread"
                  and "A person will answer you here shortly." in str(m.data))
    finally:
        model.fail_with = None
    [conversation] = first.call(token, "GET", "/v1/conversations",
                                params={"channel": "webchat"})["items"]
    assert conversation["status"] == "waiting_for_agent"
    assert _authors(first, token, conversation["id"]) == ["customer"]
