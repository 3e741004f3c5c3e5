"""CSV lead import: every row validated, accepted rows committed together, a report per row."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.leads.capture import capture_into
from application.leads.commands import CaptureLead, ImportLeads
from application.ports import CommandContext, UnitOfWork
from domain.leads import DuplicateLead
from domain.ports import PhoneNormaliser
from domain.shared import DomainError

MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int
    outcome: str  # accepted | duplicate | rejected
    lead_id: UUID | None = None
    existing_id: UUID | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    accepted: int
    duplicates: int
    rejected: int
    rows: list[RowOutcome] = field(default_factory=list)


class ImportLeadsHandler:
    """Rows are captured in one unit of work, so the file is imported whole or not at all.

    A row is rejected for invalid values, reported as a duplicate when its contact already has
    an open lead from that source (in the database or earlier in the same file).
    """

    def __init__(self, phones: PhoneNormaliser) -> None:
        self._phones = phones

    def __call__(self, command: ImportLeads, uow: UnitOfWork,
                 ctx: CommandContext) -> ImportReport:
        outcomes: list[RowOutcome] = []
        for number, row in enumerate(command.rows, start=2):  # row 1 is the header
            capture = CaptureLead(
                name=row.get("name") or None, email=row.get("email") or None,
                phone=row.get("phone") or None,
                source=row.get("source") or command.default_source,
                campaign=row.get("campaign") or None, channel=row.get("channel") or "import",
                notes=row.get("notes") or None, region=row.get("region") or None)
            try:
                captured = capture_into(uow, ctx, capture, self._phones)
            except DuplicateLead as duplicate:
                outcomes.append(RowOutcome(number, "duplicate", existing_id=duplicate.existing_id,
                                           reason=duplicate.message))
            except DomainError as invalid:
                outcomes.append(RowOutcome(number, "rejected", reason=invalid.message))
            else:
                outcomes.append(RowOutcome(number, "accepted", lead_id=captured.lead.id))
        count = {kind: sum(1 for o in outcomes if o.outcome == kind)
                 for kind in ("accepted", "duplicate", "rejected")}
        return ImportReport(accepted=count["accepted"], duplicates=count["duplicate"],
                            rejected=count["rejected"], rows=outcomes)
