"""The owner's analytics and operations pages in a real browser, against a real `frontdesk serve`
on the demo tenant (ADR 0088).

The tenant is seeded by `frontdesk demo` itself (the command's code, through the command bus),
at a fifth of its daily volume: three weeks of leads, cases, payments, conversations and a
contact center with every chart fed, in well under a minute here, where the full demo takes
several. Charts are asserted drawn: Chart.js holds non-zero figures for the canvas, and the
canvas has painted pixels."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.cli.demo import admin_email, demo_password
from tests.browser import DESKTOP, PHONE, chromium, console_login, screenshot
from tests.conftest import PASSWORD, ROOT
from tests.serving import Served, migrated, served

pytestmark = pytest.mark.slow  # started first, while the other worker shares the rest

WAIT = 30_000  # ms: a busy two-core machine runs the API, the runtime and the browser
SCALE = "0.2"


@dataclass
class Demo:
    service: Served
    slug: str
    token: str
    owner_url: str

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.service.call(self.token, method, path, **kwargs)


@pytest.fixture(scope="module")
def demo(owner_url: str) -> Iterator[Demo]:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    migrated(owner_url)
    seeded = subprocess.run(
        [str(ROOT / ".venv/bin/frontdesk"), "demo", "--tenant", slug, "--scale", SCALE],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "DATABASE_URL": owner_url, "FRONTDESK_LOG_LEVEL": "WARNING",
             "COLUMNS": "200"})
    assert seeded.returncode == 0 and "0 steps refused" in seeded.stdout, seeded.stdout
    print(seeded.stdout)  # the counts and the seeding time, for the record (-s)
    with served(owner_url, FRONTDESK_RATE_LIMIT_PER_IP="0",
                FRONTDESK_RATE_LIMIT_PER_TENANT="0") as service:
        token = httpx.post(f"{service.url}/v1/auth/login", timeout=30, json={
            "tenant": slug, "email": admin_email(slug),
            "password": demo_password(slug)}).json()["access_token"]
        yield Demo(service, slug, token, owner_url)


def log_in(page: Any, demo: Demo, email: str, password: str) -> None:
    console_login(page, demo.service.url, demo.slug, email, password)
    page.wait_for_url(re.compile(r"/console/(agent|wall)"))


DRAWN = """canvas => {
  const chart = Chart.getChart(canvas);
  if (!chart) return {figures: 0, painted: 0};
  const figures = chart.data.datasets.flatMap(d => d.data).filter(v => v > 0).length;
  const {width, height} = canvas;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {figures, painted, share: painted / (width * height)};
}"""


def assert_drawn(page: Any, chart_id: str) -> None:
    canvas = page.locator(f"canvas[data-chart='{chart_id}-data']")
    canvas.wait_for(timeout=WAIT)
    page.wait_for_function("c => c.dataset.drawn === 'true'", arg=canvas.element_handle(),
                           timeout=WAIT)
    drawn = canvas.evaluate(DRAWN)
    assert drawn["figures"] > 0, (chart_id, drawn)  # non-zero figures to draw
    assert drawn["share"] > 0.02, (chart_id, drawn)  # and bars or lines painted


def figures(page: Any, section: str) -> list[str]:
    return page.locator(f"[data-testid=ltv-{section}] tbody tr").all_inner_texts()


def chart_data(page: Any, chart_id: str) -> Any:
    return page.locator(f"canvas[data-chart='{chart_id}-data']").evaluate(
        "c => Chart.getChart(c).data.datasets.map(d => d.data)")


def pay_a_new_case(demo: Demo) -> None:
    """More revenue, after the moment recorded: a new contact's case, quoted, accepted,
    invoiced and paid (no lead: the "(none)" source)."""
    contact = demo.api("POST", "/v1/contacts", json={
        "name": "Late Payer", "email": f"late-{uuid.uuid4().hex[:6]}@example.com"})
    case = demo.api("POST", "/v1/cases", json={"contact_id": contact["id"],
                                               "kind": "treatment_plan", "title": "Crown"})
    demo.api("POST", f"/v1/cases/{case['id']}/quote", json={
        "currency": "EUR", "valid_until": "2099-12-31",
        "line_items": [{"description": "Crown", "quantity": 1, "unit_amount": 98765}]})
    demo.api("POST", f"/v1/cases/{case['id']}/accept")
    invoice = demo.api("POST", f"/v1/cases/{case['id']}/invoices",
                       json={"due_date": "2099-01-31"})
    demo.api("POST", f"/v1/cases/{case['id']}/payments", json={
        "amount": 98765, "currency": "EUR", "method": "bank_transfer",
        "invoice_id": invoice["invoice"]["id"],
        "external_reference": f"LATE-{uuid.uuid4().hex[:8]}"})


def test_the_owner_reads_analytics_live_and_as_it_stood(demo: Demo) -> None:
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP).new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        missing: list[str] = []
        page.on("response", lambda r: r.status >= 400 and missing.append(r.url))
        log_in(page, demo, admin_email(demo.slug), demo_password(demo.slug))
        page.click("nav >> text=Analytics")
        page.wait_for_url(re.compile(r"/console/analytics$"))
        for chart in ("ltv-source", "ltv-campaign", "ltv-cohort"):
            assert_drawn(page, chart)
        live = {s: figures(page, s) for s in ("source", "campaign", "cohort")}
        live_chart = chart_data(page, "ltv-source")
        assert all(live.values()), live
        screenshot(page, "console-analytics")
        # The moment the owner looked: every figure above was in the log by then.
        looked = datetime.now(UTC).replace(microsecond=0)
        time.sleep(1.5)  # the next payment is recorded on a later second

        pay_a_new_case(demo)
        deadline = time.monotonic() + 30
        while True:  # the live page follows the ltv read model
            page.reload()
            if figures(page, "source") != live["source"]:
                break
            assert time.monotonic() < deadline, "the live page never showed the payment"
            time.sleep(0.5)
        changed = [row for row in figures(page, "source") if row not in live["source"]]
        assert changed and all(row.startswith("(none)") for row in changed), changed

        page.fill("input[name=as_of]", looked.strftime("%Y-%m-%dT%H:%M:%S"))
        page.click("[data-testid=as-of-form] button[type=submit]")
        page.wait_for_url(re.compile(r"as_of="))
        assert "As it stood at " + looked.strftime("%Y-%m-%d %H:%M:%S") in page.inner_text(
            "[data-testid=ltv-moment]")
        assert_drawn(page, "ltv-source")
        assert {s: figures(page, s) for s in live} == live  # exactly what the owner saw
        assert chart_data(page, "ltv-source") == live_chart

        page.click("nav.tabs >> text=Agents and AI")
        page.wait_for_url(re.compile(r"/console/analytics/agents"))
        for chart in ("agents-tasks", "agents-handle", "ai-cost"):
            assert_drawn(page, chart)
        # The day picked shows the figures the API gives for it, agent by agent.
        today = datetime.now(UTC).date()
        days = demo.api("GET", "/v1/analytics/agents", params={
            "from": str(today - timedelta(days=13)), "to": str(today)})["items"]
        busiest = max(d["day"] for d in days if d["tasks_handled"] > 0)
        page.fill("input[name=day]", busiest)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(f"day={busiest}"))
        shown = page.locator("[data-testid=agent-tasks]").all_inner_texts()
        assert sorted(int(n) for n in shown) == sorted(
            d["tasks_handled"] for d in days if d["day"] == busiest)
        assert_drawn(page, "agents-tasks")
        screenshot(page, "console-analytics-agents")
        # As of the moment the owner looked (ADR 0091): the API's report as of it, replayed.
        page.fill("input[name=as_of]", looked.strftime("%Y-%m-%dT%H:%M:%S"))
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"as_of="))
        assert "as it stood at " + looked.strftime("%Y-%m-%d %H:%M:%S") in page.inner_text(
            "[data-testid=agents-moment]")
        then = demo.api("GET", "/v1/analytics/agents", params={
            "from": busiest, "as_of": looked.strftime("%Y-%m-%dT%H:%M:%SZ")})["items"]
        shown = page.locator("[data-testid=agent-tasks]").all_inner_texts()
        assert sorted(int(n) for n in shown) == sorted(d["tasks_handled"] for d in then)
        for chart in ("agents-tasks", "ai-cost"):
            assert_drawn(page, chart)

        page.set_viewport_size(PHONE)
        for path, name in (("/console/analytics", "console-analytics-phone"),
                           ("/console/analytics/agents", "console-analytics-agents-phone")):
            page.goto(demo.service.url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert_drawn(page, "ltv-cohort" if path.endswith("analytics") else "ai-cost")
            screenshot(page, name)
        # No CSP refusal and no script error; nothing missing but the icon nobody serves.
        assert [u for u in missing if not u.endswith("/favicon.ico")] == []
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []


def test_the_owner_filters_the_audit_exports_it_and_simulates_routing(
        demo: Demo, tmp_path: Path) -> None:
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        page = context.new_page()
        log_in(page, demo, admin_email(demo.slug), demo_password(demo.slug))
        page.click("nav >> text=Operations")
        page.wait_for_url(re.compile(r"/console/operations$"))
        everything = page.locator("[data-testid=audit-action]").all_inner_texts()
        assert len(set(everything)) > 1, everything
        assert page.locator("[data-testid=audit-next]").count() == 1  # more than a page
        screenshot(page, "console-operations")

        page.fill("input[name=action]", "CaseOpened")
        page.click("[data-testid=audit-filters] button[type=submit]")
        page.wait_for_url(re.compile(r"action=CaseOpened"))
        narrowed = page.locator("[data-testid=audit-action]").all_inner_texts()
        assert narrowed and set(narrowed) == {"CaseOpened"}, narrowed

        with page.expect_download() as caught:
            page.click("[data-testid=audit-csv]")
        saved = tmp_path / "audit.csv"
        caught.value.save_as(saved)
        rows = list(csv.DictReader(io.StringIO(saved.read_text())))
        assert rows and {r["action"] for r in rows} == {"CaseOpened"}
        assert len(rows) >= len(narrowed)

        forged = page.goto(demo.service.url + "/console/operations?cursor=forged")
        assert forged is not None and forged.status == 400  # a page, not a stack trace
        assert "That address is not right" in page.inner_text("main")

        page.goto(demo.service.url + "/console/operations/projections")
        assert page.locator("[data-testid=projection-ltv]").count() == 1
        assert page.inner_text("[data-testid=projections-failing]") == "0"
        screenshot(page, "console-operations-projections")

        page.click("nav.tabs >> text=What-if routing")
        page.wait_for_url(re.compile(r"/simulation$"))
        page.select_option("select[name=strategy]", "round_robin")
        page.fill("input[name=agents]", "1")
        page.click("[data-testid=what-if-form] button[type=submit]")
        page.wait_for_url(re.compile(r"strategy=round_robin"))
        assert page.locator("[data-testid=what-if-row]").count() >= 2  # a queue, and all
        for chart in ("what-if-sla", "what-if-wait"):
            assert_drawn(page, chart)
        screenshot(page, "console-operations-simulation")
        # The command line answers the same question with the same figures (one service).
        period = [page.input_value(f"input[name={n}]") + "Z" for n in ("since", "until")]
        printed = subprocess.run(
            [str(ROOT / ".venv/bin/frontdesk"), "simulate", "routing", "--tenant", demo.slug,
             "--from", period[0], "--to", period[1], "--strategy", "round_robin",
             "--agents", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**os.environ, "DATABASE_URL": demo.owner_url, "FRONTDESK_LOG_LEVEL": "WARNING",
                 "COLUMNS": "200"})
        assert printed.returncode == 0, printed.stdout + printed.stderr
        [line] = [row for row in printed.stdout.splitlines() if "all queues" in row]
        on_page = page.locator("[data-testid=what-if-row]").last.inner_text()
        assert [float(n) for pair in re.findall(r"([\d.]+) % · ([\d.]+) s", on_page)
                for n in pair] == pytest.approx(
            [float(n) for pair in re.findall(r"([\d.]+)% / ([\d.]+) s", line) for n in pair],
            abs=0.051)

        page.set_viewport_size(PHONE)
        for path, name in (("/console/operations?action=login.succeeded",
                            "console-operations-phone"),
                           (page.url.removeprefix(demo.service.url),
                            "console-operations-simulation-phone")):
            page.goto(demo.service.url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            screenshot(page, name)


def test_a_role_without_access_is_refused(demo: Demo) -> None:
    agent = f"agent-{uuid.uuid4().hex[:6]}@{demo.slug}.example"
    analyst = f"analyst-{uuid.uuid4().hex[:6]}@{demo.slug}.example"
    demo.api("POST", "/v1/users", json={"email": agent, "password": PASSWORD,
                                        "roles": ["agent"], "display_name": "Ada"})
    demo.api("POST", "/v1/users", json={"email": analyst, "password": PASSWORD,
                                        "roles": ["analyst"], "display_name": "Ann"})
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP).new_page()
        log_in(page, demo, agent, PASSWORD)
        assert page.locator("header nav >> text=Analytics").count() == 0
        for path in ("/console/analytics", "/console/operations/audit.csv"):
            answer = page.goto(demo.service.url + path)
            assert answer is not None and answer.status == 403
            assert "your role" in page.inner_text("main")
            assert page.locator("[data-testid=ltv-row], [data-testid=audit-row]").count() == 0

        page = browser.new_context(viewport=DESKTOP).new_page()
        log_in(page, demo, analyst, PASSWORD)
        assert page.locator("header nav >> text=Operations").count() == 0
        answer = page.goto(demo.service.url + "/console/operations")
        assert answer is not None and answer.status == 403
        assert page.locator("[data-testid=audit-row]").count() == 0
        answer = page.goto(demo.service.url + "/console/analytics")
        assert answer is not None and answer.status == 200  # analysts read the analytics
