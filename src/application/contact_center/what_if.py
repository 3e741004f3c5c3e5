"""The what-if routing report: a period's recorded arrivals replayed against another strategy or
staffing (ADR 0034), next to what happened and to a replay of the recorded set-up. One query
service, read by ``frontdesk simulate routing`` and by the console's operations page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from application.contact_center.metrics import SlaCounts
from application.contact_center.simulation import (
    Arrival,
    StaffMember,
    recorded,
    simulate,
    staffing,
)

STRATEGIES = ("recorded", "longest_idle", "round_robin", "priority")
"""``recorded``: each queue keeps its own strategy."""
LONGEST_PERIOD = timedelta(days=31)
MOST_AGENTS = 500


class RoutingHistory(Protocol):
    """What the simulation replays: the ``agent_performance`` and ``supervisor_overview``
    read models' record of a period."""

    def arrivals(self, tenant_id: UUID, start: datetime, end: datetime) -> list[Arrival]: ...

    def staff(self, tenant_id: UUID, start: datetime, end: datetime) -> list[StaffMember]: ...

    def queue_names(self, tenant_id: UUID) -> dict[UUID, tuple[str, str]]: ...


class NotAWhatIf(ValueError):
    """The question cannot be asked (an unknown strategy, an empty or too long period)."""


@dataclass(frozen=True, slots=True)
class WhatIfRow:
    queue: str
    """The queue's name, or ``all queues``."""
    tasks: int
    happened: SlaCounts
    replay: SlaCounts
    """The recorded strategies and staffing, through the simulation's model."""
    what_if: SlaCounts


@dataclass(frozen=True, slots=True)
class WhatIfReport:
    start: datetime
    end: datetime
    strategy: str
    arrivals: int
    on_duty: int
    """Agents logged in during the period (the replay's staffing)."""
    agents: int
    """The what-if's staffing."""
    rows: list[WhatIfRow]
    """One per queue by name, then ``all queues``; empty when there was nothing to replay."""
    nothing: str | None = None
    """Why there is nothing to replay (no arrival, no agent on duty)."""


def what_if_routing(history: RoutingHistory, tenant_id: UUID, start: datetime, end: datetime,
                    strategy: str = "recorded", agents: int | None = None, *,
                    longest: timedelta | None = LONGEST_PERIOD) -> WhatIfReport:
    """Replay [start, end) with ``strategy`` for every queue (``recorded``: each queue's own)
    and ``agents`` agents (None: as many as were on duty). ``longest`` bounds the period (a
    page must answer in seconds; the command line takes None)."""
    if strategy not in STRATEGIES:
        raise NotAWhatIf(f"the strategy must be one of {', '.join(STRATEGIES)}")
    if end <= start:
        raise NotAWhatIf("the period must end after it starts")
    if longest is not None and end - start > longest:
        raise NotAWhatIf(f"at most {longest.days} days at a time")
    if agents is not None and not 0 <= agents <= MOST_AGENTS:
        raise NotAWhatIf(f"from 0 to {MOST_AGENTS} agents")
    arrivals = history.arrivals(tenant_id, start, end)
    if not arrivals:
        return WhatIfReport(start, end, strategy, 0, 0, agents or 0, [],
                            "no task arrived in that period: nothing to replay")
    team = [member for member in history.staff(tenant_id, start, end) if member.on_duty]
    if not team:
        return WhatIfReport(start, end, strategy, len(arrivals), 0, agents or 0, [],
                            "no agent was on duty in that period: nothing to replay")
    queues = history.queue_names(tenant_id)
    size = agents if agents is not None else len(team)
    own = {queue_id: queue_strategy for queue_id, (_, queue_strategy) in queues.items()}
    chosen = own if strategy == "recorded" else dict.fromkeys(queues, strategy)

    happened = recorded(arrivals, end)
    model = simulate(arrivals, team, own, end)
    what_if = simulate(arrivals, staffing(team, size), chosen, end)
    keys: Sequence[UUID | None] = [
        *sorted((k for k in happened.by_queue if k is not None),
                key=lambda k: queues.get(k, ("?", ""))[0]), None]
    rows = [WhatIfRow("all queues" if key is None else queues.get(key, (str(key), ""))[0],
                      happened.tasks[key], happened.by_queue[key], model.by_queue[key],
                      what_if.by_queue[key]) for key in keys]
    return WhatIfReport(start, end, strategy, len(arrivals), len(team), size, rows)
