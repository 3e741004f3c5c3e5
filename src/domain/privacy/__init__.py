"""Privacy: the per-tenant record of key rotations (an audit trail in the event log)."""

from domain.privacy.keyring import TenantKeyRing, keyring_id

__all__ = ["TenantKeyRing", "keyring_id"]
