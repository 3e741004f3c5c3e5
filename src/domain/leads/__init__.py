"""Leads: enquiries moving through the pipeline (SPEC §3.2)."""

from domain.leads.errors import DuplicateLead
from domain.leads.lead import OPEN_STATUSES, FollowUp, Lead, LeadStatus

__all__ = ["OPEN_STATUSES", "DuplicateLead", "FollowUp", "Lead", "LeadStatus"]
