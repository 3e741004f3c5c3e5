"""The conversation read models as pure projections over events (in memory): messages in order
with AI provenance, ai_usage per provider and day, and erasure purging a contact's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from application.projections.ai_usage import AiUsageProjection
from application.projections.conversations import ConversationsProjection
from application.projections.memory import MemoryRows
from domain.contacts import Contact
from domain.conversations import AiProvenance, Channel, Conversation, HandoffRules
from domain.shared import Email

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_messages_provenance_usage_and_erasure() -> None:
    tenant = uuid4()
    contact = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                               name="Ana", email=Email("ana@example.com"), phone=None)
    conversation = Conversation.start(conversation_id=uuid4(), tenant_id=tenant, actor="t",
                                      at=T0, contact_id=contact.id, channel=Channel.WEBCHAT)
    conversation.receive(actor="c", at=T0, message_id=uuid4(), body="Price?", external_id=None,
                         rules=HandoffRules())
    conversation.record_ai_reply(
        actor="a", at=T0, message_id=uuid4(), body="300 EUR", rules=HandoffRules(),
        provenance=AiProvenance("openai", "gpt-4o-mini", 40, 5, 800, 9, 1.0, ("d#1",), (),
                                (), "v1", 2))
    rows = MemoryRows()
    projections = [ConversationsProjection(), AiUsageProjection()]
    events = [*contact.collect_events(), *conversation.collect_events()]
    for event in events:
        for projection in projections:
            projection.apply(event, rows)
    [view] = rows.rows("conversations")
    assert (view["status"], view["message_count"], view["ai_turns"]) == ("ai_handling", 2, 1)
    messages = sorted(rows.rows("conversation_messages"), key=lambda m: m["sequence"])
    assert [m["body"] for m in messages] == ["Price?", "300 EUR"]
    assert messages[1]["ai"]["passages"] == ["d#1"] and messages[1]["ai"]["cost_micros"] == 9
    [usage] = rows.rows("ai_usage")
    assert (usage["day"], usage["provider"], usage["tokens_in"], usage["cost_micros"]) == (
        date(2026, 3, 1), "openai", 40, 9)
    contact.erase(actor="t", at=T0, reason="art. 17")
    for event in contact.collect_events():
        projections[0].apply(event, rows)
    assert rows.rows("conversations") == [] and rows.rows("conversation_messages") == []
