"""A proposal shows a case's current quote: a case has none before its first quote (the same
409 answer as ever), and a quoted case's proposal carries that quote."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from application.cases.views import CaseView, ProposalData
from domain.cases import Case, LineItem
from domain.shared import RuleViolated, Slug
from domain.shared.money import Money

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def draft() -> Case:
    return Case.open(case_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0, contact_id=uuid4(),
                     lead_id=None, kind=Slug("treatment_plan"), title="Whitening",
                     source=None, campaign=None)


def test_a_case_without_a_quote_has_no_proposal() -> None:
    with pytest.raises(RuleViolated) as raised:
        ProposalData("Bright Smile", CaseView.of(draft()))
    assert type(raised.value) is RuleViolated and raised.value.code == "rule-violated"
    assert raised.value.message == "this case has no quote yet: issue one first"


def test_a_quoted_case_s_proposal_carries_its_current_quote() -> None:
    case = draft()
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Session", 2, Money(250, "EUR"))],
                     valid_until=date(2026, 6, 1))
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Check-up", 1, Money(75, "EUR"))],
                     valid_until=date(2026, 6, 1))
    view = CaseView.of(case)
    proposal = ProposalData("Bright Smile", view)
    assert proposal.quote == view.quote
    assert (proposal.quote.revision, proposal.quote.total) == (2, 75)
