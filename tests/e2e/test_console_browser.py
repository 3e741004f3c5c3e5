"""The console in a real browser: an agent and a supervisor, in two browser contexts, work a
small shift against a real `frontdesk serve`. An inbound SMS (signed as Twilio signs) reaches
the agent's workspace without a reload, the agent accepts the task, joins, replies and
resolves, and the supervisor's wall changes live. Customer text is shown, never run."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.browser import DESKTOP, PHONE, chromium, screenshot
from tests.conftest import PASSWORD
from tests.serving import Served, served

TWILIO_TOKEN = "console-twilio-token"
PUBLIC_URL = "https://frontdesk.example.com"
OUR_NUMBER = "+15005550006"
XSS = "<img src=x onerror=alert(1)>"
WAIT = 30_000  # ms: a busy two-core machine runs the API, the runtime and the browser


@dataclass
class Shift:
    service: Served
    slug: str
    admin: str
    agent_email: str
    supervisor_email: str
    agent_id: str

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.service.call(self.admin, method, path, **kwargs)

    def sms(self, sender: str, body: str) -> None:
        path = f"/v1/webhooks/twilio/{self.slug}/messages"
        form = {"From": sender, "To": OUR_NUMBER, "Body": body, "NumMedia": "0",
                "MessageSid": "SM" + uuid.uuid4().hex, "SmsStatus": "received"}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + path, form)
        answer = httpx.post(self.service.url + path, content=urlencode(form), timeout=30,
                            headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "X-Twilio-Signature": signature})
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def shift(owner_url: str) -> Iterator[Shift]:
    with served(owner_url, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, FRONTDESK_PUBLIC_URL=PUBLIC_URL,
                FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0") as service:
        slug = f"clinic-{uuid.uuid4().hex[:8]}"
        owner = f"owner@{slug}.example"
        created = httpx.post(f"{service.url}/v1/admin/tenants", timeout=30,
                             headers={"Authorization": "Bearer dev-admin-token"},
                             json={"name": "Bright Smile Clinic", "slug": slug,
                                   "admin_email": owner, "admin_password": PASSWORD})
        assert created.status_code == 201, created.text
        token = httpx.post(f"{service.url}/v1/auth/login", timeout=30, json={
            "tenant": slug, "email": owner, "password": PASSWORD}).json()["access_token"]
        setup = Shift(service, slug, token, f"ana@{slug}.example", f"sam@{slug}.example", "")
        ana = setup.api("POST", "/v1/users", json={"email": setup.agent_email,
                                                   "password": PASSWORD, "roles": ["agent"],
                                                   "display_name": "Ana"})
        setup.api("POST", "/v1/users", json={"email": setup.supervisor_email,
                                             "password": PASSWORD, "roles": ["supervisor"],
                                             "display_name": "Sam"})
        agent = setup.api("POST", "/v1/agents", json={
            "name": "Ana", "user_id": ana["id"], "skills": {"support": 5},
            "capacity": {"sms": 2, "webchat": 2}})
        setup.api("POST", "/v1/queues", json={
            "name": "Support", "required_skills": {"support": 1}, "target_answer_seconds": 30,
            "target_percentage": 80, "max_hold_seconds": 600,
            "default_for": ["conversation_handoff"]})
        setup.agent_id = agent["id"]
        yield setup


def log_in(page: Any, shift: Shift, email: str) -> None:
    page.goto(f"{shift.service.url}/console")
    page.wait_for_url(re.compile(r"/console/login$"))
    page.fill("input[name=tenant]", shift.slug)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_an_agent_and_a_supervisor_work_a_shift_live(shift: Shift) -> None:
    dialogs: list[str] = []
    with chromium() as browser:
        agent = browser.new_context(viewport=DESKTOP).new_page()
        supervisor = browser.new_context(viewport=DESKTOP).new_page()
        for page in (agent, supervisor):
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        screenshot_login = agent
        screenshot_login.goto(f"{shift.service.url}/console/login")
        screenshot(screenshot_login, "console-login")

        log_in(agent, shift, shift.agent_email)
        agent.wait_for_url(re.compile(r"/console/agent"))
        agent.click("button:has-text('Available')")
        agent.wait_for_selector("[data-testid=my-status]:has-text('available')", timeout=WAIT)

        log_in(supervisor, shift, shift.supervisor_email)
        supervisor.wait_for_url(re.compile(r"/console/wall"))
        support = supervisor.locator("[data-testid='queue-Support']")
        assert support.locator("[data-testid=waiting]").inner_text() == "0"
        answered_before = support.inner_text()

        # A customer writes, with markup in the text, then asks for a person: the hand-off
        # becomes a task in Support, offered to Ana, on her screen without a reload.
        customer = "+3461" + str(uuid.uuid4().int)[:7]
        shift.sms(customer, XSS)
        shift.sms(customer, "Can I talk to a person please?")
        offer = agent.wait_for_selector("[data-testid=offered-task]", timeout=WAIT)
        assert "Expires in" in offer.inner_text()
        screenshot(agent, "console-agent-offer")
        agent.click("[data-testid=offered-task] button:has-text('Accept')")
        agent.click("[data-testid=working-task] a:has-text('Open the conversation')",
                    timeout=WAIT)
        agent.wait_for_url(re.compile(r"conversation="))

        messages = agent.locator("[data-testid=messages]")
        messages.locator("text=Can I talk to a person please?").wait_for(timeout=WAIT)
        assert XSS in messages.inner_text()  # shown as text
        assert messages.locator("img").count() == 0  # and never made an element

        agent.click("#thread button:has-text('Join')")
        agent.wait_for_selector("[data-testid=conversation-status]:has-text('agent handling')",
                                timeout=WAIT)
        before = messages.locator("li").count()
        agent.click("form.reply button:has-text('Draft with AI')")
        agent.wait_for_selector("[data-testid=draft-done]", timeout=WAIT)
        drafted = agent.input_value("#reply-body")
        assert "offline assistant" in drafted  # the default, offline model's words
        assert agent.inner_text("[data-testid=draft-text]").strip()  # it streamed in first
        assert messages.locator("li").count() == before  # a draft sends nothing
        agent.fill("#reply-body", "Hello! I'm Ana, how can I help?")
        agent.click("form.reply button:has-text('Send')")
        messages.locator("text=Hello! I'm Ana, how can I help?").wait_for(timeout=WAIT)
        screenshot(agent, "console-agent")

        # The wall followed the shift without a reload: the task was answered.
        supervisor.wait_for_function(
            "([el, before]) => el.innerText !== before",
            arg=[support.element_handle(), answered_before], timeout=WAIT)
        screenshot(supervisor, "console-wall")

        agent.select_option("form.resolve select[name=disposition]", "RESOLVED")
        agent.click("form.resolve button:has-text('Resolve')")
        agent.wait_for_selector("[data-testid=conversation-status]:has-text('resolved')",
                                timeout=WAIT)

        # A queue nobody can answer: its task breaches its 2 s hold, and the wall shows it
        # the moment the breach is recorded, without a reload.
        urgent = shift.api("POST", "/v1/queues", json={
            "name": "Urgent", "required_skills": {"spanish": 1}, "target_answer_seconds": 1,
            "target_percentage": 80, "max_hold_seconds": 2})
        shift.api("POST", f"/v1/queues/{urgent['id']}/tasks", json={"channel": "voice"})
        breached = supervisor.locator("[data-testid='queue-Urgent']")
        breached.locator("[data-testid=breaches]:has-text('1')").wait_for(timeout=WAIT)
        assert "SLA breached" in breached.inner_text()
        screenshot(supervisor, "console-wall-breach")

        for page, name in ((agent, "console-agent-phone"), (supervisor, "console-wall-phone")):
            page.set_viewport_size(PHONE)
            page.reload()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            screenshot(page, name)
    assert dialogs == []  # the customer's markup ran no script


def other_tenants_conversation(shift: Shift) -> str:
    """A conversation of a second tenant, started by an SMS to it."""
    slug = f"other-{uuid.uuid4().hex[:8]}"
    owner = f"owner@{slug}.example"
    assert httpx.post(f"{shift.service.url}/v1/admin/tenants", timeout=30,
                      headers={"Authorization": "Bearer dev-admin-token"},
                      json={"name": "Other", "slug": slug, "admin_email": owner,
                            "admin_password": PASSWORD}).status_code == 201
    token = httpx.post(f"{shift.service.url}/v1/auth/login", timeout=30, json={
        "tenant": slug, "email": owner, "password": PASSWORD}).json()["access_token"]
    other = Shift(shift.service, slug, token, "", "", "")
    other.sms("+3462" + str(uuid.uuid4().int)[:7], "Hello from another clinic's customer")
    for _ in range(100):
        found = other.api("GET", "/v1/conversations")["items"]
        if found:
            return str(found[0]["id"])
        threading.Event().wait(0.1)
    raise AssertionError("the other tenant's conversation never appeared")


def test_another_tenants_conversation_is_the_same_404_page_as_a_missing_one(
        shift: Shift) -> None:
    theirs = other_tenants_conversation(shift)
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP).new_page()
        log_in(page, shift, shift.agent_email)
        page.wait_for_url(re.compile(r"/console/agent"))
        answers = []
        for conversation in (theirs, str(uuid.uuid4())):
            answer = page.goto(f"{shift.service.url}/console/agent?conversation={conversation}")
            assert answer is not None
            answers.append((answer.status, page.inner_text("main")))
        assert answers[0] == answers[1] and answers[0][0] == 404
        assert "Hello from another clinic" not in page.content()


def test_a_forged_or_missing_csrf_token_is_403_and_changes_nothing(shift: Shift) -> None:
    status = f"/v1/agents/{shift.agent_id}"
    with httpx.Client(base_url=shift.service.url, timeout=30) as web:
        form = web.get("/console/login").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
        assert token is not None
        logged_in = web.post("/console/login", data={
            "tenant": shift.slug, "email": shift.agent_email, "password": PASSWORD,
            "_csrf_token": token.group(1)})
        assert logged_in.status_code == 303 and "fd_session" in web.cookies
        before = shift.api("GET", status)["presence"]
        wanted = "break" if before != "break" else "offline"
        for headers in ({"x-csrftoken": "forged"}, {}):
            refused = web.post("/console/agent/status", data={"status": wanted},
                               headers=headers)
            assert refused.status_code == 403
        assert shift.api("GET", status)["presence"] == before
        accepted = web.post("/console/agent/status", data={"status": wanted},
                            headers={"x-csrftoken": token.group(1)})
        assert accepted.status_code == 200 and wanted in accepted.text


def test_without_a_session_a_page_goes_to_the_login_and_a_fragment_tells_htmx_to(
        shift: Shift) -> None:
    with httpx.Client(base_url=shift.service.url, timeout=30) as web:
        page = web.get("/console/agent")
        assert (page.status_code, page.headers["location"]) == (303, "/console/login")
        fragment = web.get("/console/wall", headers={"HX-Request": "true"})
        assert fragment.headers["hx-redirect"] == "/console/login"
    with httpx.Client(base_url=shift.service.url, timeout=30,
                      cookies={"fd_session": shift.admin}) as browser_like:
        assert browser_like.get("/console/wall").status_code == 200  # the cookie works here
        assert browser_like.get("/v1/leads").status_code == 401  # the API never takes it


def test_the_wall_pages_its_queues_and_follows_the_page_it_shows(shift: Shift) -> None:
    slug = f"many-{uuid.uuid4().hex[:8]}"
    owner = f"owner@{slug}.example"
    created = httpx.post(f"{shift.service.url}/v1/admin/tenants", timeout=30,
                         headers={"Authorization": "Bearer dev-admin-token"},
                         json={"name": "Many Queues", "slug": slug, "admin_email": owner,
                               "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    token = httpx.post(f"{shift.service.url}/v1/auth/login", timeout=30, json={
        "tenant": slug, "email": owner, "password": PASSWORD}).json()["access_token"]
    names = [f"Queue {n:02d}" for n in range(14)]
    for name in names:
        made = httpx.post(f"{shift.service.url}/v1/queues", timeout=30,
                          headers={"Authorization": f"Bearer {token}"},
                          json={"name": name, "target_answer_seconds": 30,
                                "target_percentage": 80, "max_hold_seconds": 600})
        assert made.status_code == 201, made.text
    with httpx.Client(base_url=shift.service.url, timeout=30,
                      cookies={"fd_session": token}) as web:
        deadline = time.monotonic() + 30  # the wall reads a projection: let it catch up
        while "(14 queues)" not in web.get("/console/wall").text:
            assert time.monotonic() < deadline, "the wall never showed the 14 queues"
            time.sleep(0.2)
        shown = []
        for number in (1, 2):
            page = web.get(f"/console/wall?page={number}")
            assert page.status_code == 200, page.text
            assert f"Queues page {number} of 2 (14 queues)" in page.text
            assert f"/console/live?view=wall&amp;page={number}" in page.text
            shown.append(re.findall(r'data-testid="queue-(Queue \d\d)"', page.text))
        assert [len(cards) for cards in shown] == [12, 2]
        assert sorted(shown[0] + shown[1]) == names  # every queue on exactly one page
        assert web.get("/console/wall?page=0").status_code == 400
