"""Errors named for the lead rules they protect."""

from __future__ import annotations

from uuid import UUID

from domain.shared.errors import Conflict


class DuplicateLead(Conflict):
    """A second open lead for the same contact and source is a duplicate."""

    code = "duplicate-lead"

    def __init__(self, existing_id: UUID) -> None:
        super().__init__("an open lead for this contact and source already exists",
                         existing_id=str(existing_id))
        self.existing_id = existing_id
