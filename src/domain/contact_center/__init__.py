"""Contact center: agents, queues with SLAs, tasks, routing, dispositions, scripts
(SPEC §3.5)."""

from domain.contact_center.agent import Agent
from domain.contact_center.dispositions import (
    STANDARD_DISPOSITIONS,
    DispositionCatalog,
    catalog_id,
    known_disposition,
)
from domain.contact_center.queue import Queue, QueueDefinition, QueueSettings
from domain.contact_center.routing import (
    AgentState,
    Assignment,
    QueueRouting,
    WaitingTask,
    refusal,
    route,
)
from domain.contact_center.script import Script, ScriptTarget
from domain.contact_center.task import Task
from domain.contact_center.task_values import PinnedScript, TaskStatus
from domain.contact_center.values import (
    AgentStatus,
    Channel,
    Presence,
    RoutingStrategy,
    Schedule,
    ServiceLevel,
    SourceKind,
)

__all__ = [
    "STANDARD_DISPOSITIONS",
    "Agent",
    "AgentState",
    "AgentStatus",
    "Assignment",
    "Channel",
    "DispositionCatalog",
    "PinnedScript",
    "Presence",
    "Queue",
    "QueueDefinition",
    "QueueRouting",
    "QueueSettings",
    "RoutingStrategy",
    "Schedule",
    "Script",
    "ScriptTarget",
    "ServiceLevel",
    "SourceKind",
    "Task",
    "TaskStatus",
    "WaitingTask",
    "catalog_id",
    "known_disposition",
    "refusal",
    "route",
]
