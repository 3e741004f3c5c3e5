"""Message bodies sealed per message (ADR 0086): the aggregate decides which bodies go, and the
mapper seals each body under its contact's key combined with the message's own, so destroying
either makes it unreadable while the other messages still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from adapters.crypto.keys import NewDataKey
from adapters.eventstore.mapper import ERASED, PersonalDataMapper
from adapters.eventstore.transcoding import frontdesk_transcoder
from domain.conversations import Channel, Conversation, Delivery, HandoffRules

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RULES = HandoffRules(keywords=(), max_ai_turns=2, min_confidence=0.4)


class Keys:
    """A stateful data-key store: one random key per subject, destroyable."""

    def __init__(self) -> None:
        self.held: dict[UUID, bytes | None] = {}

    def key_for_write(self, tenant_id: UUID, subject_id: UUID, *,
                      new_subject: bool = False) -> tuple[bytes, NewDataKey | None]:
        key = self.held.get(subject_id)
        if key is not None:
            return key, None
        key = uuid4().bytes + uuid4().bytes
        self.held[subject_id] = key
        return key, NewDataKey(tenant_id, subject_id, "k1", b"wrapped")

    def key_for_read(self, tenant_id: UUID | None, subject_id: UUID) -> bytes | None:
        return self.held.get(subject_id)


def conversation(channel: Channel = Channel.WEBCHAT) -> Conversation:
    return Conversation.start(conversation_id=uuid4(), tenant_id=uuid4(), actor="test", at=T0,
                              contact_id=uuid4(), channel=channel)


def test_only_old_bodies_not_deleted_or_waiting_in_the_outbox_are_deleted() -> None:
    chat = conversation(Channel.SMS)
    first, second, queued, recent = uuid4(), uuid4(), uuid4(), uuid4()
    chat.receive(actor="c", at=T0, message_id=first, body="old one", external_id=None,
                 rules=RULES)
    chat.receive(actor="c", at=T0, message_id=second, body="old two", external_id=None,
                 rules=RULES)
    chat.send_system_message(actor="s", at=T0, message_id=queued, body="still queued")
    chat.receive(actor="c", at=T0 + timedelta(days=90), message_id=recent, body="recent",
                 external_id=None, rules=RULES)
    assert chat.message(queued).delivery is Delivery.QUEUED
    versions = {e.message_id: e.originator_version  # type: ignore[attr-defined]
                for e in chat.pending_events if hasattr(e, "message_id")}
    cutoff = T0 + timedelta(days=30)
    everyone = [first, second, queued, recent, uuid4()]
    assert chat.delete_message_bodies(actor="r", at=cutoff, before=cutoff,
                                      message_ids=everyone) == [first, second]
    deleted = chat.pending_events[-1]
    assert type(deleted) is Conversation.MessageBodiesDeleted
    assert deleted.message_versions == [versions[first], versions[second]]  # type: ignore[attr-defined]
    assert [chat.message(m).body for m in (first, second, queued, recent)] == [
        "[erased]", "[erased]", "still queued", "recent"]
    assert chat.message(first).at == T0 and chat.message(first).author == "customer"
    count = len(chat.pending_events)
    assert chat.delete_message_bodies(actor="r", at=cutoff, before=cutoff,
                                      message_ids=everyone) == []
    assert len(chat.pending_events) == count  # nothing left to delete: nothing recorded


def test_a_body_reads_erased_once_its_own_or_its_contacts_key_is_destroyed() -> None:
    keys = Keys()
    mapper = PersonalDataMapper(frontdesk_transcoder(), keys)  # type: ignore[arg-type]
    chat = conversation()
    kept, gone = uuid4(), uuid4()
    chat.receive(actor="c", at=T0, message_id=kept, body="kept body", external_id=None,
                 rules=RULES, media_urls=("https://x.example/kept.png",))
    chat.receive(actor="c", at=T0, message_id=gone, body="gone body", external_id=None,
                 rules=RULES)
    new_keys: list[NewDataKey] = []
    pending: dict[UUID, bytes] = {}
    stored = [mapper.to_stored_event_for(e, chat.tenant_id, chat.subject_id, pending,
                                         new_keys)[0] for e in chat.collect_events()]
    assert {k.subject_id for k in new_keys} == {kept, gone}  # stored with the events
    sealed = json.loads(stored[1].state)["_pii"]
    assert (sealed["s"], sealed["m"]) == (chat.contact_id.hex, kept.hex)
    assert b"kept body" not in stored[1].state
    assert mapper.second_subjects((s.topic, s.state) for s in stored) == {kept, gone}

    def bodies() -> list[object]:
        return [vars(mapper.to_domain_event(s)).get("body") for s in stored[1:]]

    assert bodies() == ["kept body", "gone body"]
    keys.held[gone] = None  # the message's own key destroyed
    assert bodies() == ["kept body", ERASED]
    assert vars(mapper.to_domain_event(stored[1]))["media_urls"] == [
        "https://x.example/kept.png"]
    keys.held[gone] = pending[gone]
    keys.held[chat.contact_id] = None  # the contact erased: every body goes with it
    assert bodies() == [ERASED, ERASED]
