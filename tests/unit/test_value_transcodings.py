"""Money and ServiceLevel are stored by registered transcodings; the v1 events that spelled
them out field by field are upcast to the v2 events that carry them (ADR 0065)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder

from adapters.eventstore.history import flat_state
from adapters.eventstore.mapper import PersonalDataMapper
from adapters.eventstore.transcoding import frontdesk_transcoder
from domain.cases import Case, LineItem
from domain.contact_center import Queue
from domain.contact_center.queue import QueueDefinition
from domain.contact_center.values import ServiceLevel
from domain.shared import Slug
from domain.shared.money import Money

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
ESCALATION = UUID("0b6f4c3e-2d1f-4011-8233-445566778899")
KEY = bytes(range(32))


class OneKey:
    """A data-key store that holds one key for every subject."""

    def key_for_write(self, tenant_id: UUID, subject_id: UUID, *,
                      new_subject: bool = False) -> tuple[bytes, None]:
        return KEY, None

    def key_for_read(self, tenant_id: UUID | None, subject_id: UUID) -> bytes:
        return KEY


def mapper() -> PersonalDataMapper:
    return PersonalDataMapper(frontdesk_transcoder(), OneKey())  # type: ignore[arg-type]


# -- transcodings -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    Money(12_550, "EUR"), Money(-3, "JPY"), Money(0, "KWD"),
    ServiceLevel(30, 80, 300), ServiceLevel(20, 85, 240, ESCALATION)])
def test_value_objects_round_trip_at_every_depth(value: Any) -> None:
    ours = frontdesk_transcoder()
    state = {"value": value, "listed": [value, 1], "nested": {"deep": [{"v": value}]}}
    decoded = ours.decode(ours.encode(state))
    assert decoded == state and type(decoded["value"]) is type(value)
    library = JSONTranscoder()
    for transcoding in ours.names.values():
        library.register(transcoding)
    assert library.decode(ours.encode(state)) == state


def test_the_stored_form_names_the_value_and_its_fields() -> None:
    ours = frontdesk_transcoder()
    stored = json.loads(ours.encode({"amount": Money(12_550, "EUR"),
                                     "level": ServiceLevel(20, 85, 240, ESCALATION)}))
    assert stored["amount"] == {"_type_": "money",
                                "_data_": {"amount": 12_550, "currency": "EUR"}}
    assert stored["level"] == {"_type_": "service_level", "_data_": {
        "target_answer_seconds": 20, "target_percentage": 85, "max_hold_seconds": 240,
        "escalation_queue_id": {"_type_": "uuid_hex", "_data_": ESCALATION.hex}}}


# -- upcasters ----------------------------------------------------------------------------------

V1_MONEY = [
    (Case.QuoteIssued, {"revision": 1, "currency": "EUR", "line_items": [], "total": 500,
                        "valid_until": "2026-06-01"},
     {"revision": 1, "line_items": [], "total": Money(500, "EUR"),
      "valid_until": "2026-06-01"}),
    (Case.QuoteAccepted, {"revision": 1, "currency": "USD", "total": 500},
     {"revision": 1, "total": Money(500, "USD")}),
    (Case.InvoiceIssued, {"invoice_id": ESCALATION, "amount": 200, "currency": "EUR",
                          "due_date": "2026-06-01", "description": None},
     {"invoice_id": ESCALATION, "amount": Money(200, "EUR"), "due_date": "2026-06-01",
      "description": None}),
    *[(cls, {"payment_id": ESCALATION, "amount": 70, "currency": "JPY", "reason": None},
       {"payment_id": ESCALATION, "amount": Money(70, "JPY"), "reason": None})
      for cls in (Case.PaymentReceived, Case.PaymentRefunded, Case.PaymentDisputed)],
]


@pytest.mark.parametrize(("cls", "v1", "v2"), V1_MONEY)
def test_money_events_upcast_amount_and_currency_to_money(cls: Any, v1: dict[str, Any],
                                                          v2: dict[str, Any]) -> None:
    assert cls.class_version == 2
    cls.upcast_v1_v2(v1)
    assert v1 == v2


@pytest.mark.parametrize("cls", [Queue.QueueCreated, Queue.QueueChanged])
def test_queue_events_upcast_the_four_sla_fields_to_a_service_level(cls: Any) -> None:
    state = {"name": "Support", "target_answer_seconds": 20, "target_percentage": 85,
             "max_hold_seconds": 240, "escalation_queue_id": ESCALATION,
             "reservation_timeout_seconds": 30}
    cls.upcast_v1_v2(state)
    assert state == {"name": "Support", "reservation_timeout_seconds": 30,
                     "service_level": ServiceLevel(20, 85, 240, ESCALATION)}


# -- through the mapper -------------------------------------------------------------------------

def paid_case() -> Case:
    case = Case.open(case_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0, contact_id=uuid4(),
                     lead_id=None, kind=Slug("plan"), title="Plan", source=None, campaign=None)
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Plan", 1, Money(9_000, "EUR"))],
                     valid_until=date(2026, 6, 1))
    case.accept_quote(actor="u", at=T0)
    case.receive_payment(actor="u", at=T0, payment_id=uuid4(), amount=Money(9_000, "EUR"),
                         method="card")
    case.refund_payment(actor="u", at=T0, refund_id=uuid4(), payment_id=next(iter(case.payments)),
                        amount=Money(1_000, "EUR"), reason="a private reason")
    return case


def test_v2_events_store_their_version_and_money_beside_the_sealed_personal_fields() -> None:
    case, keys = paid_case(), mapper()
    events = case.collect_events()
    stored = [keys.to_stored_event_for(e, case.tenant_id, case.subject_id, {})[0]
              for e in events]
    refund = json.loads(stored[-1].state)
    assert refund["class_version"] == 2 and "_pii" in refund and "reason" not in refund
    assert refund["amount"] == {"_type_": "money", "_data_": {"amount": 1_000,
                                                              "currency": "EUR"}}
    read = [keys.to_domain_event(s) for s in stored]
    assert [vars(e) for e in read] == [vars(e) for e in events]
    assert "class_version" not in vars(read[-1])


def test_a_v1_stored_event_reads_as_v2_and_its_history_keeps_the_v1_fields() -> None:
    keys, tenant = mapper(), uuid4()
    v1 = {"timestamp": T0, "tenant_id": tenant, "actor": "u", "payment_id": ESCALATION,
          "contact_id": ESCALATION, "invoice_id": None, "amount": 4_200, "currency": "EUR",
          "method": "card", "external_reference": None, "provider_event_id": None}
    event: Any = keys.event_from("domain.cases.case:Case.PaymentReceived",
                                 keys.transcoder.encode(v1), uuid4(), 5)
    assert type(event) is Case.PaymentReceived and event.amount == Money(4_200, "EUR")
    assert "currency" not in vars(event)
    history = flat_state(Case.PaymentReceived, keys.transcoder.decode(
        keys.transcoder.encode(v1)))
    assert history == v1
    v2 = keys.transcoder.decode(keys.transcoder.encode(
        {**vars(event), "class_version": 2}))
    assert {k: v for k, v in flat_state(Case.PaymentReceived, v2).items()
            if k not in ("originator_id", "originator_version")} == v1


def test_a_queue_reads_its_service_level_from_v2_events() -> None:
    level = ServiceLevel(20, 85, 240, ESCALATION)
    definition = QueueDefinition.parse(name="Support", description=None,
                                       required_skills={"support": 1}, strategy="priority",
                                       service_level=level, reservation_timeout_seconds=30)
    queue = Queue.create(queue_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0,
                         definition=definition)
    keys = mapper()
    stored = [keys.to_stored_event_for(e, queue.tenant_id, None, {})[0]
              for e in queue.collect_events()]
    loaded: Any = keys.to_domain_event(stored[0]).mutate(None)  # type: ignore[attr-defined]
    assert loaded.service_level == level and loaded.settings().service_level == level
    assert flat_state(Queue.QueueCreated, keys.decode_state(stored[0]))["max_hold_seconds"] \
        == 240
