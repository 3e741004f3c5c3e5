"""The knowledge commands on both backends: a revision is one event on the same document, a
removal one more, and a removal run again records nothing; another tenant's document is not
found."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.knowledge import AddKnowledge, RemoveKnowledge, ReviseKnowledge
from domain.shared import NotFound, RuleViolated
from tests.application.backends import App


def test_a_document_is_revised_then_removed_and_a_second_removal_records_nothing(
        app: App) -> None:
    added = app.run(AddKnowledge("Prices", "Whitening is 300 EUR.\n\nOpen at 9.", "p.md"))
    revised = app.run(ReviseKnowledge(added.id, "Prices 2027", "Whitening is 280 EUR.", "p.md"))
    assert (revised.version, revised.passages) == (2, ["Whitening is 280 EUR."])
    first = app.run(RemoveKnowledge(added.id))
    again = app.run(RemoveKnowledge(added.id))
    assert (first.already, again.already, again.version) == (False, True, 3)
    assert app.types(added.id) == ["KnowledgeDocumentAdded", "KnowledgeDocumentRevised",
                                   "KnowledgeDocumentRemoved"]
    with pytest.raises(RuleViolated):
        app.run(ReviseKnowledge(added.id, "Prices", "Too late."))


def test_another_tenants_document_is_not_found(app: App) -> None:
    added = app.run(AddKnowledge("Prices", "Whitening is 300 EUR."))
    other = app.context(tenant_id=uuid4())
    for command in (RemoveKnowledge(added.id), ReviseKnowledge(added.id, "Mine", "Now.")):
        with pytest.raises(NotFound):
            app.run(command, other)
    assert app.types(added.id) == ["KnowledgeDocumentAdded"]
