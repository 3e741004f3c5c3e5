"""``frontdesk demo``: seed a realistic demo tenant end to end, through the application layer.

Three weeks of a dental clinic's history are played as *stories* (a lead's path to a paid
case, a conversation on one channel, a call in a queue, an agent's day) on a clock that the
demo moves: every command goes through the command bus and the handlers the API uses, at the
moment the clock shows (ADR 0074). Stories are generators that yield how long to wait before
their next step; a scheduler runs the steps of every story in time order, so each aggregate,
agent and queue sees its history in the order it happened.

Idempotent: every command carries an Idempotency-Key named after its step, so a second run
(or a run after an interruption) replays stored answers and appends nothing; the AI replies,
which the assistant stores itself, are skipped when the conversation was answered already;
the last step creates the analyst user, and a tenant that has it is left as it is.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

import typer
from dependency_injector import providers
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.clock import ManualClock
from adapters.payments.stripe_gateway import CASE_KEY, INVOICE_KEY, TENANT_KEY
from adapters.payments.stripe_webhooks import Ignored, StripeWebhooks
from application.bus import Executed, Idempotency
from application.cases.commands import (
    AcceptQuote,
    CompleteCase,
    IssueInvoice,
    IssueQuote,
    QuoteLine,
    RecordPayment,
    RefundPayment,
)
from application.cases.opening import ACTOR as CASE_OPENER
from application.cases.opening import OpenCaseForConvertedLead
from application.contact_center.commands import (
    AcceptTask,
    AddDisposition,
    ChangeAgentStatus,
    CompleteTask,
    CreateQueue,
    CreateScript,
    CreateTask,
    CreateTaskFromSource,
    EscalateTask,
    QueueFields,
    RecordTaskCsat,
    RegisterAgent,
    ReserveTask,
    StartWrapUp,
)
from application.contact_center.dispatcher import ACTOR as DISPATCHER
from application.contact_center.timers import ACTOR as CONTACT_CENTER_CLOCK
from application.conversations.commands import (
    HandOff,
    JoinConversation,
    PostMessage,
    ReceiveInbound,
    RecordCall,
    RecordSurvey,
    ResolveConversation,
    StartConversation,
)
from application.identity import ProvisionTenant
from application.identity.access import CreateUser, Origin
from application.knowledge.handlers import AddKnowledge
from application.leads.commands import (
    AssignLead,
    CaptureLead,
    ConvertLead,
    LoseLead,
    QualifyLead,
    RecordLeadContact,
    ScoreLead,
)
from application.ports import CommandContext, StoredResponse
from domain.conversations import AI_MAY_ANSWER, Conversation, Direction
from domain.shared import DomainError
from entrypoints.cli import demo_data as data
from entrypoints.cli.boot import build_container, console, prepare_database
from entrypoints.container import Container

log = logging.getLogger("frontdesk.demo")
NAMESPACE = UUID("6f0c1a52-3f1e-4c55-9a55-5e6d656d6f00")
SEEDER = "system:demo"
STRIPE_ACTOR = "system:stripe-webhook"
HANDOFF_ACTOR = "system:handoff-tasks"
DAY = timedelta(days=1)
Story = Iterator[timedelta]


def demo_password(slug: str) -> str:
    """The demo admin's password: derived from the slug, so every run prints the same login.
    A demo tenant holds made-up people only."""
    return f"demo-{slug}-smile"


def admin_email(slug: str) -> str:
    return f"owner@{slug}.example"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | datetime | date):
        return str(value)
    return value if isinstance(value, str | int | float | bool) or value is None else None


def summary(result: Any) -> dict[str, Any]:
    """What later steps need of a command's result, as stored with its Idempotency-Key."""
    if isinstance(result, tuple):
        result = result[0]
    out: dict[str, Any] = {}
    for nested in ("lead", "case"):
        inner = getattr(result, nested, None)
        if inner is not None and hasattr(inner, "id"):
            out.update(summary(inner))
    for name in ("id", "contact_id", "case_id", "status", "version", "reserved_for",
                 "payment_id", "conversation_id", "agent_id"):
        value = getattr(result, name, None)
        if value is not None and _plain(value) is not None:
            out[name] = _plain(value)
    return out


@dataclass
class Counts:
    leads: int = 0
    converted: int = 0
    lost: int = 0
    cases: int = 0
    payments: int = 0
    stripe_payments: int = 0
    refunds: int = 0
    conversations: dict[str, int] = field(default_factory=dict)
    ai_replies: int = 0
    handoffs: int = 0
    tasks: int = 0
    sla_breaches: int = 0
    knowledge: int = 0
    refused: int = 0


class DemoSeed:
    """Plays the demo's stories through the bus of ``container``, whose clock is ``clock``."""

    def __init__(self, container: Container, clock: ManualClock, slug: str, *,
                 scale: float = 1.0, seed: int = data.SEED,
                 on_progress: Callable[[float], None] | None = None) -> None:
        self.c, self.clock, self.slug, self.scale = container, clock, slug, scale
        self.rng = random.Random(seed)
        self.on_progress = on_progress or (lambda _: None)
        self.counts = Counts()
        self.position = ""
        self.start = self.end = clock.now()
        self.tenant_id = UUID(int=0)
        self.admin_actor = SEEDER
        self.queues: dict[str, UUID] = {}
        self.agents: dict[str, UUID] = {}
        self.busy_until: dict[UUID, datetime] = {}
        self.available: set[UUID] = set()
        self.contacts: list[tuple[UUID, str]] = []  # (contact id, phone)
        self._numbers = 0

    # -- the bus -------------------------------------------------------------------------------

    def run(self, key: str, command: Any, actor: str | None = None) -> dict[str, Any] | None:
        """Execute ``command`` with the Idempotency-Key ``demo:<key>``; the stored summary of
        its result, or None when a domain rule refused it (counted, logged)."""
        ctx = CommandContext(self.tenant_id, actor or self.admin_actor)
        idempotency: Idempotency[Any] = Idempotency(f"demo:{key}", key, lambda r: StoredResponse(
            200, json.dumps(summary(r)).encode()))
        try:
            outcome = self.c.bus().execute(command, ctx, idempotency)
        except DomainError as refused:
            self.counts.refused += 1
            log.warning("demo step %s refused: %s", key, refused)
            return None
        self.position = outcome.position
        if isinstance(outcome, Executed):
            return summary(outcome.result)
        stored: dict[str, Any] = json.loads(outcome.response.body)
        return stored

    def settle(self, *names: str) -> None:
        """Wait until the read models that the next command consults have read our writes
        (routing reads the supervisor view, hand-offs find their queue there)."""
        if self.position:
            self.c.consistency().wait_for(self.position, list(names or ["supervisor_overview"]),
                                          timeout=15)

    def uid(self, key: str) -> UUID:
        return uuid5(NAMESPACE, f"{self.tenant_id}:{key}")

    def phone(self) -> str:
        self._numbers += 1
        return f"+34 611 {self._numbers // 1000:03d} {self._numbers % 1000:03d}"

    def person(self) -> tuple[str, str]:
        first, last = self.rng.choice(data.FIRST_NAMES), self.rng.choice(data.LAST_NAMES)
        self._numbers += 1
        return f"{first} {last}", f"{first}.{last}.{self._numbers}@example.com".lower()

    # -- the whole seed ----------------------------------------------------------------------

    def seed(self, today: datetime) -> bool:
        """Seed the tenant; False when it was seeded completely before (nothing is done)."""
        tenants, users = self.c.identity.tenants(), self.c.identity.users()
        record = tenants.by_slug(self.slug)
        if record is None:
            created = self.c.identity.provision_tenant()(ProvisionTenant(
                name=data.TENANT_NAME, slug=self.slug, admin_email=admin_email(self.slug),
                admin_password=demo_password(self.slug)))
            self.tenant_id, admin_id = created.id, created.admin_user_id
        else:
            self.tenant_id = record.id
            admin = tenants.user_by_email(record.id, admin_email(self.slug))
            if admin is None:
                raise SystemExit(f"tenant {self.slug} exists and was not made by the demo; "
                                 "choose another --tenant")
            admin_id = admin.id
            if tenants.user_by_email(record.id, self._analyst_email()) is not None:
                return False
        self.admin_actor = f"user:{admin_id}"
        self.start = today - data.DAYS * DAY
        self.end = today
        self.clock.set(self.start)
        self.c.conversations.assistant_settings().save(self.tenant_id, {
            **data.ASSISTANT, "senders": {"sms": "+34 910 000 111",
                                          "whatsapp": "whatsapp:+34 910 000 111",
                                          "email": f"hello@{self.slug}.example"}})
        self._setup(users)
        self.settle("supervisor_overview", "knowledge_passages", "contact_center_catalog")
        self._play()
        self.clock.set(self.end - timedelta(minutes=5))
        users.create(self.tenant_id, self.admin_actor, Origin(), CreateUser(
            email=self._analyst_email(), password=demo_password(self.slug),
            roles=("analyst",), display_name="Demo analyst"))
        return True

    def _analyst_email(self) -> str:
        return f"analyst@{self.slug}.example"

    def _setup(self, users: Any) -> None:
        for n, (title, text) in enumerate(data.KNOWLEDGE):
            if self.run(f"knowledge-{n}", AddKnowledge(title=title, text=text,
                                                       source="clinic handbook")):
                self.counts.knowledge += 1
        for code, label, description in data.TENANT_DISPOSITIONS:
            self.run(f"disposition-{code}", AddDisposition(code, label, description))
        for name, (skills, strategy, answer, percentage, hold, default_for) in \
                data.QUEUES.items():
            escalation = data.ESCALATIONS.get(name)
            made = self.run(f"queue-{name}", CreateQueue(QueueFields(
                name=name, required_skills=skills, strategy=strategy,
                target_answer_seconds=answer, target_percentage=percentage,
                max_hold_seconds=hold, default_for=default_for,
                escalation_queue_id=self.queues[escalation] if escalation else None)))
            assert made is not None, f"queue {name} was refused"
            self.queues[name] = UUID(made["id"])
        for name, steps in data.SCRIPTS.items():
            self.run(f"script-{name}", CreateScript(title=f"{name} call", steps=steps,
                                                    queue_id=self.queues[name]))
        tenants = self.c.identity.tenants()
        for name, (skills, capacity) in data.AGENTS.items():
            email = f"{name.split()[0].lower()}@{self.slug}.example"
            existing = tenants.user_by_email(self.tenant_id, email)
            user_id = existing.id if existing else users.create(
                self.tenant_id, self.admin_actor, Origin(), CreateUser(
                    email=email, password=demo_password(self.slug), roles=("agent",),
                    display_name=name)).id
            agent = self.run(f"agent-{name}", RegisterAgent(name=name, skills=skills,
                                                            capacity=capacity,
                                                            user_id=user_id))
            assert agent is not None, f"agent {name} was refused"
            self.agents[name] = UUID(agent["id"])
            self.busy_until[UUID(agent["id"])] = self.start

    # -- the scheduler -----------------------------------------------------------------------

    def _play(self) -> None:
        line: list[tuple[datetime, int, Story]] = []
        sequence = 0

        def plan(at: datetime, story: Story) -> None:
            nonlocal sequence
            sequence += 1
            heapq.heappush(line, (at, sequence, story))

        rng, per_day = self.rng, max(1, round(self.scale))
        leads = round(5 * self.scale)
        for day in range(data.DAYS):
            opening = self.start + day * DAY + timedelta(hours=8)
            for name in self.agents:
                plan(opening, self._agent_day(day, name))
            for n in range(leads):
                plan(opening + timedelta(minutes=rng.randint(10, 600)),
                     self._lead(f"lead-{day}-{n}"))
            for n in range(3 * per_day):
                channel = ("sms", "whatsapp", "voice", "webchat", "email")[(day * 3 + n) % 5]
                plan(opening + timedelta(minutes=rng.randint(15, 540)),
                     self._conversation(f"conv-{day}-{n}", channel))
            for n in range(4 * per_day):
                plan(opening + timedelta(minutes=rng.randint(20, 560)),
                     self._call(f"call-{day}-{n}"))
            if day % 7 == 2:
                plan(opening + timedelta(hours=3, minutes=rng.randint(0, 50)),
                     self._spanish_call(f"spanish-{day}"))
        while line:
            at, _, story = heapq.heappop(line)
            if at >= self.end:
                continue  # the story's future has not happened yet
            self.clock.set(at)
            self.on_progress((at - self.start) / (self.end - self.start))
            try:
                wait = next(story)
            except StopIteration:
                continue
            plan(at + wait, story)
        self.on_progress(1.0)

    # -- stories -----------------------------------------------------------------------------

    def _lead(self, key: str) -> Story:
        rng = self.rng
        source = rng.choices(list(data.SOURCES), [w for w, _, _ in data.SOURCES.values()])[0]
        _, campaigns, channel = data.SOURCES[source]
        name, email = self.person()
        phone = self.phone() if rng.random() < 0.7 else None
        captured = self.run(f"{key}:capture", CaptureLead(
            name=name, email=email, phone=phone, source=source, campaign=rng.choice(campaigns),
            channel=channel, notes=rng.choice(data.NOTES)))
        if captured is None:
            return
        self.counts.leads += 1
        lead_id = UUID(captured["id"])
        if phone:
            self.contacts.append((UUID(captured["contact_id"]), phone))
        fate = rng.random()
        yield timedelta(minutes=rng.randint(20, 240))
        agent = rng.choice(list(self.agents.values()))
        self.run(f"{key}:assign", AssignLead(lead_id, None, agent))
        if fate < 0.12:
            return  # still new, assigned
        self.run(f"{key}:contact", RecordLeadContact(
            lead_id, None, "phone" if phone else "email", "reached",
            "Explained the treatment options"), f"user:{agent}")
        self.run(f"{key}:score", ScoreLead(lead_id, None, rng.randint(35, 95),
                                           ["budget confirmed", "wants to start soon"]))
        if fate < 0.25:
            return  # contacted
        yield timedelta(hours=rng.randint(4, 30))
        if fate < 0.40:
            self.run(f"{key}:lose", LoseLead(lead_id, None, rng.choice(data.LOSS_REASONS)))
            self.counts.lost += 1
            return
        self.run(f"{key}:qualify", QualifyLead(lead_id, None, "Budget and timing confirmed"))
        if fate < 0.50:
            return  # qualified
        yield timedelta(hours=rng.randint(6, 48))
        converted = self.run(f"{key}:convert", ConvertLead(lead_id, None))
        if converted is None or not converted.get("case_id"):
            return
        self.counts.converted += 1
        case_id = UUID(converted["case_id"])
        # What the open-case-on-conversion policy does (ADR 0012): the same command, with the
        # lead's case id, so the policy finds the case open when it reads this conversion.
        self.run(f"{key}:open-case", OpenCaseForConvertedLead(lead_id, case_id,
                                                              self.clock.now()), CASE_OPENER)
        self.counts.cases += 1
        yield from self._case(key, case_id)

    def _case(self, key: str, case_id: UUID) -> Story:
        rng = self.rng
        _, lines = data.TREATMENTS[rng.choice(list(data.TREATMENTS))]
        total = sum(q * a for _, q, a in lines)
        today = self.clock.now().date()
        self.run(f"{key}:quote", IssueQuote(case_id, None, data.CURRENCY,
                                            [QuoteLine(d, q, a) for d, q, a in lines],
                                            today + timedelta(days=30)))
        yield timedelta(hours=rng.randint(12, 72))
        if rng.random() < 0.15:
            return  # quoted, not accepted yet
        self.run(f"{key}:accept", AcceptQuote(case_id, None))
        invoice_id = self.uid(f"{key}:invoice")
        self.run(f"{key}:invoice", IssueInvoice(case_id, None, self.clock.now().date()
                                                + timedelta(days=14), invoice_id=invoice_id))
        yield timedelta(hours=rng.randint(2, 96))
        self.counts.payments += 1
        if self.counts.payments % 3 == 1:
            self._stripe_payment(key, case_id, invoice_id, total)
            return
        method = ("card", "bank_transfer", "cash")[self.counts.payments % 3]
        payment_id = self.uid(f"{key}:payment")
        paid = self.run(f"{key}:pay", RecordPayment(
            case_id, None, total, data.CURRENCY, method, invoice_id=invoice_id,
            external_reference=f"{method}-{self.slug}-{key}", payment_id=payment_id))
        if paid is None:
            return
        yield timedelta(days=rng.randint(1, 4))
        if self.counts.refunds == 0 or rng.random() < 0.12:
            refund = self.run(f"{key}:refund", RefundPayment(
                case_id, None, payment_id, amount=total // 10,
                reason="goodwill refund for a rescheduled appointment",
                refund_id=self.uid(f"{key}:refund")))
            if refund is not None:
                self.counts.refunds += 1
        self.run(f"{key}:complete", CompleteCase(case_id, None, "Treatment finished"))

    def _stripe_payment(self, key: str, case_id: UUID, invoice_id: UUID, amount: int) -> None:
        """A payment as Stripe reports it: a signed ``payment_intent.succeeded`` verified and
        translated by the webhook route's service, then its command on the bus."""
        secret = self.c.settings().stripe_webhook_secret or self._one_off_secret
        webhooks = self.c.cases.stripe_webhooks() if self.c.settings().stripe_webhook_secret \
            else StripeWebhooks(secret, self.c.cases.payment_gateway())
        reference = f"pi_demo_{self.slug}_{key}".replace("-", "_")
        body = json.dumps({"id": f"evt_demo_{self.slug}_{key}".replace("-", "_"),
                           "object": "event", "type": "payment_intent.succeeded",
                           "data": {"object": {
                               "id": reference, "object": "payment_intent",
                               "amount_received": amount, "currency": data.CURRENCY.lower(),
                               "metadata": {TENANT_KEY: str(self.tenant_id),
                                            CASE_KEY: str(case_id),
                                            INVOICE_KEY: str(invoice_id)}}}}).encode()
        signed_at = int(time.time())  # Stripe's clock, not the story's: 300 s tolerance
        signature = hmac.new(secret.encode(), f"{signed_at}.".encode() + body,
                             hashlib.sha256).hexdigest()
        mapped = webhooks.translate(webhooks.verify(body, f"t={signed_at},v1={signature}"))
        assert not isinstance(mapped, Ignored), mapped.reason
        outcome = self.c.bus().execute(mapped.command, CommandContext(mapped.tenant_id,
                                                                       STRIPE_ACTOR))
        self.position = outcome.position
        self.counts.stripe_payments += 1

    _one_off_secret = "whsec_" + secrets.token_hex(16)

    def _conversation(self, key: str, channel: str) -> Story:
        rng = self.rng
        topic = rng.choice(list(data.TOPICS))
        first, second = data.TOPICS[topic]
        name, email = self.person()
        phone = self.phone()
        if channel in ("sms", "whatsapp", "email"):
            sender = email if channel == "email" else (
                f"whatsapp:{phone}" if channel == "whatsapp" else phone)
            started = self.run(f"{key}:inbound", ReceiveInbound(
                channel=channel, sender=sender, recipient=None, body=first,
                external_id=f"{self.slug}-{key}-1", sender_name=name,
                subject=first[:40] if channel == "email" else None), "system:twilio-webhook"
                if channel != "email" else "system:email-webhook")
        elif channel == "voice":
            started = self.run(f"{key}:call", RecordCall(
                call_sid=f"CA{self.slug}{key}".replace("-", ""), status="completed",
                customer=phone, ours="+34 910 000 111", direction="inbound",
                duration_seconds=rng.randint(60, 400), recording_url=None),
                "system:twilio-webhook")
        else:
            lead = self.run(f"{key}:lead", CaptureLead(
                name=name, email=email, phone=phone, source="website_chat",
                campaign=None, channel="webchat", notes=first))
            started = lead and self.run(f"{key}:start", StartConversation(
                UUID(lead["contact_id"]), "webchat", subject="Web chat"))
        if not started:
            return
        conversation_id = UUID(started.get("conversation_id") or started["id"])
        self.counts.conversations[channel] = self.counts.conversations.get(channel, 0) + 1
        if channel in ("voice", "webchat"):
            self.run(f"{key}:message", PostMessage(conversation_id, None, "customer", first))
        yield timedelta(seconds=rng.randint(5, 30))
        self._ai_reply(conversation_id)
        yield timedelta(minutes=rng.randint(1, 20))
        if channel in ("sms", "whatsapp", "email"):
            self.run(f"{key}:inbound-2", ReceiveInbound(
                channel=channel, sender=sender, recipient=None, body=second,
                external_id=f"{self.slug}-{key}-2", sender_name=name),
                "system:twilio-webhook" if channel != "email" else "system:email-webhook")
        else:
            self.run(f"{key}:message-2", PostMessage(conversation_id, None, "customer",
                                                     second))
        yield timedelta(seconds=rng.randint(5, 30))
        if topic not in data.HANDOFF_TOPICS:
            self._ai_reply(conversation_id)
            if self._status(conversation_id) in AI_MAY_ANSWER:
                yield timedelta(minutes=rng.randint(5, 60))
                self.run(f"{key}:resolve", ResolveConversation(
                    conversation_id, None, "INFO_PROVIDED", "answered by the assistant"))
                if rng.random() < 0.6:
                    self.run(f"{key}:csat", RecordSurvey(conversation_id, None, "csat",
                                                         rng.choice([4, 5, 5, 3])))
                return
        if self._status(conversation_id) in AI_MAY_ANSWER:
            self.run(f"{key}:handoff", HandOff(conversation_id, None,
                                               "the customer asked for a person",
                                               "customer_request"))
        yield from self._handoff_task(key, conversation_id)

    def _channel(self, conversation_id: UUID) -> str:
        conversation = self.c.unit_of_work()(self.tenant_id).get(Conversation, conversation_id)
        return str(conversation.channel.value)

    def _status(self, conversation_id: UUID) -> Any:
        return self.c.unit_of_work()(self.tenant_id).get(Conversation, conversation_id).status

    def _ai_reply(self, conversation_id: UUID) -> None:
        """The assistant's answer to the latest customer message, the way ``POST
        /ai-reply`` gets it; skipped when it was answered already (a second run)."""
        conversation = self.c.unit_of_work()(self.tenant_id).get(Conversation, conversation_id)
        if conversation.status not in AI_MAY_ANSWER or not conversation.messages:
            return
        latest = max(conversation.messages.values(), key=lambda m: m.sequence)
        if latest.direction is not Direction.INBOUND:
            return
        self.settle("knowledge_passages")
        try:
            for _ in self.c.conversations.assistant().reply(
                    CommandContext(self.tenant_id, "system:assistant"), conversation_id):
                pass
        except DomainError as refused:
            self.counts.refused += 1
            log.warning("demo AI reply refused: %s", refused)
            return
        self.counts.ai_replies += 1

    def _handoff_task(self, key: str, conversation_id: UUID) -> Story:
        """What the hand-off policy does (the same command, the same source reference: the
        policy finds the task made), then an agent takes the conversation."""
        history = self.c.event_store().of(self.tenant_id, conversation_id)
        handed = [e for e in history if e.type == "HandedOff"]
        if not handed:
            return
        self.counts.handoffs += 1
        self.settle()
        task = self.run(f"{key}:handoff-task", CreateTaskFromSource(
            source_kind="conversation_handoff",
            source_ref=f"{conversation_id}:{handed[-1].version}", channel="",
            conversation_id=conversation_id, priority=1,
            title=f"Hand-off: {handed[-1].data.get('reason')}"), HANDOFF_ACTOR)
        if task is None:
            return
        self.counts.tasks += 1

        def converse(agent: UUID) -> Story:
            actor = f"user:{agent}"
            self.run(f"{key}:join", JoinConversation(conversation_id, None), actor)
            yield timedelta(minutes=self.rng.randint(1, 6))
            self.run(f"{key}:agent-reply", PostMessage(conversation_id, None, "agent",
                                                       self.rng.choice(data.AGENT_REPLIES)),
                     actor)
            yield timedelta(minutes=self.rng.randint(2, 10))
            self.run(f"{key}:resolve", ResolveConversation(conversation_id, None,
                                                           "RESOLVED", "handled by an agent"),
                     actor)
            self.run(f"{key}:csat", RecordSurvey(conversation_id, None, "csat",
                                                 self.rng.choice([3, 4, 5, 5])))

        yield from self._work(key, UUID(task["id"]), task, "front_desk",
                              self._channel(conversation_id),
                              ["RESOLVED", "APPOINTMENT_BOOKED", "INFO_PROVIDED"], converse)

    def _call(self, key: str) -> Story:
        rng = self.rng
        queue = rng.choices(list(data.CALL_MIX), [w for w, _ in data.CALL_MIX.values()])[0]
        contact = rng.choice(self.contacts) if self.contacts else None
        self.settle()
        task = self.run(f"{key}:task", CreateTask(
            queue_id=self.queues[queue], channel="voice", priority=rng.choice([0, 0, 0, 5]),
            contact_id=contact[0] if contact else None, title=f"Call to {queue}",
            source_kind="inbound_call", source_ref=f"CA{self.slug}{key}".replace("-", "")),
            "system:ivr")
        if task is None:
            return
        self.counts.tasks += 1
        skill = next(iter(data.QUEUES[queue][0]))
        yield from self._work(key, UUID(task["id"]), task, skill, "voice",
                              data.CALL_MIX[queue][1])

    def _spanish_call(self, key: str) -> Story:
        """A call to a line nobody on duty can answer: it waits past the queue's maximum
        hold, breaches the SLA and is escalated to the front desk, where an agent takes it."""
        self.settle()
        task = self.run(f"{key}:task", CreateTask(
            queue_id=self.queues["Spanish line"], channel="voice", priority=5,
            title="Llamada en español", source_kind="inbound_call",
            source_ref=f"CA{self.slug}{key}".replace("-", "")), "system:ivr")
        if task is None:
            return
        self.counts.tasks += 1
        yield timedelta(seconds=data.QUEUES["Spanish line"][4] + 30)
        escalated = self.run(f"{key}:escalate", EscalateTask(UUID(task["id"])),
                             CONTACT_CENTER_CLOCK)
        if escalated is None:
            return
        self.counts.sla_breaches += 1
        yield from self._work(key, UUID(task["id"]), escalated, "front_desk", "voice",
                              ["INFO_PROVIDED", "CALLBACK_REQUESTED"])

    def _work(self, key: str, task_id: UUID, task: dict[str, Any], skill: str,
              channel: str, dispositions: list[str],
              during: Callable[[UUID], Story] | None = None) -> Story:
        """A free agent with the skill takes the task (routing may have offered it already
        on arrival), talks, wraps up and completes it with a disposition."""
        rng = self.rng
        agent = UUID(task["reserved_for"]) if task.get("reserved_for") else None
        tries = 0
        while agent is None:
            now = self.clock.now()
            free = [a for name, a in self.agents.items()
                    if data.AGENTS[name][0].get(skill) and data.AGENTS[name][1].get(channel)
                    and self.busy_until[a] <= now
                    and a in self.available]
            if free:
                choice = rng.choice(free)
                reserved = self.run(f"{key}:reserve-{tries}", ReserveTask(task_id, choice),
                                    DISPATCHER)
                if reserved is not None:
                    agent = choice
                    break
            tries += 1
            if tries > 40:
                return  # left waiting: the live system routes it
            yield timedelta(seconds=rng.randint(30, 90))
        self.busy_until[agent] = self.clock.now() + timedelta(hours=1)
        actor = f"user:{agent}"
        yield timedelta(seconds=rng.randint(4, 20))  # ringing
        if self.run(f"{key}:accept", AcceptTask(task_id, None, agent), actor) is None:
            self.busy_until[agent] = self.clock.now()
            return
        if during is not None:
            yield from during(agent)
        else:
            yield timedelta(seconds=rng.randint(90, 600))
        self.run(f"{key}:wrap-up", StartWrapUp(task_id, None, agent), actor)
        yield timedelta(seconds=rng.randint(15, 90))
        self.run(f"{key}:complete", CompleteTask(task_id, None, agent,
                                                 rng.choice(dispositions)), actor)
        self.busy_until[agent] = self.clock.now()
        if rng.random() < 0.5:
            self.run(f"{key}:task-csat", RecordTaskCsat(task_id, rng.choice([2, 4, 5, 5])))

    def _agent_day(self, day: int, name: str) -> Story:
        agent = self.agents[name]
        actor = f"user:{agent}"
        self.run(f"presence-{day}-{name}-in", ChangeAgentStatus(agent, None, "available"),
                 actor)
        self.available.add(agent)
        yield timedelta(hours=4, minutes=self.rng.randint(0, 90))
        self.available.discard(agent)
        while self.busy_until[agent] > self.clock.now():
            yield timedelta(minutes=5)
        self.run(f"presence-{day}-{name}-break", ChangeAgentStatus(agent, None, "break",
                                                                    "lunch"), actor)
        yield timedelta(minutes=30)
        self.run(f"presence-{day}-{name}-back", ChangeAgentStatus(agent, None, "available"),
                 actor)
        self.available.add(agent)
        closing = self.start + day * DAY + timedelta(hours=18, minutes=30)
        yield max(closing - self.clock.now(), timedelta(0))
        self.available.discard(agent)
        while self.busy_until[agent] > self.clock.now():
            yield timedelta(minutes=10)
        self.run(f"presence-{day}-{name}-out", ChangeAgentStatus(agent, None, "offline"),
                 actor)


def demo_clock(container: Container, today: datetime) -> ManualClock:
    """Give ``container`` a clock the demo moves (before anything reads the clock)."""
    clock = ManualClock(today)
    container.clock.override(providers.Object(clock))
    return clock


def demo_command(
        tenant: str = typer.Option("demo", help="The demo tenant's slug (login tenant)"),
        scale: float = typer.Option(1.0, help="Leads, conversations and calls per day, "
                                              "times this")) -> None:
    """Seed a realistic demo tenant end to end: three weeks of leads, cases, payments,
    conversations on every channel and a contact center, through the application layer.
    Running it again changes nothing."""
    from entrypoints.runtime import Runtime

    container = build_container()
    now = datetime.now(UTC)
    clock = demo_clock(container, now)
    prepare_database(container)
    runtime = Runtime(container, policies=False)  # the read models the stories consult
    runtime.start()
    started = time.monotonic()
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.fields[day]}"), TimeElapsedColumn(),
                      console=console) as progress:
            bar = progress.add_task(f"seeding {tenant}", total=1000, day="")
            seed = DemoSeed(container, clock, tenant, scale=scale)

            def advance(done: float) -> None:
                progress.update(bar, completed=int(done * 1000),
                                day=clock.now().strftime("%a %d %b"))

            seed.on_progress = advance
            fresh = seed.seed(now.replace(hour=0, minute=0, second=0, microsecond=0))
            if seed.position:
                container.consistency().wait_for(
                    seed.position, [p.name for p in container.projections()], timeout=60)
    finally:
        runtime.stop()
    seconds = time.monotonic() - started
    if fresh:
        counts = seed.counts
        console.print(
            f"seeded {tenant} in {seconds:.0f} s: {counts.leads} leads ({counts.converted} "
            f"converted, {counts.lost} lost), {counts.cases} cases, {counts.payments} "
            f"payments ({counts.stripe_payments} by Stripe webhook), {counts.refunds} "
            f"refunds, conversations "
            + ", ".join(f"{k}={v}" for k, v in sorted(counts.conversations.items()))
            + f", {counts.ai_replies} AI replies, {counts.handoffs} hand-offs, "
            f"{counts.tasks} tasks, {counts.sla_breaches} SLA breaches, {counts.knowledge} "
            f"knowledge documents; {counts.refused} steps refused")
    else:
        console.print(f"tenant {tenant} is seeded already: nothing changed")
    settings = container.settings()
    console.print(f"log in at http://{settings.host}:{settings.port}/console with "
                  f"tenant={tenant} email={admin_email(tenant)} "
                  f"password={demo_password(tenant)}")
