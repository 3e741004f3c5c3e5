"""An agent's status as supervisors and metrics see it: the declared presence (offline,
available, break) overlaid by the work in hand. Shared by the supervisor_overview and
agent_performance projections so both tell the same story.

``work`` maps a task id to ``{"channel": ..., "phase": "reserved" | "talk" | "wrap"}``:
- any task in talk (accepted): ``busy``;
- otherwise any task in wrap-up: ``wrap_up``;
- otherwise the declared presence (a reservation still ringing is not work yet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.projections.base import Row

Closed = tuple[str, datetime, datetime]


def effective_status(presence: str, work: dict[str, Any]) -> str:
    phases = {item["phase"] for item in work.values()}
    if "talk" in phases:
        return "busy"
    if "wrap" in phases:
        return "wrap_up"
    return presence


def load_of(work: dict[str, Any]) -> dict[str, int]:
    load: dict[str, int] = {}
    for item in work.values():
        load[item["channel"]] = load.get(item["channel"], 0) + 1
    return dict(sorted(load.items()))


def change(row: Row, at: datetime, *, presence: str | None = None, task: str | None = None,
           phase: str | None = None, channel: str | None = None,
           drop: bool = False) -> tuple[Row, Closed | None]:
    """The row after a presence change or a task's phase change (``drop`` ends the task's
    work), and the status interval this closed, if the status changed after some time."""
    work = dict(row["work"])
    if task is not None:
        if drop:
            work.pop(task, None)
        else:
            previous = work.get(task, {})
            work[task] = {"channel": channel or previous.get("channel", ""), "phase": phase}
    new_presence = presence or row["presence"]
    status = effective_status(new_presence, work)
    closed: Closed | None = None
    updated = {**row, "presence": new_presence, "work": work, "load": load_of(work)}
    if presence is not None and presence != row["presence"]:
        updated["presence_since"] = at
    if status != row["status"]:
        if at > row["status_since"]:
            closed = (row["status"], row["status_since"], at)
        updated["status"], updated["status_since"] = status, at
    return updated, closed
