"""The knowledge document's life: added, revised (split again), removed; a removed document
is not revised, and replaying its events gives the same document."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.knowledge import KnowledgeDocument
from domain.shared import InvalidValue, RuleViolated

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def added() -> KnowledgeDocument:
    return KnowledgeDocument.add(document_id=uuid4(), tenant_id=uuid4(), actor="user:1", at=T0,
                                 title="Prices", text="Whitening is 300 EUR.\n\nOpen at 9.",
                                 source="prices.md")


def test_a_revision_splits_the_new_text_and_replaces_title_and_passages() -> None:
    document = added()
    document.revise(actor="user:1", at=T0, title=" Prices 2027 ", text="Whitening is 280 EUR.",
                    source="prices.md")
    assert (document.title, document.passages, document.version) == (
        "Prices 2027", ["Whitening is 280 EUR."], 2)
    replayed = None
    for event in document.collect_events():
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert (replayed.title, replayed.passages) == (document.title, document.passages)


def test_a_revision_is_held_to_the_rules_of_an_addition() -> None:
    document = added()
    for title, text in (("", "text"), ("Prices", "   "), ("Prices", "a\x00b")):
        with pytest.raises(InvalidValue):
            document.revise(actor="user:1", at=T0, title=title, text=text, source=None)
    assert document.version == 1


def test_a_removed_document_is_not_revised_nor_removed_twice() -> None:
    document = added()
    document.remove(actor="user:1", at=T0, reason=None)
    assert document.removed
    with pytest.raises(RuleViolated):
        document.revise(actor="user:1", at=T0, title="Prices", text="Later.", source=None)
    with pytest.raises(RuleViolated):
        document.remove(actor="user:1", at=T0, reason=None)
