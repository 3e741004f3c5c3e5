"""Disposition codes: how a task ended. Seventeen standard codes every tenant has, plus the
tenant's own, kept in one catalog aggregate per tenant (its id derives from the tenant's)."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import TenantAggregate
from domain.shared.errors import Conflict, InvalidValue
from domain.shared.values import bounded_text

STANDARD_DISPOSITIONS: dict[str, tuple[str, str]] = {
    "APPOINTMENT_BOOKED": ("Appointment booked", "An appointment or visit was scheduled."),
    "SALE": ("Sale", "The customer bought or signed."),
    "QUOTE_SENT": ("Quote sent", "A quote or proposal was sent to the customer."),
    "CALLBACK_REQUESTED": ("Callback requested", "The customer asked to be called back."),
    "FOLLOW_UP_SCHEDULED": ("Follow-up scheduled", "A follow-up was scheduled."),
    "INFO_PROVIDED": ("Information provided", "The customer's question was answered."),
    "RESOLVED": ("Resolved", "The customer's issue was resolved."),
    "ESCALATED": ("Escalated", "Handed to a supervisor or specialist."),
    "TRANSFERRED": ("Transferred", "Transferred to another team or queue."),
    "COMPLAINT": ("Complaint", "The customer made a complaint."),
    "NOT_INTERESTED": ("Not interested", "The customer is not interested."),
    "NO_ANSWER": ("No answer", "Nobody answered."),
    "VOICEMAIL": ("Voicemail", "A voicemail message was left."),
    "WRONG_NUMBER": ("Wrong number", "The number does not belong to the customer."),
    "DO_NOT_CONTACT": ("Do not contact", "The customer asked not to be contacted again."),
    "DUPLICATE": ("Duplicate", "The task duplicates another one."),
    "SPAM": ("Spam", "Not a genuine enquiry."),
}

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,47}$")
_NAMESPACE = UUID("6f1d1c2a-5b8e-4c43-9d55-1f0f8a4d7e21")


def catalog_id(tenant_id: UUID) -> UUID:
    """The id of a tenant's disposition catalog (one per tenant)."""
    return uuid5(_NAMESPACE, f"dispositions:{tenant_id}")


def disposition_code(raw: str) -> str:
    code = raw.strip().upper()
    if not _CODE.match(code):
        raise InvalidValue("disposition", "a code is 2-48 characters of A-Z, 0-9 and '_', "
                                          "starting with a letter, e.g. CALLBACK_REQUESTED")
    return code


class DispositionCatalog(TenantAggregate):
    class CatalogOpened(TenantAggregate.Created):
        pass

    class DispositionAdded(TenantAggregate.Event):
        code: str
        label: str
        description: str | None

    @classmethod
    def open(cls, *, tenant_id: UUID, actor: str, at: datetime) -> DispositionCatalog:
        return cls._create(cls.CatalogOpened, id=catalog_id(tenant_id), tenant_id=tenant_id,
                           actor=actor, timestamp=at)

    def __init__(self, *, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.codes: dict[str, tuple[str, str | None]] = {}

    def add(self, *, actor: str, at: datetime, code: str, label: str,
            description: str | None) -> str:
        parsed = disposition_code(code)
        if parsed in STANDARD_DISPOSITIONS or parsed in self.codes:
            raise Conflict(f"the disposition {parsed} exists already", code=parsed)
        text = bounded_text("label", label, limit=100)
        if not text:
            raise InvalidValue("label", "a disposition needs a label")
        self._added(actor=actor, timestamp=at, code=parsed, label=text,
                    description=bounded_text("description", description, limit=500))
        return parsed

    @event(DispositionAdded)
    def _added(self, actor: str, timestamp: datetime, code: str, label: str,
               description: str | None) -> None:
        self.codes[code] = (label, description)


def known_disposition(raw: str, catalog: DispositionCatalog | None) -> str:
    """The code, if it is standard or the tenant's; completing a task needs one."""
    code = disposition_code(raw)
    if code in STANDARD_DISPOSITIONS or (catalog is not None and code in catalog.codes):
        return code
    raise InvalidValue("disposition", f"unknown disposition {code}: use a standard code or "
                                      "add it with POST /v1/dispositions")
