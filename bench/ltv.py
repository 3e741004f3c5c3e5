"""(d) LTV: replay of 200k payment-bearing events into the ltv view (events/s) against a raw
read of the same rows; then p50/p95/p99 of GET /v1/analytics/ltv for 10k contacts at 16
concurrent connections (wrk, `frontdesk serve --workers 2`) against a plain read-model list
on the same server and tenant (a 50-row page of the cases read model). Every projection is
caught up before the server starts, so it does no background work while measured.

Workload: 10,000 contacts with 2 cases each (20,000 cases, 7 sources, 5 campaigns, 10% in
USD), every case quoted and accepted, then 10 rounds in which every case gets one money
event: 8 instalments, 1 refund, 1 dispute. Rounds interleave all cases, so a replay batch
touches about as many distinct cases and contacts as it has events (no help from batching
several events of one case together).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import median


def generate(container: Any, tenant_id: uuid.UUID, *, contacts: int = 10_000,
             cases_per_contact: int = 2, rounds: int = 10, per_commit: int = 400) -> int:
    """Returns the number of payment-bearing events written."""
    from domain.cases import Case, LineItem
    from domain.shared import Slug
    from domain.shared.money import Money

    store = container.event_store()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    cases: list[tuple[Case, str, list[uuid.UUID]]] = []
    people = [uuid.uuid4() for _ in range(contacts)]
    for n in range(contacts * cases_per_contact):
        at = start + timedelta(minutes=n)
        currency = "USD" if n % 10 == 0 else "EUR"
        case = Case.open(case_id=uuid.uuid4(), tenant_id=tenant_id, actor="bench", at=at,
                         contact_id=people[n % contacts], lead_id=None, kind=Slug("general"),
                         title="Bench case", source=f"src{n % 7}", campaign=f"c{n % 5}")
        case.issue_quote(actor="bench", at=at, line_items=[
            LineItem("Plan", 1, Money(1_000_000, currency))], valid_until=date(2030, 1, 1))
        case.accept_quote(actor="bench", at=at)
        cases.append((case, currency, []))
    _commit(store, tenant_id, [c for c, _, _ in cases], per_commit)
    written = 0
    for round_number in range(rounds):
        for n, (case, currency, payments) in enumerate(cases):
            at = start + timedelta(days=30 * round_number + n % 30, minutes=n)
            if round_number == rounds - 2:
                case.refund_payment(actor="bench", at=at, refund_id=uuid.uuid4(),
                                    payment_id=payments[0], amount=Money(500, currency),
                                    reason=None)
            elif round_number == rounds - 1:
                case.dispute_payment(actor="bench", at=at, dispute_id=uuid.uuid4(),
                                     payment_id=payments[1], amount=Money(700, currency),
                                     reason="fraudulent", external_reference=None)
            else:
                payment = uuid.uuid4()
                case.receive_payment(actor="bench", at=at, payment_id=payment,
                                     amount=Money(1_000 + n % 5_000, currency), method="cash")
                payments.append(payment)
            written += 1
        _commit(store, tenant_id, [c for c, _, _ in cases], per_commit)
    return written


def _commit(store: Any, tenant_id: uuid.UUID, cases: list[Any], per_commit: int) -> None:
    for offset in range(0, len(cases), per_commit):
        chunk = cases[offset:offset + per_commit]
        store.commit(tenant_id, [(case, frozenset()) for case in chunk], None)


def raw_read_rate(container: Any) -> tuple[float, int]:
    """Rows/s reading the ltv projection's events in commit order, pages of 1,000."""
    from adapters.projections.runner import topics_of
    from application.projections.ltv import LtvProjection

    topics = topics_of(LtvProjection())
    rows, last_tx, last_id = 0, "0", 0
    started = time.perf_counter()
    with container.worker_pool().connection() as conn:
        while True:
            page = conn.execute(
                "SELECT tx_id::text AS tx, notification_id, tenant_id, originator_id, "
                "originator_version, topic, state, subject_id, occurred_at FROM events "
                "WHERE (tx_id, notification_id) > (%s::xid8, %s) AND topic = ANY(%s) "
                "ORDER BY tx_id, notification_id LIMIT 1000", (last_tx, last_id, topics),
                prepare=True).fetchall()
            if not page:
                break
            rows += len(page)
            last_tx, last_id = page[-1]["tx"], page[-1]["notification_id"]
    return rows / (time.perf_counter() - started), rows


def replay_rate(container: Any) -> tuple[float, int, dict[str, int]]:
    manager = container.projection_manager()
    started = time.perf_counter()
    report = manager.rebuild("ltv", resume=False)
    return report.events / (time.perf_counter() - started), report.events, report.rows


LUA_LTV = r"""
request = function()
  return wrk.format("GET", PATH, {["Authorization"] = "Bearer " .. TOKEN})
end
"""


def http(owner_url: str, slug: str, password: str, *, seconds: int,
         connections: int = 16) -> dict[str, dict[str, Any]]:
    import httpx

    from bench import http_load

    binary = http_load.ensure_wrk()
    port = http_load.free_port()
    log = http_load.ROOT / ".data" / "bench-ltv-server.log"
    server = http_load.start_server(owner_url, port, 2, log)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, Any]] = {}
    try:
        token = httpx.post(f"{base}/v1/auth/login", json={
            "tenant": slug, "email": f"admin@{slug}.example", "password": password}
        ).raise_for_status().json()["access_token"]
        paths = {"GET /v1/cases?limit=50 (baseline)": "/v1/cases?limit=50",
                 "LTV group_by=contact": "/v1/analytics/ltv?group_by=contact&limit=50",
                 "LTV group_by=cohort": "/v1/analytics/ltv?group_by=cohort",
                 "LTV group_by=source": "/v1/analytics/ltv?group_by=source"}
        for name, path in paths.items():
            script = f'PATH = "{path}"\n' + LUA_LTV
            http_load.wrk(binary, base, token, script, 2, connections)  # warm-up
            results[name] = http_load.wrk(binary, base, token, script, seconds, connections)
    finally:
        http_load.stop_process(server)
    return results


def catch_up_everything(container: Any) -> None:
    """Bring every projection to the end of the log, so the server under test does no
    background catching up while it is measured."""
    from adapters.projections.runner import ProjectionRunner

    for projection in container.projections():
        ProjectionRunner(projection, container.worker_pool(), container.worker_mapper(),
                         batch_size=10_000).catch_up()


def run(container: Any, owner_url: str, tenant_id: uuid.UUID, slug: str, password: str, *,
        rounds: int = 2, seconds: int = 10) -> dict[str, Any]:
    generated = time.perf_counter()
    events = generate(container, tenant_id)
    catch_up_everything(container)
    generation = time.perf_counter() - generated
    raw, replayed = [], []
    for _ in range(rounds):
        rate, total = raw_read_rate(container)
        raw.append(rate)
        rate, applied, rows = replay_rate(container)
        replayed.append(rate)
    return {"payment_events": events, "log_rows": total, "applied": applied, "rows": rows,
            "generation_s": generation, "raw_read": median(raw), "replay": median(replayed),
            "http": http(owner_url, slug, password, seconds=seconds)}
