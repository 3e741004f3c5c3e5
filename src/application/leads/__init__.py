"""Leads: commands, handlers, the stale-lead policy, snapshots and query ports."""

from application.leads.capture import CapturedLead, CaptureLeadHandler
from application.leads.handlers import command_handlers
from application.leads.views import (
    PIPELINE_STAGES,
    FollowUpView,
    LeadFilters,
    LeadQueries,
    LeadView,
    StageTotal,
)

__all__ = [
    "PIPELINE_STAGES",
    "CaptureLeadHandler",
    "CapturedLead",
    "FollowUpView",
    "LeadFilters",
    "LeadQueries",
    "LeadView",
    "StageTotal",
    "command_handlers",
]
