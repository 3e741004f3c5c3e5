"""Call scripts (playbooks): versioned, each for one queue or one lead stage.

A script holds its target while it is active (a claim), so a queue or a lead stage has at
most one current script; revising it adds a revision, and a task shows the revision that was
current when it was reserved (``Task.TaskReserved.script_revision``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue, RuleViolated
from domain.shared.values import bounded_text


class ScriptTarget(StrEnum):
    QUEUE = "queue"
    LEAD_STAGE = "lead_stage"


LEAD_STAGES = frozenset({"new", "contacted", "qualified", "converted", "lost"})


@dataclass(frozen=True, slots=True)
class ScriptRevision:
    revision: int
    title: str
    steps: tuple[str, ...]
    at: datetime


def script_claim(kind: ScriptTarget, target: str) -> Claim:
    return Claim("script_for", f"{kind.value}:{target}")


def _content(title: str, steps: Sequence[str]) -> tuple[str, list[str]]:
    text = bounded_text("title", title, limit=200)
    if not text:
        raise InvalidValue("title", "a script needs a title")
    if not 1 <= len(steps) <= 100:
        raise InvalidValue("steps", "a script has 1-100 steps")
    cleaned = [bounded_text("steps", s, limit=4000) for s in steps]
    if any(not s for s in cleaned):
        raise InvalidValue("steps", "a step must not be empty")
    return text, [s for s in cleaned if s]


class Script(TenantAggregate):
    class ScriptCreated(TenantAggregate.Created):
        target_kind: str
        target: str
        title: str
        steps: list[str]

    class ScriptRevised(TenantAggregate.Event):
        revision: int
        title: str
        steps: list[str]

    class ScriptRetired(TenantAggregate.Event):
        revision: int

    @classmethod
    def create(cls, *, script_id: UUID, tenant_id: UUID, actor: str, at: datetime,
               target_kind: ScriptTarget, target: str, title: str,
               steps: Sequence[str]) -> Script:
        if target_kind is ScriptTarget.LEAD_STAGE and target not in LEAD_STAGES:
            raise InvalidValue("lead_stage", "must be one of " + ", ".join(sorted(LEAD_STAGES)))
        text, cleaned = _content(title, steps)
        return cls._create(cls.ScriptCreated, id=script_id, tenant_id=tenant_id, actor=actor,
                           timestamp=at, target_kind=target_kind.value, target=target,
                           title=text, steps=cleaned)

    def __init__(self, *, tenant_id: UUID, target_kind: str, target: str, title: str,
                 steps: list[str], timestamp: datetime) -> None:
        self.tenant_id = tenant_id
        self.target_kind = ScriptTarget(target_kind)
        self.target = target
        self.revisions = {1: ScriptRevision(1, title, tuple(steps), timestamp)}
        self.retired = False

    @property
    def current(self) -> ScriptRevision:
        return self.revisions[max(self.revisions)]

    @property
    def claims(self) -> frozenset[Claim]:
        if self.retired:
            return frozenset()
        return frozenset({script_claim(self.target_kind, self.target)})

    def revise(self, *, actor: str, at: datetime, title: str, steps: Sequence[str]) -> None:
        if self.retired:
            raise RuleViolated("a retired script cannot be revised")
        text, cleaned = _content(title, steps)
        current = self.current
        if (text, tuple(cleaned)) == (current.title, current.steps):
            return
        self._revised(actor=actor, timestamp=at, revision=current.revision + 1, title=text,
                      steps=cleaned)

    @event(ScriptRevised)
    def _revised(self, actor: str, timestamp: datetime, revision: int, title: str,
                 steps: list[str]) -> None:
        self.revisions[revision] = ScriptRevision(revision, title, tuple(steps), timestamp)

    def retire(self, *, actor: str, at: datetime) -> None:
        """Stops being shown for new reservations; tasks that pinned it keep their revision."""
        if self.retired:
            raise RuleViolated("this script is already retired")
        self._retired(actor=actor, timestamp=at, revision=self.current.revision)

    @event(ScriptRetired)
    def _retired(self, actor: str, timestamp: datetime, revision: int) -> None:
        self.retired = True
