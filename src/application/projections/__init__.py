"""Projections (read-model policies): pure event -> row mappings run by adapters."""

from application.projections.base import Projection, Row, RowKey, ViewRows
from application.projections.contacts import ContactsProjection
from application.projections.lead_pipeline import LeadPipelineProjection

__all__ = [
    "ContactsProjection",
    "LeadPipelineProjection",
    "Projection",
    "Row",
    "RowKey",
    "ViewRows",
]
