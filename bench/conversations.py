"""(f) Conversations: the overhead of an AI reply without the model — loading the conversation
(200 messages), tenant settings, knowledge retrieval over 1,000 passages, building the prompt
within the token budget, and storing the reply (one command) — with an instant in-memory model;
and the throughput of signed Twilio inbound webhooks against `frontdesk serve`."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ["whitening", "implants", "braces", "cleaning", "veneers", "crowns", "fillings",
          "x-rays", "insurance", "parking", "payment", "hours", "emergencies", "children",
          "sedation", "aftercare", "pricing", "retainers", "gum", "root canal"]


class InstantModel:
    """A model that answers at once: what is measured is everything around the model."""

    def stream(self, prompt: Any) -> Iterator[Any]:
        from application.conversations.ports import Delta, Finished

        yield Delta("Whitening costs 300 EUR and takes one hour.")
        yield Finished("bench", "instant", 100, 10, confidence=1.0)


def _knowledge(container: Any, ctx: Any, passages: int) -> None:
    from adapters.projections.runner import ProjectionRunner
    from application.knowledge import AddKnowledge
    from application.projections.knowledge import KnowledgeProjection

    bus = container.bus()
    per_document = 10
    for n in range(passages // per_document):
        topic = TOPICS[n % len(TOPICS)]
        text = "\n\n".join(
            f"About {topic} (part {n}.{k}): our clinic offers {topic} with care; the price of "
            f"{topic} option {k} is {100 + 10 * k} EUR and an appointment takes {k + 1} hours."
            for k in range(per_document))
        bus.execute(AddKnowledge(f"{topic.title()} {n}", text), ctx)
    ProjectionRunner(KnowledgeProjection(), container.worker_pool(),
                     container.worker_mapper()).catch_up()
    # The default retriever reads the memory index (issue 6): embed the passages there too.
    memories = next(p for p in container.projections() if p.name == "memories")
    ProjectionRunner(memories, container.worker_pool(), container.worker_mapper()).catch_up()


def _conversation(container: Any, ctx: Any, messages: int) -> Any:
    from application.contacts.commands import RegisterContact
    from application.conversations.commands import PostMessage, StartConversation

    bus = container.bus()
    contact = bus.execute(RegisterContact(
        name="Bench", email=f"{uuid.uuid4().hex}@bench.example", phone=None), ctx).result
    conversation = bus.execute(StartConversation(contact.id, "webchat"), ctx).result
    for n in range(messages - 1):
        bus.execute(PostMessage(
            conversation.id, None, "customer",
            f"Message {n}: I would like to know more about {TOPICS[n % len(TOPICS)]} and the "
            f"price, and whether you have an appointment next week."), ctx)
    bus.execute(PostMessage(
        conversation.id, None, "customer", "How much is teeth whitening and how long is it?"),
        ctx)
    return conversation.id


def reply_overhead(container: Any, tenant_id: uuid.UUID, *, messages: int = 200,
                   passages: int = 1000, samples: int = 100) -> dict[str, float]:
    from application.conversations.assistant import AiAssistant, ReplyStored
    from application.ports import CommandContext

    ctx = CommandContext(tenant_id=tenant_id, actor="bench")
    c = container.conversations
    c.assistant_settings().save(tenant_id, {"max_ai_turns": 100,
                                            "context_token_budget": 4000})
    _knowledge(container, ctx, passages)
    assistant = AiAssistant(container.unit_of_work(), container.bus(), InstantModel(),
                            c.context(), c.assistant_settings())
    timings: list[float] = []
    per_conversation = 50
    for _ in range(samples // per_conversation):
        conversation = _conversation(container, ctx, messages)
        for _ in range(per_conversation):
            started = time.perf_counter()
            outcome = list(assistant.reply(ctx, conversation))
            timings.append((time.perf_counter() - started) * 1000)
            assert isinstance(outcome[-1], ReplyStored) and outcome[-1].delivered
            assert outcome[-1].provenance.passages, "knowledge was retrieved"
    return {"p50_ms": percentile(timings, 50), "p95_ms": percentile(timings, 95),
            "p99_ms": percentile(timings, 99), "samples": float(len(timings))}


def webhook_throughput(owner_url: str, *, seconds: float = 8.0, clients: int = 8,
                       workers: int = 2, senders: int = 200) -> dict[str, Any]:
    from twilio.request_validator import RequestValidator

    from bench.http_load import ADMIN, free_port, start_server, stop_process

    token, public = "bench-twilio-token", "https://frontdesk.bench.example"
    port = free_port()
    log = ROOT / ".data" / "bench-webhooks.log"
    # As the other HTTP benches (rate limits lifted: one loopback IP sends what Twilio would
    # send from many), with Twilio's credentials and the public URL it signs.
    server = start_server(owner_url, port, workers, log, extra_env={
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": token,
        "FRONTDESK_PUBLIC_URL": public, "FRONTDESK_LOG_LEVEL": "WARNING"})
    base = f"http://127.0.0.1:{port}"
    try:
        slug = f"hooks-{uuid.uuid4().hex[:8]}"
        httpx.post(f"{base}/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"},
                   json={"name": "Hooks", "slug": slug, "admin_email": f"a@{slug}.example",
                         "admin_password": "bench password 123"}).raise_for_status()
        path = f"/v1/webhooks/twilio/{slug}/messages"
        validator = RequestValidator(token)
        numbers = [f"+3461{1000000 + n}" for n in range(senders)]
        latencies: list[float] = []
        errors = [0]
        first_error: list[str] = []
        stop = threading.Event()
        lock = threading.Lock()

        def client(k: int) -> None:
            n = k
            with httpx.Client(base_url=base, timeout=10) as http:
                while not stop.is_set():
                    form = {"From": numbers[n % senders], "To": "+15005550006",
                            "Body": f"message {n} from client {k}",
                            "MessageSid": "SM" + uuid.uuid4().hex, "NumMedia": "0"}
                    signature = validator.compute_signature(public + path, form)
                    started = time.perf_counter()
                    response = http.post(path, content=urlencode(form), headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": signature})
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        if response.status_code == 200:
                            latencies.append(elapsed)
                        else:
                            errors[0] += 1
                            if not first_error:
                                first_error.append(f"{response.status_code} {response.text[:200]}")
                    n += clients

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        stop_process(server)
    return {"rps": len(latencies) / seconds, "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95), "errors": float(errors[0]),
            "requests": float(len(latencies)), "first_error": (first_error or [""])[0]}
