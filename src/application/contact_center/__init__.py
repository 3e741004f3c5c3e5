"""Contact center: commands, handlers, the dispatcher and clock-driven processes, policies,
metrics and the what-if simulation."""

from application.contact_center.dispatcher import Dispatcher
from application.contact_center.timers import ContactCenterTimers, TimerReport
from application.contact_center.views import (
    AgentDay,
    AgentView,
    ContactCenterQueries,
    DispositionView,
    Overview,
    QueueView,
    ScriptView,
    TaskView,
)

__all__ = [
    "AgentDay",
    "AgentView",
    "ContactCenterQueries",
    "ContactCenterTimers",
    "Dispatcher",
    "DispositionView",
    "Overview",
    "QueueView",
    "ScriptView",
    "TaskView",
    "TimerReport",
]
