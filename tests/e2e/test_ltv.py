"""Lifetime value over several days with a controllable clock: each day's report, asked for
afterwards with ``as_of``, is exactly what that day's figures were; the live report equals the
report as of now; groups never add currencies; the CLI rebuilds and time-travels the view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import TestClient
from typer.testing import CliRunner

from adapters.clock import ManualClock
from tests.conftest import ADMIN_TOKEN, NO_RATE_LIMITS, TenantSession
from tests.support_cases import run_case_opener

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(DAY1)


@pytest.fixture(scope="module")
def clocked(owner_url: str, runtime: Any, clock: ManualClock) -> Iterator[tuple[Any, Any]]:
    """A second composition root on the same database whose clock the test moves."""
    from entrypoints.container import Container
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    built = Container()
    built.settings.override(providers.Object(Settings(
        DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN, FRONTDESK_LOG_LEVEL="WARNING",
        FRONTDESK_STALE_POLICY_INTERVAL=3600.0, **NO_RATE_LIMITS)))  # type: ignore[arg-type]
    built.clock.override(providers.Object(clock))
    built.database()
    with TestClient(app=create_app(built), raise_server_exceptions=False) as client:
        yield built, client
    built.datastore().close()
    built.worker_pool().close()


class Shop:
    """A tenant working through the clocked API."""

    def __init__(self, session: TenantSession, container: Any) -> None:
        self.session, self.container = session, container
        self.position = "0"

    def post(self, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        response = self.session.post(path, json=body)
        assert response.status_code == status, (path, response.text)
        self.position = response.headers.get("x-frontdesk-position", self.position)
        return dict(response.json())

    def customer(self, source: str, campaign: str | None) -> tuple[str, str, str]:
        """A converted lead with an accepted case: (contact id, lead id, case id)."""
        body = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "source": source}
        if campaign:
            body["campaign"] = campaign
        lead = self.post("/v1/leads", body, 201)
        self.post(f"/v1/leads/{lead['id']}/qualify", {})
        case_id = self.post(f"/v1/leads/{lead['id']}/convert")["case_id"]
        run_case_opener(self.container, self.session.id, until=self.position)
        self.quote(case_id)
        return lead["contact_id"], lead["id"], case_id

    def quote(self, case_id: str, currency: str = "EUR") -> None:
        self.post(f"/v1/cases/{case_id}/quote", {
            "currency": currency, "valid_until": "2099-12-31",
            "line_items": [{"description": "Plan", "quantity": 1, "unit_amount": 100_000}]})
        self.post(f"/v1/cases/{case_id}/accept")

    def pay(self, case_id: str, amount: int, currency: str = "EUR") -> str:
        return str(self.post(f"/v1/cases/{case_id}/payments", {
            "amount": amount, "currency": currency, "method": "cash"}, 201)["payment_id"])

    def refund(self, case_id: str, payment_id: str, amount: int) -> None:
        self.post(f"/v1/cases/{case_id}/refunds", {"payment_id": payment_id,
                                                   "amount": amount}, 201)

    def ltv(self, group_by: str, as_of: str | None = None, **params: Any) -> dict[str, Any]:
        query = {"group_by": group_by, **params} | ({"as_of": as_of} if as_of else {})
        response = self.session.get("/v1/analytics/ltv", params=query,
                                    headers={"X-Frontdesk-Min-Position": self.position})
        assert response.status_code == 200, response.text
        return dict(response.json())


def contacts(report: dict[str, Any]) -> list[tuple[str, str, int, int, int]]:
    return [(i["contact_id"], i["currency"], i["net"], i["payments"], i["cases"])
            for i in report["items"]]


def groups(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(g["key"], g["currency"], g["customers"], g["net"], g["average"], g["median"])
            for g in report["items"]]


def test_each_days_report_is_recomputed_exactly_as_of_that_day(
        clocked: tuple[Any, Any], clock: ManualClock, tenant: TenantSession) -> None:
    container, client = clocked
    shop = Shop(TenantSession(tenant.id, tenant.slug, tenant.token, client), container)

    # Day 1: A (web_form/spring) pays 100.00, B (referral) 50.00.
    a, a_lead, a_case = shop.customer("web_form", "spring")
    a_first = shop.pay(a_case, 10_000)
    b, _, b_case = shop.customer("referral", None)
    b_payment = shop.pay(b_case, 5_000)
    day1 = {"contact": sorted([(a, "EUR", 10_000, 1, 1), (b, "EUR", 5_000, 1, 1)],
                              key=lambda r: (-r[2], r[0])),
            "source": [("referral", "EUR", 1, 5_000, 5_000, 5_000),
                       ("web_form", "EUR", 1, 10_000, 10_000, 10_000)],
            "campaign": [("spring", "EUR", 1, 10_000, 10_000, 10_000),
                         (None, "EUR", 1, 5_000, 5_000, 5_000)],
            "cohort": [("2026-03", "EUR", 2, 15_000, 7_500, 7_500)]}

    # Day 2: A pays 200.00 more, B is refunded 10.00, C (web_form/autumn) pays 7.00 USD.
    clock.set(DAY1 + timedelta(days=1))
    shop.pay(a_case, 20_000)
    shop.refund(b_case, b_payment, 1_000)
    c, c_lead, c_case = shop.customer("web_form", "autumn")
    shop.post(f"/v1/cases/{c_case}/payments", {"amount": 700, "currency": "USD",
                                               "method": "cash"}, 409)  # the case is in EUR
    c_usd = shop.post("/v1/cases", {"contact_id": c, "lead_id": c_lead, "kind": "trip_quote",
                                    "title": "NYC"}, 201)["id"]
    shop.quote(c_usd, "USD")
    shop.pay(c_usd, 700, "USD")
    day2 = {"source": [("referral", "EUR", 1, 4_000, 4_000, 4_000),
                       ("web_form", "EUR", 1, 30_000, 30_000, 30_000),
                       ("web_form", "USD", 1, 700, 700, 700)],
            "cohort": [("2026-03", "EUR", 2, 34_000, 17_000, 17_000),
                       ("2026-03", "USD", 1, 700, 700, 700)]}

    # Day 3 (next month): A is refunded 30.00 and pays 15.00 on a second case; D and E are new.
    clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    shop.refund(a_case, a_first, 3_000)
    a_second = shop.post("/v1/cases", {"contact_id": a, "lead_id": a_lead, "kind": "general",
                                       "title": "Second plan"}, 201)["id"]
    shop.quote(a_second)
    shop.pay(a_second, 1_500)
    d, _, d_case = shop.customer("web_form", "spring")
    shop.pay(d_case, 4_000)
    e, _, e_case = shop.customer("fair", None)
    shop.pay(e_case, 1_001)
    euros = sorted([(a, "EUR", 28_500, 3, 2), (b, "EUR", 4_000, 1, 1), (d, "EUR", 4_000, 1, 1),
                    (e, "EUR", 1_001, 1, 1)], key=lambda r: (-r[2], r[0]))
    day3 = {"contact": [*euros, (c, "USD", 700, 1, 1)],
            "source": [("fair", "EUR", 1, 1_001, 1_001, 1_001),
                       ("referral", "EUR", 1, 4_000, 4_000, 4_000),
                       ("web_form", "EUR", 2, 32_500, 16_250, 16_250),
                       ("web_form", "USD", 1, 700, 700, 700)],
            "campaign": [("autumn", "USD", 1, 700, 700, 700),
                         ("spring", "EUR", 2, 32_500, 16_250, 16_250),
                         (None, "EUR", 2, 5_001, 2_501, 2_501)],
            "cohort": [("2026-03", "EUR", 2, 32_500, 16_250, 16_250),
                       ("2026-03", "USD", 1, 700, 700, 700),
                       ("2026-04", "EUR", 2, 5_001, 2_501, 2_501)]}

    before = shop.ltv("cohort", "2026-03-01T00:00:00Z")
    assert before["items"] == [] and before["as_of"].startswith("2026-03-01")
    end_of = {1: "2026-03-02T23:59:59Z", 2: "2026-03-03T23:59:59Z", 3: "2026-04-01T23:59:59Z"}
    assert contacts(shop.ltv("contact", end_of[1])) == day1["contact"]
    for group_by in ("source", "campaign", "cohort"):
        assert groups(shop.ltv(group_by, end_of[1])) == day1[group_by], group_by
    for group_by in ("source", "cohort"):
        assert groups(shop.ltv(group_by, end_of[2])) == day2[group_by], group_by
    assert contacts(shop.ltv("contact", end_of[3])) == day3["contact"]
    for group_by in ("source", "campaign", "cohort"):
        assert groups(shop.ltv(group_by, end_of[3])) == day3[group_by], group_by
        live = shop.ltv(group_by)
        assert live["as_of"] is None and live["definition"] == "historical-net/1"
        assert groups(live) == day3[group_by], group_by  # the live view agrees
    assert contacts(shop.ltv("contact")) == day3["contact"]
    assert contacts(shop.ltv("contact", currency="USD")) == [(c, "USD", 700, 1, 1)]
    [row] = shop.ltv("contact", contact_id=a)["items"]
    assert (row["paid"], row["refunded"], row["cohort"]) == (31_500, 3_000, "2026-03")
    assert row["first_payment_at"].startswith("2026-03-02")
    assert row["last_payment_at"].startswith("2026-04-01")

    for as_of in (None, end_of[3]):  # pages follow the same order live and as of
        seen, cursor = [], None
        while True:
            extra = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = shop.ltv("contact", as_of, **extra)
            seen += contacts(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == day3["contact"]
    bad = shop.session.get("/v1/analytics/ltv", params={"as_of": "2026-03-01T00:00:00"})
    assert bad.status_code == 422
    assert shop.session.get("/v1/analytics/ltv",
                            params={"group_by": "planet"}).status_code in (400, 422)


@pytest.fixture
def cli(owner_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return str(result.output)

    return run


def test_cli_rebuilds_ltv_and_computes_it_as_of(container: Any, cli: Any,
                                                tenant: TenantSession) -> None:
    from tests.support_cases import accepted_case

    case_id = accepted_case(tenant, container)
    paid = tenant.post(f"/v1/cases/{case_id}/payments",
                       json={"amount": 4_200, "currency": "EUR", "method": "cash"})
    position = paid.headers["x-frontdesk-position"]
    live = tenant.read("/v1/analytics/ltv", position).json()["items"]
    assert [i["net"] for i in live] == [4_200]
    assert "ltv" in cli("projections", "status")
    rebuilt = cli("projections", "rebuild", "ltv")
    assert "ltv:" in rebuilt and "swapped in" in rebuilt
    assert tenant.read("/v1/analytics/ltv", position).json()["items"] == live
    soon = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ")
    present = cli("projections", "as-of", "ltv", "--at", soon, "--tenant", tenant.slug,
                  "--rows")
    assert "ltv_contacts: 1 rows" in present and "ltv_cases: 1 rows" in present
    assert '"net": 4200' in present
    past = cli("projections", "as-of", "ltv", "--at", "2000-01-01T00:00Z", "--tenant",
               tenant.slug)
    assert "ltv_contacts: 0 rows" in past
    cases = cli("projections", "rebuild", "cases")
    assert "cases:" in cases and "swapped in" in cases
