"""Contact-center figures, computed from read-model facts (ADR 0031 defines each clock).

Pure functions: the read-model adapters fetch the facts, the simulation produces them, and
both get the same numbers from the same definitions. "Now" is an argument, so an open
interval (an agent still logged in, a task still waiting) is measured up to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean
from typing import Any
from uuid import UUID

from application.contact_center.views import AgentDay

FCR_WINDOW = timedelta(days=7)
BUSY = frozenset({"busy", "wrap_up"})


@dataclass(frozen=True, slots=True)
class HandledTask:
    """A completed task, as the agent who accepted it handled it."""

    task_id: UUID
    agent_id: UUID
    contact_id: UUID | None
    queued_at: datetime
    accepted_at: datetime
    wrap_up_at: datetime | None
    completed_at: datetime
    target_answer_seconds: int
    csat: int | None

    @property
    def answer_wait(self) -> float:
        return (self.accepted_at - self.queued_at).total_seconds()

    @property
    def talk(self) -> float:
        return ((self.wrap_up_at or self.completed_at) - self.accepted_at).total_seconds()

    @property
    def wrap_up(self) -> float:
        return (self.completed_at - (self.wrap_up_at or self.completed_at)).total_seconds()


@dataclass(frozen=True, slots=True)
class StatusInterval:
    agent_id: UUID
    status: str
    start: datetime
    end: datetime | None  # None: still in this status


@dataclass(frozen=True, slots=True)
class ReservationCounts:
    agent_id: UUID
    day: date
    offered: int = 0
    accepted: int = 0
    rejected: int = 0
    timed_out: int = 0


@dataclass(frozen=True, slots=True)
class WaitFacts:
    """A task's answer wait, as the SLA sees it."""

    queued_at: datetime
    target_answer_seconds: int
    answered_at: datetime | None = None
    abandoned_at: datetime | None = None
    """Canceled before it was accepted."""


@dataclass(frozen=True, slots=True)
class SlaCounts:
    answered: int = 0
    met: int = 0
    missed: int = 0
    abandoned: int = 0
    total_answer_wait: float = 0.0

    @property
    def attainment(self) -> float | None:
        decided = self.met + self.missed
        return self.met / decided if decided else None

    @property
    def average_wait(self) -> float | None:
        return self.total_answer_wait / self.answered if self.answered else None


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _overlap(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(end, hi) - max(start, lo)).total_seconds())


def sla_counts(tasks: Iterable[WaitFacts], since: datetime, now: datetime) -> SlaCounts:
    """Tasks whose wait ended in [since, now], plus tasks still waiting past their target.

    Answered within the target: met; answered later: missed. Abandoned after waiting longer
    than the target: missed; abandoned sooner: neither (a short abandon). Still waiting past
    the target: missed already.
    """
    answered = met = missed = abandoned = 0
    total = 0.0
    for task in tasks:
        target = timedelta(seconds=task.target_answer_seconds)
        if task.answered_at is not None:
            if not since <= task.answered_at <= now:
                continue
            answered += 1
            wait = task.answered_at - task.queued_at
            total += wait.total_seconds()
            if wait <= target:
                met += 1
            else:
                missed += 1
        elif task.abandoned_at is not None:
            if not since <= task.abandoned_at <= now:
                continue
            abandoned += 1
            if task.abandoned_at - task.queued_at > target:
                missed += 1
        elif now - task.queued_at > target:
            missed += 1
    return SlaCounts(answered, met, missed, abandoned, total)


def agent_days(*, handled: Sequence[HandledTask],
               later_task_times: Mapping[UUID, Sequence[datetime]],
               intervals: Sequence[StatusInterval],
               conversions: Sequence[tuple[UUID, datetime]],
               reservations: Sequence[ReservationCounts],
               days: Sequence[date], now: datetime) -> list[AgentDay]:
    """Per agent per UTC day; agents appear on the days they did anything.

    ``later_task_times`` holds, per contact, when tasks for that contact were created (to
    decide first-contact resolution of the handled tasks).
    """
    wanted = set(days)
    tasks_by: dict[tuple[UUID, date], list[HandledTask]] = defaultdict(list)
    for task in handled:
        day = utc_day(task.completed_at)
        if day in wanted:
            tasks_by[(task.agent_id, day)].append(task)
    busy: dict[tuple[UUID, date], float] = defaultdict(float)
    logged: dict[tuple[UUID, date], float] = defaultdict(float)
    for interval in intervals:
        if interval.status == "offline":
            continue
        end = min(interval.end or now, now)
        for day in days:
            lo, hi = day_bounds(day)
            seconds = _overlap(interval.start, end, lo, hi)
            if seconds > 0:
                logged[(interval.agent_id, day)] += seconds
                if interval.status in BUSY:
                    busy[(interval.agent_id, day)] += seconds
    converted: dict[tuple[UUID, date], int] = defaultdict(int)
    for agent_id, at in conversions:
        if utc_day(at) in wanted:
            converted[(agent_id, utc_day(at))] += 1
    counts = {(r.agent_id, r.day): r for r in reservations if r.day in wanted}
    keys = set(tasks_by) | set(logged) | set(converted) | set(counts)

    result = []
    for agent_id, day in sorted(keys, key=lambda k: (k[1], str(k[0]))):
        mine = tasks_by.get((agent_id, day), [])
        with_contact = [t for t in mine if t.contact_id is not None]
        resolved = [t for t in with_contact if _first_contact(t, later_task_times)]
        rated = [t.csat for t in mine if t.csat is not None]
        met = [t for t in mine if t.answer_wait <= t.target_answer_seconds]
        logged_in = logged.get((agent_id, day), 0.0)
        busy_time = busy.get((agent_id, day), 0.0)
        reserved = counts.get((agent_id, day), ReservationCounts(agent_id, day))
        result.append(AgentDay(
            agent_id=agent_id, day=day.isoformat(), tasks_handled=len(mine),
            average_handle_seconds=_mean(t.talk + t.wrap_up for t in mine),
            average_talk_seconds=_mean(t.talk for t in mine),
            average_wrap_up_seconds=_mean(t.wrap_up for t in mine),
            average_speed_of_answer_seconds=_mean(t.answer_wait for t in mine),
            first_contact_resolution=len(resolved) / len(with_contact) if with_contact
            else None, fcr_tasks=len(with_contact),
            csat_average=_mean(rated), csat_responses=len(rated),
            occupancy=busy_time / logged_in if logged_in else None, busy_seconds=busy_time,
            logged_in_seconds=logged_in,
            sla_attainment=len(met) / len(mine) if mine else None,
            leads_converted=converted.get((agent_id, day), 0),
            reservations_offered=reserved.offered, reservations_accepted=reserved.accepted,
            reservations_rejected=reserved.rejected,
            reservations_timed_out=reserved.timed_out))
    return result


def utc_days(start: datetime, end: datetime) -> list[date]:
    """The UTC days that [start, end) touches (at most a year)."""
    days: list[date] = []
    day = utc_day(start)
    while day_bounds(day)[0] < end and len(days) < 366:
        days.append(day)
        day += timedelta(days=1)
    return days


def agent_days_from_rows(*, tasks: Iterable[Mapping[str, Any]],
                         intervals: Iterable[Mapping[str, Any]],
                         agents: Iterable[Mapping[str, Any]],
                         conversions: Iterable[Mapping[str, Any]],
                         reservations: Iterable[Mapping[str, Any]],
                         start: datetime, end: datetime, now: datetime,
                         agent_id: UUID | None = None) -> list[AgentDay]:
    """``agent_days`` from whole agent_performance rows (a report as of a past moment: the
    projection's rows rebuilt in memory). Selects what the live adapter's SQL selects, then
    computes through the same ``agent_days``."""
    def mine(value: Any) -> bool:
        return agent_id is None or value == agent_id

    task_rows = list(tasks)
    handled = [HandledTask(r["id"], r["agent_id"], r["contact_id"], r["queued_at"],
                           r["accepted_at"], r["wrap_up_at"], r["completed_at"],
                           r["target_answer_seconds"], r["csat"])
               for r in task_rows if r["status"] == "completed"
               and start <= r["completed_at"] < end and mine(r["agent_id"])]
    contacts = {t.contact_id for t in handled if t.contact_id is not None}
    later: dict[UUID, list[datetime]] = defaultdict(list)
    for r in task_rows:
        if r["contact_id"] in contacts and start <= r["created_at"] <= end + FCR_WINDOW:
            later[r["contact_id"]].append(r["created_at"])
    closed = [StatusInterval(r["agent_id"], r["status"], r["started_at"], r["ended_at"])
              for r in intervals
              if r["ended_at"] > start and r["started_at"] < end and mine(r["agent_id"])]
    open_ = [StatusInterval(r["id"], r["status"], r["status_since"], None)
             for r in agents if r["status_since"] < end and mine(r["id"])]
    credited = [(r["credited_to"], r["converted_at"]) for r in conversions
                if r["credited_to"] is not None and r["converted_at"] is not None
                and start <= r["converted_at"] < end and mine(r["credited_to"])]
    first, last = utc_day(start), utc_day(end)
    counts = [ReservationCounts(r["agent_id"], r["day"], r["offered"], r["accepted"],
                                r["rejected"], r["timed_out"])
              for r in reservations if first <= r["day"] <= last and mine(r["agent_id"])]
    return agent_days(handled=handled, later_task_times=later, intervals=closed + open_,
                      conversions=credited, reservations=counts, days=utc_days(start, end),
                      now=now)


def _first_contact(task: HandledTask, created: Mapping[UUID, Sequence[datetime]]) -> bool:
    """No new task for the same contact within 7 days after this one was completed."""
    if task.contact_id is None:
        return False
    window_end = task.completed_at + FCR_WINDOW
    return not any(task.completed_at < at <= window_end
                   for at in created.get(task.contact_id, ()))


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return fmean(items) if items else None
