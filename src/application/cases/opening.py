"""Process manager: a converted lead opens its case.

``LeadConverted`` names the case id; the policy asks for that case to be opened. Idempotent:
a replay (after a crash, or a second worker) finds the case already open and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.cases.views import CaseView
from application.policies import Policy, Reaction
from application.ports import CommandContext, UnitOfWork
from domain.cases import Case
from domain.leads import Lead
from domain.shared import NotFound, Slug

ACTOR = "system:case-opener"
DEFAULT_KIND = "general"


@dataclass(frozen=True, slots=True)
class OpenCaseForConvertedLead:
    lead_id: UUID
    case_id: UUID
    converted_at: datetime


def open_case_for_converted_lead(command: OpenCaseForConvertedLead, uow: UnitOfWork,
                                 ctx: CommandContext) -> CaseView | None:
    """Opens the case at the moment of conversion, attributed to the lead's source and
    campaign. Returns None when the case already exists."""
    try:
        uow.get(Case, command.case_id)
    except NotFound:
        pass
    else:
        return None
    lead = uow.get(Lead, command.lead_id)
    title = f"Enquiry from {lead.source}" + (f" ({lead.campaign})" if lead.campaign else "")
    case = Case.open(case_id=command.case_id, tenant_id=ctx.tenant_id, actor=ctx.actor,
                     at=command.converted_at, contact_id=lead.contact_id, lead_id=lead.id,
                     kind=Slug(DEFAULT_KIND, "kind"), title=title, source=lead.source,
                     campaign=lead.campaign)
    uow.add(case)
    return CaseView.of(case)


class OpenCaseOnConversion(Policy):
    name = "open-case-on-conversion"
    event_classes = (Lead.LeadConverted,)

    def react(self, event: Any) -> Sequence[Reaction]:
        command = OpenCaseForConvertedLead(lead_id=event.originator_id, case_id=event.case_id,
                                           converted_at=event.timestamp)
        return [Reaction(command, event.tenant_id, ACTOR)]
