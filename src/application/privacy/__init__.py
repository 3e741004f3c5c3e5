"""Privacy use cases beyond one contact: per-tenant retention policies (ADR 0086)."""

from application.privacy.retention import (
    ApplyRetention,
    BodiesDeletedByRetention,
    ErasedByRetention,
    InactiveContact,
    InactiveContacts,
    RetentionPolicies,
    RetentionPolicy,
    RetentionReport,
    RetentionReports,
    months_before,
)

__all__ = ["ApplyRetention", "BodiesDeletedByRetention", "ErasedByRetention",
           "InactiveContact", "InactiveContacts", "RetentionPolicies", "RetentionPolicy",
           "RetentionReport", "RetentionReports", "months_before"]
