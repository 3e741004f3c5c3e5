"""Leads: commands, handlers, the stale-lead policy, snapshots and query ports."""

from application.leads.capture import CapturedLead, CaptureLeadHandler
from application.leads.handlers import command_handlers
from application.leads.views import FollowUpView, LeadFilters, LeadQueries, LeadView

__all__ = [
    "CaptureLeadHandler",
    "CapturedLead",
    "FollowUpView",
    "LeadFilters",
    "LeadQueries",
    "LeadView",
    "command_handlers",
]
