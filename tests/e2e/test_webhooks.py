"""Twilio and inbound-email webhooks over HTTP, signed the way the vendors sign them (the twilio
SDK's RequestValidator on FRONTDESK_PUBLIC_URL + path), and the outbox sending through the twilio
SDK to a fake Twilio API and through smtplib to a local SMTP sink."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from adapters.messaging.email_signature import email_signature
from tests.conftest import TenantSession, provision
from tests.conversation_fixtures import EMAIL_SECRET, PUBLIC_URL, TWILIO_TOKEN, drain_outbox
from tests.vendors import FakeTwilio, SmtpSink

OUR_NUMBER = "+15005550006"


def twilio_post(session: TenantSession, path: str, form: dict[str, str], *,
                signature: str | None = "sign") -> Any:
    """POST a form the way Twilio does, signed on the public URL (query string included)."""
    if signature == "sign":
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + path, form)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return session.client.post(path, content=urlencode(form), headers=headers)


def sms(session: TenantSession, sender: str, body: str, sid: str | None = None,
        **extra: str) -> Any:
    form = {"From": sender, "To": OUR_NUMBER, "Body": body, "NumMedia": "0",
            "MessageSid": sid or "SM" + uuid.uuid4().hex, "SmsStatus": "received", **extra}
    return twilio_post(session, f"/v1/webhooks/twilio/{session.slug}/messages", form)


def conversations(session: TenantSession, position: str, **params: str) -> list[Any]:
    return session.read("/v1/conversations", position, params=params).json()["items"]


def phone() -> str:
    return "+3461" + str(uuid.uuid4().int)[:7]


def test_an_sms_starts_a_conversation_and_a_retry_is_ignored(desk: TenantSession) -> None:
    number = phone()
    first = sms(desk, number, "Hi, do you do whitening?", sid="SM-retry-1")
    assert first.status_code == 200 and first.text.startswith("<?xml")
    again = sms(desk, number, "Hi, do you do whitening?", sid="SM-retry-1")
    assert again.status_code == 200
    later = sms(desk, number, "And the price?")
    [conversation] = conversations(desk, later.headers["x-frontdesk-position"])
    assert (conversation["channel"], conversation["message_count"]) == ("sms", 2)
    view = desk.get(f"/v1/conversations/{conversation['id']}").json()
    assert [m["body"] for m in view["messages"]] == ["Hi, do you do whitening?",
                                                     "And the price?"]
    assert view["messages"][0]["external_id"] == "SM-retry-1"
    leads = desk.read("/v1/leads", later.headers["x-frontdesk-position"],
                      params={"source": "sms"}).json()["items"]
    assert [lead["phone"] for lead in leads] == [number]


def test_a_bad_or_missing_signature_is_403_and_stores_nothing(desk: TenantSession) -> None:
    path = f"/v1/webhooks/twilio/{desk.slug}/messages"
    form = {"From": phone(), "To": OUR_NUMBER, "Body": "hi", "MessageSid": "SM-forged"}
    forged = twilio_post(desk, path, form, signature="bm90IGEgc2lnbmF0dXJl")
    missing = twilio_post(desk, path, form, signature=None)
    other_url = RequestValidator(TWILIO_TOKEN).compute_signature(
        "https://elsewhere.example" + path, form)
    wrong_url = twilio_post(desk, path, form, signature=other_url)
    for response in (forged, missing, wrong_url):
        assert response.status_code == 403
        assert response.json()["type"].endswith("/bad-signature")
    voice = twilio_post(desk, f"/v1/webhooks/twilio/{desk.slug}/voice-status",
                        {"CallSid": "CA1", "CallStatus": "completed", "From": phone()},
                        signature="forged")
    assert voice.status_code == 403
    valid = sms(desk, phone(), "a real one")
    found = conversations(desk, valid.headers["x-frontdesk-position"])
    assert len(found) == 1  # only the signed message exists
    unknown = twilio_post(desk, "/v1/webhooks/twilio/no-such-tenant/messages", form)
    assert unknown.status_code == 404


def test_stop_opts_out_and_an_agent_reply_then_refuses(desk: TenantSession) -> None:
    number = phone()
    sms(desk, number, "Hello")
    stop = sms(desk, number, "STOP")
    [conversation] = conversations(desk, stop.headers["x-frontdesk-position"])
    contact = desk.read(f"/v1/contacts/{conversation['contact_id']}",
                        stop.headers["x-frontdesk-position"]).json()
    assert contact["consents"] == {"sms": False}
    refused = desk.post(f"/v1/conversations/{conversation['id']}/messages",
                        json={"author": "agent", "body": "Sorry to see you go"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("/opted-out")
    start = sms(desk, number, "START")
    contact = desk.read(f"/v1/contacts/{conversation['contact_id']}",
                        start.headers["x-frontdesk-position"]).json()
    assert contact["consents"] == {"sms": True}


def test_an_agent_sms_goes_out_once_through_twilio_and_status_callbacks_land(
        desk: TenantSession, vendor_container: Any, fake_twilio: FakeTwilio) -> None:
    number = phone()
    sms(desk, number, "Can someone call me?")
    [conversation] = conversations(desk, sms(desk, number, "Please").headers[
        "x-frontdesk-position"])
    path = f"/v1/conversations/{conversation['id']}"
    body = f"We will call you today ({uuid.uuid4().hex[:6]})"
    queued = desk.post(f"{path}/messages", json={"author": "agent", "body": body}).json()
    assert queued["messages"][-1]["delivery"] == "queued"
    drain_outbox(vendor_container)
    drain_outbox(vendor_container)  # a second pass sends nothing more
    sent = [m for m in fake_twilio.messages if m.body == body]
    assert len(sent) == 1
    assert (sent[0].to, sent[0].sender) == (number, OUR_NUMBER)
    callback = urlsplit(sent[0].status_callback or "")
    assert callback.path == f"/v1/webhooks/twilio/{desk.slug}/messages"
    status = twilio_post(desk, f"{callback.path}?{callback.query}",
                         {"MessageSid": sent[0].sid, "MessageStatus": "delivered",
                          "To": number, "From": OUR_NUMBER})
    assert status.status_code == 200
    view = desk.read(path, status.headers["x-frontdesk-position"]).json()
    message = view["messages"][-1]
    assert (message["delivery"], message["external_id"]) == ("delivered", sent[0].sid)
    types = [e["type"] for e in desk.get(f"{path}/events").json()["items"]]
    assert types[-3:] == ["MessageDispatchAttempted", "MessageDeliveryUpdated",
                          "MessageDeliveryUpdated"]


def test_voice_status_callbacks_record_the_call(desk: TenantSession) -> None:
    number, path = phone(), f"/v1/webhooks/twilio/{desk.slug}/voice-status"
    call = {"CallSid": "CA" + uuid.uuid4().hex, "From": number, "To": OUR_NUMBER,
            "Direction": "inbound"}
    assert twilio_post(desk, path, {**call, "CallStatus": "ringing"}).status_code == 200
    twilio_post(desk, path, {**call, "CallStatus": "in-progress"})
    done = twilio_post(desk, path, {**call, "CallStatus": "completed", "CallDuration": "42",
                                    "RecordingUrl": "https://api.twilio.com/rec/RE1"})
    twilio_post(desk, path, {**call, "CallStatus": "completed", "CallDuration": "42"})
    [conversation] = conversations(desk, done.headers["x-frontdesk-position"], channel="voice")
    events = desk.get(f"/v1/conversations/{conversation['id']}/events").json()["items"]
    calls = [e["data"] for e in events if e["type"] == "CallRecorded"]
    assert [c["status"] for c in calls] == ["ringing", "in-progress", "completed"]
    assert calls[-1]["answered"] is True and calls[-1]["duration_seconds"] == 42
    assert calls[-1]["recording_url"] == "https://api.twilio.com/rec/RE1"


def raw_email(sender: str, message_id: str, body: str, *, subject: str = "Whitening",
              in_reply_to: str | None = None) -> bytes:
    headers = [f"From: Ana Ruiz <{sender}>", "To: hello@bright.example",
               f"Subject: {subject}", f"Message-ID: <{message_id}>",
               "Date: Sun, 01 Mar 2026 09:00:00 +0000", "MIME-Version: 1.0",
               "Content-Type: text/plain; charset=utf-8"]
    if in_reply_to:
        headers += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def email_post(session: TenantSession, raw: bytes, *, secret: str = EMAIL_SECRET,
               signed_for: str | None = None, age: int = 0) -> Any:
    """POST raw MIME as the relay does (README, "Inbound email"): signed over the timestamp,
    the tenant's slug (``signed_for``, by default the one posted to) and the body."""
    timestamp = int(time.time()) - age
    signature = email_signature(secret, timestamp, signed_for or session.slug, raw)
    return session.client.post(f"/v1/webhooks/email/{session.slug}", content=raw,
                               headers={"Content-Type": "message/rfc822",
                                        "X-Frontdesk-Timestamp": str(timestamp),
                                        "X-Frontdesk-Signature": signature})


def test_email_makes_a_contact_and_lead_threads_replies_and_answers_over_smtp(
        desk: TenantSession, vendor_container: Any, smtp_sink: SmtpSink) -> None:
    sender = f"ana-{uuid.uuid4().hex[:6]}@example.com"
    first_id = f"{uuid.uuid4().hex}@mail.example.com"
    first = email_post(desk, raw_email(sender, first_id, "How much is whitening?"))
    assert first.status_code == 202, first.text
    assert first.json()["contact_created"] and first.json()["conversation_started"]
    conversation = first.json()["conversation_id"]
    assert email_post(desk, raw_email(sender, first_id, "How much is whitening?")).json()[
        "duplicate"] is True
    leads = desk.read("/v1/leads", first.headers["x-frontdesk-position"],
                      params={"source": "email"}).json()["items"]
    assert [lead["email"] for lead in leads] == [sender]
    reply = desk.post(f"/v1/conversations/{conversation}/messages",
                      json={"author": "agent", "body": "It is 300 EUR."})
    assert reply.status_code == 200
    drain_outbox(vendor_container)
    [mail] = [m for m in smtp_sink.messages if m["To"] == sender]
    assert mail["In-Reply-To"] == f"<{first_id}>" and mail["Subject"] == "Re: Whitening"
    assert mail.get_content().strip() == "It is 300 EUR."
    ours = mail["Message-ID"].strip("<>")
    answer = email_post(desk, raw_email(
        sender, f"{uuid.uuid4().hex}@mail.example.com",
        "Great, book me in.\n\nOn Sun, 1 Mar 2026 Bright Smile wrote:\n> It is 300 EUR.",
        subject="Re: Whitening", in_reply_to=ours))
    assert answer.json()["conversation_id"] == conversation
    assert not answer.json()["contact_created"]
    view = desk.read(f"/v1/conversations/{conversation}",
                     answer.headers["x-frontdesk-position"]).json()
    assert [m["body"] for m in view["messages"]] == ["How much is whitening?", "It is 300 EUR.",
                                                     "Great, book me in."]


def test_an_unsigned_or_malformed_email_is_refused(desk: TenantSession) -> None:
    raw = raw_email("x@example.com", "id-1@example.com", "hi")
    assert email_post(desk, raw, secret="wrong").status_code == 403
    garbage = email_post(desk, b"this is not an email")
    assert garbage.status_code == 400
    assert garbage.json()["type"].endswith("/malformed-email")


def _is_new(session: TenantSession, raw: bytes, secret: str = EMAIL_SECRET) -> bool:
    """Stored nothing before: the same message, signed right, now starts a contact."""
    accepted = email_post(session, raw, secret=secret)
    assert accepted.status_code == 202, accepted.text
    return bool(accepted.json()["contact_created"]) and not accepted.json()["duplicate"]


def _refused(answer: Any) -> str:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith("/bad-signature")
    return str(answer.json()["detail"])


def _email(tag: str) -> bytes:
    return raw_email(f"{tag}-{uuid.uuid4().hex[:6]}@example.com",
                     f"{uuid.uuid4().hex}@mail.example.com", "Do you open on Saturdays?")


def test_an_email_signed_outside_five_minutes_is_refused_and_stores_nothing(
        desk: TenantSession) -> None:
    raw = _email("late")
    assert "Timestamp" in _refused(email_post(desk, raw, age=301))
    assert "Timestamp" in _refused(email_post(desk, raw, age=-301))  # from the future
    unstamped = desk.client.post(f"/v1/webhooks/email/{desk.slug}", content=raw, headers={
        "Content-Type": "message/rfc822",
        "X-Frontdesk-Signature": email_signature(EMAIL_SECRET, "", desk.slug, raw)})
    assert "Timestamp" in _refused(unstamped)
    assert _is_new(desk, raw)


def test_a_signature_made_for_another_tenant_is_refused_and_stores_nothing(
        vendor_client: Any) -> None:
    first, second = provision(vendor_client), provision(vendor_client)
    raw = _email("moved")
    assert "Signature" in _refused(email_post(second, raw, signed_for=first.slug))
    assert _is_new(second, raw)


def test_a_tenants_own_secret_verifies_its_email_only_and_rotation_retires_the_old(
        vendor_client: Any, vendor_container: Any) -> None:
    first, second = provision(vendor_client), provision(vendor_client)
    assert first.get("/v1/inbound-email-secret").json() == {"source": "environment",
                                                            "rotated_at": None}
    rotated = first.post("/v1/inbound-email-secret")
    assert rotated.status_code == 201, rotated.text
    own = rotated.json()["secret"]
    assert own.startswith("fdes_") and own != EMAIL_SECRET
    status = first.get("/v1/inbound-email-secret").json()
    assert status["source"] == "tenant" and own not in str(status)
    raw = _email("own")
    _refused(email_post(first, raw))  # the service-wide secret no longer speaks for it
    _refused(email_post(second, raw, secret=own))  # nor does its secret for another tenant
    assert _is_new(first, raw, secret=own)
    assert _is_new(second, _email("env"))  # the other keeps the service-wide one
    newer = first.post("/v1/inbound-email-secret").json()["secret"]
    later = _email("rotated")
    _refused(email_post(first, later, secret=own))
    assert _is_new(first, later, secret=newer)
    entries = first.get("/v1/audit", params={"action": "email_secret.rotated"}).json()["items"]
    assert len(entries) == 2 and newer not in str(entries) and own not in str(entries)
    assert second.get("/v1/audit", params={"action": "email_secret.rotated"}).json()[
        "items"] == []
    from adapters.eventstore.tenancy import fetch_as_tenant

    with vendor_container.app_pool().connection() as conn:  # RLS: the other tenant sees none
        assert fetch_as_tenant(conn, uuid.UUID(second.id),
                               "SELECT tenant_id FROM inbound_email_secrets") == []
        [row] = fetch_as_tenant(conn, uuid.UUID(first.id),
                                "SELECT wrapped_secret FROM inbound_email_secrets")
    sealed = bytes(row["wrapped_secret"])
    assert newer.encode() not in sealed and len(sealed) == 40  # 32 bytes wrapped (RFC 3394)


def test_auto_reply_answers_an_sms_once_and_the_outbox_sends_it(
        desk: TenantSession, vendor_container: Any, fake_twilio: FakeTwilio) -> None:
    from tests.vendors import FakeOpenAI

    settings = desk.client.put("/v1/assistant/settings", headers=desk.headers, json={
        "persona": "You are Sonia, the receptionist.", "auto_reply": True,
        "handoff_keywords": ["complaint"], "max_ai_turns": 3})
    assert settings.status_code == 200, settings.text
    assert desk.get("/v1/assistant/settings").json()["auto_reply"] is True
    number = phone()
    received = sms(desk, number, "How much is whitening?")
    drain_outbox(vendor_container)
    drain_outbox(vendor_container)  # a replay answers nothing twice
    sent = [m for m in fake_twilio.messages if m.to == number]
    assert [m.body for m in sent] == [FakeOpenAI.reply]
    [conversation] = conversations(desk, received.headers["x-frontdesk-position"])
    events = desk.get(f"/v1/conversations/{conversation['id']}/events").json()["items"]
    replies = [e for e in events if e["type"] == "AiReplyGenerated"]
    assert len(replies) == 1 and replies[0]["actor"] == "system:auto-reply"
    complaint = sms(desk, number, "I have a complaint")  # a tenant keyword: hand-off
    drain_outbox(vendor_container)
    view = desk.read(f"/v1/conversations/{conversation['id']}",
                     complaint.headers["x-frontdesk-position"]).json()
    assert (view["status"], view["handoff_reason"]) == ("waiting_for_agent", "keyword")
    assert len([m for m in fake_twilio.messages if m.to == number]) == 1


def test_whatsapp_messages_arrive_and_leave_with_the_whatsapp_prefix(
        desk: TenantSession, vendor_container: Any, fake_twilio: FakeTwilio) -> None:
    number = phone()
    received = sms(desk, f"whatsapp:{number}", "Hola, ¿abrís el sábado?",
                   To=f"whatsapp:{OUR_NUMBER}")
    [conversation] = conversations(desk, received.headers["x-frontdesk-position"])
    assert conversation["channel"] == "whatsapp"
    body = f"No, solo de lunes a viernes ({uuid.uuid4().hex[:6]})"
    desk.post(f"/v1/conversations/{conversation['id']}/messages",
              json={"author": "agent", "body": body})
    drain_outbox(vendor_container)
    [sent] = [m for m in fake_twilio.messages if m.body == body]
    assert (sent.to, sent.sender) == (f"whatsapp:{number}", f"whatsapp:{OUR_NUMBER}")


def test_a_kek_rotation_rewraps_a_tenants_email_secret_and_it_still_verifies(
        vendor_client: Any, vendor_container: Any) -> None:
    import base64
    import os

    from adapters.crypto.keys import KeyEncryptionKeys
    from adapters.crypto.rotation import rotate_data_keys
    from adapters.identity.email_secrets import PostgresEmailSecrets

    desk = provision(vendor_client)
    secret = desk.post("/v1/inbound-email-secret").json()["secret"]
    old = vendor_container.keks()
    new_key = base64.b64encode(os.urandom(32)).decode()
    both = KeyEncryptionKeys.parse(f"k-new:{new_key}," + ",".join(
        f"{kek_id}:{base64.b64encode(key).decode()}" for kek_id, key in old._keys.items()))
    report = rotate_data_keys(vendor_container.worker_pool(), both, tenant_id=uuid.UUID(desk.id))
    assert report.email_secrets == 1
    only_new = KeyEncryptionKeys.parse(f"k-new:{new_key}")
    store = PostgresEmailSecrets(vendor_container.app_pool(), only_new)
    assert store.secret_of(uuid.UUID(desk.id)) == secret
