"""The leads context's command handlers, registered by command type (``command_handlers``).

Actions on an existing lead load it (checking If-Match), call it and stage it; capture and
import, which normalise phone numbers, are classes with that collaborator."""

from __future__ import annotations

from datetime import timedelta

from application.aggregates import load_for_change
from application.bus import Handlers
from application.leads.capture import CaptureLeadHandler
from application.leads.commands import (
    AssignLead,
    CaptureLead,
    CompleteFollowUp,
    ConvertLead,
    ImportLeads,
    LoseLead,
    QualifyLead,
    RecordLeadContact,
    ReopenLead,
    ScheduleFollowUp,
    ScheduleStaleFollowUp,
    ScoreLead,
)
from application.leads.importing import ImportLeadsHandler
from application.leads.views import LeadView, lead_view
from application.ports import CommandContext, UnitOfWork
from domain.leads import DuplicateLead, Lead
from domain.ports import PhoneNormaliser
from domain.shared import Score, Slug
from domain.shared.ids import new_id


def assign_lead(command: AssignLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.assign(actor=ctx.actor, at=ctx.now, agent_id=command.agent_id)
    uow.add(lead)
    return lead_view(uow, lead)


def record_lead_contact(command: RecordLeadContact, uow: UnitOfWork,
                        ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.record_contact(actor=ctx.actor, at=ctx.now,
                        channel=Slug(command.channel, "channel"),
                        outcome=Slug(command.outcome, "outcome"), note=command.note)
    uow.add(lead)
    return lead_view(uow, lead)


def score_lead(command: ScoreLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.rescore(actor=ctx.actor, at=ctx.now, score=Score(command.score),
                 reasons=command.reasons)
    uow.add(lead)
    return lead_view(uow, lead)


def qualify_lead(command: QualifyLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.qualify(actor=ctx.actor, at=ctx.now, note=command.note)
    uow.add(lead)
    return lead_view(uow, lead)


def schedule_follow_up(command: ScheduleFollowUp, uow: UnitOfWork,
                       ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.schedule_follow_up(actor=ctx.actor, at=ctx.now, follow_up_id=new_id(),
                            due_at=command.due_at, note=command.note)
    uow.add(lead)
    return lead_view(uow, lead)


def complete_follow_up(command: CompleteFollowUp, uow: UnitOfWork,
                       ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.complete_follow_up(actor=ctx.actor, at=ctx.now,
                            follow_up_id=command.follow_up_id, outcome=command.outcome)
    uow.add(lead)
    return lead_view(uow, lead)


def convert_lead(command: ConvertLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
    """Converting names the case it opens; the case itself is opened by a process manager."""
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.convert(actor=ctx.actor, at=ctx.now, case_id=new_id())
    uow.add(lead)
    return lead_view(uow, lead)


def lose_lead(command: LoseLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.lose(actor=ctx.actor, at=ctx.now, reason=command.reason)
    uow.add(lead)
    return lead_view(uow, lead)


def reopen_lead(command: ReopenLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
    lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
    lead.reopen(actor=ctx.actor, at=ctx.now, reason=command.reason)
    holder = next((owner for owner in uow.owners_of(lead.claims).values()
                   if owner != lead.id), None)
    if holder is not None:
        raise DuplicateLead(holder)
    uow.add(lead)
    return lead_view(uow, lead)


def schedule_stale_follow_up(command: ScheduleStaleFollowUp, uow: UnitOfWork,
                             ctx: CommandContext) -> bool:
    """The aggregate decides whether the lead is still stale; a no-op stages nothing."""
    lead = uow.get(Lead, command.lead_id)
    scheduled = lead.schedule_stale_follow_up(
        at=ctx.now, stale_after=timedelta(seconds=command.stale_after_seconds),
        follow_up_id=new_id())
    if scheduled:
        uow.add(lead)
    return scheduled



COMMAND_HANDLERS: Handlers = {
    AssignLead: assign_lead, RecordLeadContact: record_lead_contact, ScoreLead: score_lead,
    QualifyLead: qualify_lead, ScheduleFollowUp: schedule_follow_up,
    CompleteFollowUp: complete_follow_up, ConvertLead: convert_lead, LoseLead: lose_lead,
    ReopenLead: reopen_lead, ScheduleStaleFollowUp: schedule_stale_follow_up,
}


def command_handlers(phones: PhoneNormaliser) -> Handlers:
    return {**COMMAND_HANDLERS, CaptureLead: CaptureLeadHandler(phones),
            ImportLeads: ImportLeadsHandler(phones)}
