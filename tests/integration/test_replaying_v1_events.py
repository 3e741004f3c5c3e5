"""A log written by the v1 money and queue events (amount and currency side by side, the SLA in
four fields) replays under the v2 classes that carry Money and ServiceLevel: aggregates,
rebuilt projections and event histories read as before, and no stored row is rewritten
(ADR 0065).

The log is data (fixtures/v1_money_and_service_level_events.json): the rows the v1 classes,
the personal-data mapper and the transcoder wrote before the change, with the views and
histories the v1 code made of them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from adapters.crypto.keys import NewDataKey
from adapters.eventstore.history import plain
from adapters.eventstore.mapper import TenantStoredEvent
from adapters.eventstore.recorder import CommitUnit
from adapters.projections.as_of import compute_as_of
from application.projections.cases import CasesProjection
from application.projections.ltv import LtvProjection
from application.projections.supervisor_overview import SupervisorOverviewProjection
from domain.cases import Case, CaseStatus
from domain.contact_center import Queue
from domain.contact_center.queue import QueueDefinition
from domain.contact_center.values import ServiceLevel
from domain.shared.money import Money

LOG = json.loads((Path(__file__).parent / "fixtures"
                  / "v1_money_and_service_level_events.json").read_text())
TENANT, CONTACT = UUID(LOG["tenant_id"]), UUID(LOG["contact_id"])
CASE_EUR = UUID("7d0c2f7e-5f3a-4b8e-9a61-0a4f7f3c1b03")
CASE_USD = UUID("7d0c2f7e-5f3a-4b8e-9a61-0a4f7f3c1b04")
PAYMENT_EUR = UUID("7d0c2f7e-5f3a-4b8e-9a61-0a4f7f3c1b06")
PAYMENT_USD = UUID("7d0c2f7e-5f3a-4b8e-9a61-0a4f7f3c1b0a")
ESCALATIONS = UUID("7d0c2f7e-5f3a-4b8e-9a61-0a4f7f3c1b0b")
SUPPORT = UUID("7d0c2f7e-5f3a-4b8e-9a61-0a4f7f3c1b0c")
LATER = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
EVER = datetime(2100, 1, 1, tzinfo=UTC)

Rows = list[tuple[Any, ...]]


def owner(container: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(container.database().owner_url, autocommit=True)


def stored_rows(container: Any) -> Rows:
    with owner(container) as conn:
        return conn.execute(
            "SELECT originator_id, originator_version, topic, state, subject_id, occurred_at "
            "FROM events WHERE tenant_id = %s ORDER BY tx_id, notification_id",
            (TENANT,)).fetchall()


@pytest.fixture
def v1_log(container: Any) -> Rows:
    """The fixture's rows appended as the recorder appends them (with the data key that seals
    their personal fields), to the fixture's tenant emptied first: its ids are fixed, and a
    database may outlive a run. Returns the rows as stored."""
    with owner(container) as conn:
        for table in ("events", "data_keys"):
            conn.execute(sql.SQL("DELETE FROM {} WHERE tenant_id = %s").format(
                sql.Identifier(table)), (TENANT,))
    assert all("class_version" not in e["state"] for e in LOG["events"])  # all v1
    kek_id, wrapped = container.keks().wrap(bytes.fromhex(LOG["data_key"]))
    unit = CommitUnit(tenant_id=TENANT, events=[TenantStoredEvent(
        originator_id=UUID(e["originator_id"]), originator_version=e["originator_version"],
        topic=e["topic"], state=e["state"].encode(), tenant_id=TENANT,
        subject_id=UUID(e["subject_id"]) if e["subject_id"] else None,
        occurred_at=datetime.fromisoformat(e["occurred_at"])) for e in LOG["events"]],
        new_keys=[NewDataKey(TENANT, CONTACT, kek_id, wrapped)])
    container.event_store().committer.commit(unit)
    assert unit.error is None
    rows = stored_rows(container)
    assert [bytes(r[3]) for r in rows] == [e["state"].encode() for e in LOG["events"]]
    return rows


def unchanged(container: Any, v1_log: Rows) -> bool:
    return stored_rows(container)[:len(v1_log)] == v1_log


def test_aggregates_load_from_the_v1_log_with_the_same_state(container: Any,
                                                             v1_log: Rows) -> None:
    uow = container.unit_of_work()(TENANT)
    case = uow.get(Case, CASE_EUR)
    assert (case.version, case.status, case.currency) == (9, CaseStatus.IN_PROGRESS, "EUR")
    assert case.title == "Whitening plan"  # sealed personal field, opened with its key
    assert case.quote is not None and (case.quote.revision, case.quote.total) == (2, 150_000)
    assert case.quote.accepted_at is not None
    assert (case.invoiced_total, case.paid_total, case.refunded_total,
            case.disputed_total) == (100_000, 100_000, 10_000, 5_000)
    assert case.payment(PAYMENT_EUR).remaining == 50_000
    assert case.payment_with_reference("pi_v1_fixture") == case.payment(PAYMENT_EUR)
    usd = uow.get(Case, CASE_USD)
    assert (usd.currency, usd.paid_total, usd.quote and usd.quote.total) == ("USD", 89_900,
                                                                             89_900)
    support, escalations = uow.get(Queue, SUPPORT), uow.get(Queue, ESCALATIONS)
    assert support.settings().service_level == ServiceLevel(20, 85, 240, ESCALATIONS)
    assert escalations.service_level == ServiceLevel(60, 90, 600)
    events = [container.mapper().to_domain_event(s) for s in
              container.event_store().recorder.select_aggregate(TENANT, CASE_EUR)]
    assert [e.amount for e in events if isinstance(e, Case.PaymentReceived)] == [
        Money(60_000, "EUR"), Money(40_000, "EUR")]
    assert unchanged(container, v1_log)


def test_projections_rebuilt_from_the_v1_log_give_the_views_the_v1_code_gave(
        container: Any, v1_log: Rows) -> None:
    for projection in (CasesProjection(), LtvProjection(), SupervisorOverviewProjection()):
        rows = compute_as_of(projection, EVER, container.worker_pool(),
                             container.worker_mapper(), tenant_id=TENANT)
        for table in projection.tables:
            rebuilt = sorted((plain(r) for r in rows.rows(table)),
                             key=lambda r: json.dumps(r, sort_keys=True))
            assert rebuilt == LOG["views"][table], table
    cases = {r["id"]: r for r in LOG["views"]["cases"]}
    assert (cases[str(CASE_EUR)]["paid"], cases[str(CASE_EUR)]["refunded"]) == (100_000, 10_000)
    nets = {r["currency"]: r["net"] for r in LOG["views"]["ltv_contacts"]}
    assert nets == {"EUR": 85_000, "USD": 89_900}
    queues = {r["name"]: r for r in LOG["views"]["cc_queues"]}
    assert queues["Support"]["escalation_queue_id"] == str(ESCALATIONS)
    assert unchanged(container, v1_log)


def test_the_history_of_the_v1_log_reads_as_the_v1_code_read_it(container: Any,
                                                               v1_log: Rows) -> None:
    history = container.event_store()
    for aggregate in (CASE_EUR, CASE_USD, ESCALATIONS, SUPPORT):
        entries = history.of(TENANT, aggregate)
        written = [e for e in LOG["events"] if e["originator_id"] == str(aggregate)]
        assert [(e.type, e.version, e.data) for e in entries] == [
            (e["topic"].rsplit(".", 1)[-1], e["originator_version"], e["history_data"])
            for e in written]
    assert unchanged(container, v1_log)


def test_v2_events_appended_to_the_v1_log_read_alike_and_nothing_stored_changes(
        container: Any, v1_log: Rows) -> None:
    uow = container.unit_of_work()(TENANT)
    usd, support = uow.get(Case, CASE_USD), uow.get(Queue, SUPPORT)
    usd.refund_payment(actor="t", at=LATER, refund_id=UUID(int=1), payment_id=PAYMENT_USD,
                       amount=Money(900, "USD"), reason="changed dates")
    support.change(actor="t", at=LATER, definition=QueueDefinition.parse(
        name="Support", description=None, required_skills={"support": 2},
        strategy="longest_idle", service_level=ServiceLevel(15, 90, 200, ESCALATIONS),
        reservation_timeout_seconds=30, default_for=["inbound_call"]))
    uow.add(usd)
    uow.add(support)
    uow.commit()

    rows = stored_rows(container)
    assert rows[:len(v1_log)] == v1_log  # never rewritten
    refund, change = (json.loads(bytes(r[3])) for r in rows[len(v1_log):])
    assert refund["class_version"] == 2 and "currency" not in refund and "_pii" in refund
    assert refund["amount"] == {"_type_": "money", "_data_": {"amount": 900, "currency": "USD"}}
    assert change["class_version"] == 2 and "max_hold_seconds" not in change
    assert change["service_level"]["_type_"] == "service_level"

    again = container.unit_of_work()(TENANT)
    assert again.get(Case, CASE_USD).refunded_total == 900
    assert again.get(Queue, SUPPORT).service_level == ServiceLevel(15, 90, 200, ESCALATIONS)
    old_refund = next(e["history_data"] for e in LOG["events"]
                      if e["topic"].endswith("PaymentRefunded"))
    new_refund = container.event_store().of(TENANT, CASE_USD)[-1].data
    assert new_refund.keys() == old_refund.keys()  # same shape whatever the stored version
    assert (new_refund["amount"], new_refund["currency"], new_refund["reason"]) == (
        900, "USD", "changed dates")
    new_change = container.event_store().of(TENANT, SUPPORT)[-1].data
    assert new_change == {**next(e["history_data"] for e in LOG["events"]
                                 if e["topic"].endswith("QueueChanged")),
                          "description": None, "target_answer_seconds": 15,
                          "target_percentage": 90, "max_hold_seconds": 200}
    ltv = compute_as_of(LtvProjection(), EVER, container.worker_pool(),
                        container.worker_mapper(), tenant_id=TENANT).rows("ltv_contacts")
    assert {r["currency"]: r["net"] for r in ltv} == {"EUR": 85_000, "USD": 89_000}
