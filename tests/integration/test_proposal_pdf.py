"""The proposal PDF (fpdf2) renders what the proposal holds and reads back with its totals."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from uuid import uuid4

from pypdf import PdfReader

from adapters.documents.proposal_pdf import FpdfProposalRenderer
from application.cases.views import CaseView, ProposalData
from domain.cases import Case, LineItem
from domain.shared import Slug
from domain.shared.money import Money

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_the_proposal_of_a_quoted_case_reads_back_with_its_lines_and_total() -> None:
    case = Case.open(case_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0, contact_id=uuid4(),
                     lead_id=None, kind=Slug("treatment_plan"), title="Whitening",
                     source=None, campaign=None)
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Session", 2, Money(250_00, "EUR")),
                                                   LineItem("Check-up", 1, Money(75_50, "EUR"))],
                     valid_until=date(2099, 12, 31))
    document = FpdfProposalRenderer().render(ProposalData("Bright Smile", CaseView.of(case)))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
    assert document.startswith(b"%PDF-")
    assert "Bright Smile" in text and "Proposal for: Whitening" in text
    assert "Session" in text and "Check-up" in text
    assert "EUR 250.00" in text and "EUR 500.00" in text and "EUR 75.50" in text
    assert "EUR 575.50" in text and "Valid until 2099-12-31" in text
