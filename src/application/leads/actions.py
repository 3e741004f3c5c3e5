"""Handlers for actions on an existing lead: load (checking If-Match), call, stage."""

from __future__ import annotations

from datetime import timedelta

from application.aggregates import load_for_change
from application.leads.commands import (
    AssignLead,
    CompleteFollowUp,
    ConvertLead,
    LoseLead,
    QualifyLead,
    RecordLeadContact,
    ReopenLead,
    ScheduleFollowUp,
    ScheduleStaleFollowUp,
    ScoreLead,
)
from application.leads.views import LeadView, lead_view
from application.ports import CommandContext, UnitOfWork
from domain.leads import DuplicateLead, Lead
from domain.ports import Clock
from domain.shared import Score, Slug
from domain.shared.ids import new_id


class _LeadHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock


class AssignLeadHandler(_LeadHandler):
    def __call__(self, command: AssignLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.assign(actor=ctx.actor, at=self._clock.now(), agent_id=command.agent_id)
        uow.add(lead)
        return lead_view(uow, lead)


class RecordLeadContactHandler(_LeadHandler):
    def __call__(self, command: RecordLeadContact, uow: UnitOfWork,
                 ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.record_contact(actor=ctx.actor, at=self._clock.now(),
                            channel=Slug(command.channel, "channel"),
                            outcome=Slug(command.outcome, "outcome"), note=command.note)
        uow.add(lead)
        return lead_view(uow, lead)


class ScoreLeadHandler(_LeadHandler):
    def __call__(self, command: ScoreLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.rescore(actor=ctx.actor, at=self._clock.now(), score=Score(command.score),
                     reasons=command.reasons)
        uow.add(lead)
        return lead_view(uow, lead)


class QualifyLeadHandler(_LeadHandler):
    def __call__(self, command: QualifyLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.qualify(actor=ctx.actor, at=self._clock.now(), note=command.note)
        uow.add(lead)
        return lead_view(uow, lead)


class ScheduleFollowUpHandler(_LeadHandler):
    def __call__(self, command: ScheduleFollowUp, uow: UnitOfWork,
                 ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.schedule_follow_up(actor=ctx.actor, at=self._clock.now(), follow_up_id=new_id(),
                                due_at=command.due_at, note=command.note)
        uow.add(lead)
        return lead_view(uow, lead)


class CompleteFollowUpHandler(_LeadHandler):
    def __call__(self, command: CompleteFollowUp, uow: UnitOfWork,
                 ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.complete_follow_up(actor=ctx.actor, at=self._clock.now(),
                                follow_up_id=command.follow_up_id, outcome=command.outcome)
        uow.add(lead)
        return lead_view(uow, lead)


class ConvertLeadHandler(_LeadHandler):
    """Converting names the case it opens; the case itself is opened by a process manager."""

    def __call__(self, command: ConvertLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.convert(actor=ctx.actor, at=self._clock.now(), case_id=new_id())
        uow.add(lead)
        return lead_view(uow, lead)


class LoseLeadHandler(_LeadHandler):
    def __call__(self, command: LoseLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.lose(actor=ctx.actor, at=self._clock.now(), reason=command.reason)
        uow.add(lead)
        return lead_view(uow, lead)


class ReopenLeadHandler(_LeadHandler):
    def __call__(self, command: ReopenLead, uow: UnitOfWork, ctx: CommandContext) -> LeadView:
        lead = load_for_change(uow, Lead, command.lead_id, command.expected_version)
        lead.reopen(actor=ctx.actor, at=self._clock.now(), reason=command.reason)
        holder = next((owner for owner in uow.owners_of(lead.claims).values()
                       if owner != lead.id), None)
        if holder is not None:
            raise DuplicateLead(holder)
        uow.add(lead)
        return lead_view(uow, lead)


class ScheduleStaleFollowUpHandler(_LeadHandler):
    """The aggregate decides whether the lead is still stale; a no-op stages nothing."""

    def __call__(self, command: ScheduleStaleFollowUp, uow: UnitOfWork,
                 ctx: CommandContext) -> bool:
        lead = uow.get(Lead, command.lead_id)
        scheduled = lead.schedule_stale_follow_up(
            at=self._clock.now(), stale_after=timedelta(seconds=command.stale_after_seconds),
            follow_up_id=new_id())
        if scheduled:
            uow.add(lead)
        return scheduled
