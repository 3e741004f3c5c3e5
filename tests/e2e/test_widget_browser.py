"""The web chat widget in a real browser (ADR 0084): a clinic's page on an origin of its own
embeds the widget with its one script tag; a visitor chats with the assistant, an agent in
another browser context answers from the console's workspace, the visitor sees it live and
rates the chat. The same key on a page of an origin it does not allow is refused and stores
nothing. Screenshots: docs/screenshots/widget*.png."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import DESKTOP, PHONE, chromium, console_login, screenshot
from tests.conftest import PASSWORD, ROOT
from tests.serving import Served, migrated, served
from tests.sse import messages

WAIT = 30_000  # ms: a busy two-core machine runs the API, the runtime and the browser
HOURS = {"title": "Opening hours", "source": "website",
         "text": "We are open Monday to Friday, 9:00 to 18:00, and Saturday 9:00 to 13:00."}
XSS = "<img src=x onerror=alert(1)>"


@dataclass
class Clinic:
    service: Served
    worker: subprocess.Popen[bytes]
    slug: str
    admin: str
    agent_email: str

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.service.call(self.admin, method, path, **kwargs)


@dataclass
class Site:
    origin: str
    html: str = ""


@contextmanager
def website() -> Iterator[Site]:
    """A tiny web server on a loopback port of its own answering every GET with its ``html``;
    its origin is ``http://localhost:PORT``: another site than the API's 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    site = Site(f"http://localhost:{server.server_address[1]}")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Page
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def clinic_page(api: str, key: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            "<title>Bright Smile Clinic</title></head>"
            "<body style='font:16px sans-serif;margin:24px;background:#f6f8fa'>"
            "<h1>Bright Smile Clinic</h1><p>Gentle dentistry in the city centre.</p>"
            f"<script src='{api}/widget/v1.js?key={key}' async></script></body></html>")


@pytest.fixture(scope="module")
def clinic(owner_url: str) -> Iterator[Clinic]:
    """`frontdesk serve` and a `frontdesk worker` beside it (the production layout: the read
    models are the worker's, which a test can pause)."""
    with served(owner_url, FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0",
                FRONTDESK_IN_PROCESS_PROJECTIONS="false") as service:
        worker = subprocess.Popen(
            [str(ROOT / ".venv/bin/frontdesk"), "worker"], cwd=ROOT,
            env={**service.env, "FRONTDESK_WORKER_DATABASE_URL": migrated(owner_url).worker_url},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield provisioned(service, worker)
        finally:
            worker.send_signal(signal.SIGCONT)
            worker.terminate()
            worker.wait(timeout=20)


def provisioned(service: Served, worker: subprocess.Popen[bytes]) -> Clinic:
    """A clinic tenant: its admin, an agent who takes web chats, the queue hand-offs go to
    and a knowledge passage about opening hours."""
    slug = f"widget-{uuid.uuid4().hex[:8]}"
    owner = f"owner@{slug}.example"
    created = httpx.post(f"{service.url}/v1/admin/tenants", timeout=30,
                         headers={"Authorization": "Bearer dev-admin-token"},
                         json={"name": "Bright Smile Clinic", "slug": slug,
                               "admin_email": owner, "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    token = httpx.post(f"{service.url}/v1/auth/login", timeout=30, json={
        "tenant": slug, "email": owner, "password": PASSWORD}).json()["access_token"]
    setup = Clinic(service, worker, slug, token, f"ana@{slug}.example")
    ana = setup.api("POST", "/v1/users", json={"email": setup.agent_email,
                                               "password": PASSWORD, "roles": ["agent"],
                                               "display_name": "Ana"})
    setup.api("POST", "/v1/agents", json={
        "name": "Ana", "user_id": ana["id"], "skills": {"support": 5},
        "capacity": {"webchat": 2}})
    setup.api("POST", "/v1/queues", json={
        "name": "Web chat", "required_skills": {"support": 1},
        "target_answer_seconds": 30, "target_percentage": 80, "max_hold_seconds": 600,
        "default_for": ["conversation_handoff"]})
    added = httpx.post(f"{service.url}/v1/knowledge", json=HOURS, timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    assert added.status_code == 201, added.text
    found = httpx.get(f"{service.url}/v1/knowledge/search", params={"q": "Saturday"},
                      timeout=30, headers={"Authorization": f"Bearer {token}",
                                           "X-Frontdesk-Min-Position":
                                               added.headers["x-frontdesk-position"]})
    assert found.headers.get("x-frontdesk-consistency") == "consistent" and found.json()
    return setup


def webchats(clinic: Clinic) -> list[dict[str, Any]]:
    return list(clinic.api("GET", "/v1/conversations", params={"channel": "webchat"})["items"])


def test_a_visitor_on_the_clinics_site_chats_an_agent_answers_live_and_the_visitor_rates(
        clinic: Clinic) -> None:
    dialogs: list[str] = []
    with website() as site, chromium() as browser:
        key = clinic.api("POST", "/v1/widget-keys", json={
            "name": "Website", "allowed_origins": [site.origin]})["key"]
        site.html = clinic_page(clinic.service.url, key)
        origin = site.origin
        visitor = browser.new_context(viewport=DESKTOP).new_page()
        agent = browser.new_context(viewport=DESKTOP).new_page()
        for page in (visitor, agent):
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        visitor.goto(origin)
        visitor.click("button:has-text('Chat with us')")
        chat = visitor.frame_locator("iframe[title=Chat]")
        chat.locator("input[name=name]").fill("Vera")
        chat.locator("input[name=email]").fill("vera@example.com")
        chat.locator("textarea[name=message]").fill("When are you open on Saturday?")
        chat.locator("button:has-text('Start the chat')").click()
        # the assistant's answer is not in the form's answer: it arrives over the live stream
        answer = chat.locator(".message.ai .body")
        answer.wait_for(timeout=WAIT)
        assert "offline assistant" in answer.inner_text()
        assert "Saturday 9:00 to 13:00" in answer.inner_text()
        screenshot(visitor, "widget")

        # the visitor asks what the knowledge base does not answer: a person takes the chat
        chat.locator("textarea[name=body]").fill(f"Can I talk to a person please? {XSS}")
        chat.locator("button:has-text('Send')").click()
        chat.locator("text=A person will answer you here shortly.").wait_for(timeout=WAIT)
        assert XSS in chat.locator(".message.customer .body").last.inner_text()  # as text
        assert chat.locator(".messages img").count() == 0  # never an element

        console_login(agent, clinic.service.url, clinic.slug, clinic.agent_email)
        agent.wait_for_url(re.compile(r"/console/agent"))
        agent.click("button:has-text('Available')")
        agent.click("[data-testid=offered-task] button:has-text('Accept')", timeout=WAIT)
        agent.click("[data-testid=working-task] a:has-text('Open the conversation')",
                    timeout=WAIT)
        agent.wait_for_url(re.compile(r"conversation="))
        agent.locator("[data-testid=messages] >> text=Can I talk to a person please?").wait_for(
            timeout=WAIT)
        agent.click("#thread button:has-text('Join')")
        agent.wait_for_selector("[data-testid=conversation-status]:has-text('agent handling')",
                                timeout=WAIT)
        agent.fill("#reply-body", "Hello Vera, I'm Ana. Yes, Saturday mornings.")
        agent.click("form.reply button:has-text('Send')")

        # the visitor's page was not reloaded: the agent's reply arrives on the live stream
        chat.locator(".message.agent:has-text('I\\'m Ana')").wait_for(timeout=WAIT)
        assert visitor.evaluate("performance.getEntriesByType('navigation').length") == 1

        agent.select_option("form.resolve select[name=disposition]", "RESOLVED")
        agent.click("form.resolve button:has-text('Resolve')")
        chat.locator("form.csat").wait_for(timeout=WAIT)
        # the newest part of the thread is scrolled into the frame's view, not below it
        expect(chat.locator("form.csat button[value='5']")).to_be_in_viewport(timeout=WAIT)
        screenshot(visitor, "widget-csat")
        chat.locator("form.csat button[value='5']").click()
        chat.locator("text=Thank you for your rating (5/5).").first.wait_for(timeout=WAIT)

        [mine] = webchats(clinic)
        deadline = 30.0
        view = clinic.api("GET", f"/v1/conversations/{mine['id']}")
        while view["csat"] is None and deadline > 0:  # the read model follows the log
            threading.Event().wait(0.2)
            deadline -= 0.2
            view = clinic.api("GET", f"/v1/conversations/{mine['id']}")
        assert view["csat"] == 5 and view["status"] == "resolved"
        assert [m["author"] for m in view["messages"]] == ["customer", "ai", "customer",
                                                           "agent"]

        # on a 390-px phone the frame fits the screen and the thread still shows its end
        visitor.set_viewport_size(PHONE)
        assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        frame = visitor.locator("iframe[title=Chat]").bounding_box()
        assert frame is not None and frame["x"] >= 0
        assert frame["x"] + frame["width"] <= PHONE["width"]
        expect(chat.locator(".messages .message").last).to_be_in_viewport(timeout=WAIT)
        screenshot(visitor, "widget-phone")
    assert dialogs == []  # the visitor's markup ran no script


def test_the_key_on_a_page_of_an_origin_it_does_not_allow_is_refused_and_stores_nothing(
        clinic: Clinic) -> None:
    with website() as allowed, website() as other, chromium() as browser:
        key = clinic.api("POST", "/v1/widget-keys", json={
            "name": "Website", "allowed_origins": [allowed.origin]})["key"]
        form = (f"<form method=post action='{clinic.service.url}/widget/conversations"
                f"?key={key}'><input name=name value=Mallory>"
                "<input name=email value=mallory@example.com>"
                "<input name=message value='Buy cheap pills'>"
                "<button type=submit>Send</button></form>")
        other.html = clinic_page(clinic.service.url, key).replace("</body>", form + "</body>")
        before = webchats(clinic)
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(other.origin)

        # the chat page refuses to be framed there (frame-ancestors names the key's origins)
        page.click("button:has-text('Chat with us')")
        page.wait_for_function("document.querySelector('iframe[title=Chat]') !== null")
        frame = next(f for f in page.frames if f != page.main_frame)
        frame.wait_for_load_state()
        assert frame.url.startswith("chrome-error://"), frame.url

        # and a post from that page (its Origin) is 403 before any command runs
        with page.expect_response(lambda r: "/widget/conversations" in r.url) as refused:
            page.click("form button[type=submit]")
        answer = refused.value
        assert answer.status == 403
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["type"].endswith("/origin-not-allowed")
    assert webchats(clinic) == before
    contacts = clinic.api("GET", "/v1/contacts")["items"]
    assert "mallory@example.com" not in [c.get("email") for c in contacts]


def test_the_live_stream_opened_after_a_write_shows_it_once_the_read_model_has_it(
        clinic: Clinic) -> None:
    """A message committed before the visitor's stream opens, while the read model is still
    behind it: the stream's first thread must wait for the read model, not show the thread
    without it and then never again (no later event would send it)."""
    key = clinic.api("POST", "/v1/widget-keys", json={
        "name": "Website", "allowed_origins": ["https://bright-smile.example"]})["key"]
    visitor = httpx.Client(base_url=clinic.service.url, timeout=30,
                           headers={"Origin": "https://bright-smile.example"})
    started = visitor.post(f"/widget/conversations?key={key}", data={
        "name": "Otto", "email": f"otto-{uuid.uuid4().hex[:6]}@example.com",
        "message": "When are you open on Saturday?"})
    assert started.status_code == 200, started.text
    token = re.search(r'name="token" value="([^"]+)"', started.text)
    assert token is not None
    clinic.worker.send_signal(signal.SIGSTOP)  # the read models stop where they are
    try:
        said = visitor.post(f"/widget/messages?key={key}",
                            data={"token": token.group(1), "body": "And on Sunday?"})
        assert said.status_code == 200, said.text
        with visitor.stream("GET", "/widget/live",
                            params={"key": key, "token": token.group(1)}) as live:
            clinic.worker.send_signal(signal.SIGCONT)
            first = next(m for m in messages(live) if m.event == "thread")
    finally:
        clinic.worker.send_signal(signal.SIGCONT)
    assert first.data is not None and "And on Sunday?" in first.data
