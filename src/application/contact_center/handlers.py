"""The contact center's command handlers, registered by command type (``command_handlers``).

Most are functions of the command, the unit of work and the context; creating and withdrawing
tasks reads the routing read model, and registering an agent checks the user directory, so
those are classes holding that collaborator.
"""

from __future__ import annotations

from application.bus import Handlers
from application.contact_center.agents import (
    RegisterAgentHandler,
    change_agent_profile,
    change_agent_status,
    set_agent_shifts,
)
from application.contact_center.catalog import (
    add_disposition,
    create_script,
    retire_script,
    revise_script,
)
from application.contact_center.commands import (
    AcceptTask,
    AddDisposition,
    CancelTask,
    ChangeAgentProfile,
    ChangeAgentStatus,
    ChangeQueue,
    CloseFollowUpFromTask,
    CompleteTask,
    CreateQueue,
    CreateScript,
    CreateTask,
    CreateTaskFromSource,
    EnqueueDueTask,
    EscalateTask,
    RecordTaskCsat,
    RegisterAgent,
    RejectTask,
    ReserveTask,
    RetireScript,
    ReviseScript,
    SetAgentShifts,
    StartWrapUp,
    TimeOutReservation,
    WithdrawTaskForSource,
)
from application.contact_center.ports import RoutingQueries, UserDirectory
from application.contact_center.queues import change_queue, create_queue
from application.contact_center.reservations import reserve_task, time_out_reservation
from application.contact_center.service_level import enqueue_due_task, escalate_task
from application.contact_center.tasks import (
    CreateTaskFromSourceHandler,
    CreateTaskHandler,
    DefaultQueues,
)
from application.contact_center.work import (
    SourceTasks,
    WithdrawTaskForSourceHandler,
    accept_task,
    cancel_task,
    close_follow_up_from_task,
    complete_task,
    record_task_csat,
    reject_task,
    start_wrap_up,
)

COMMAND_HANDLERS: Handlers = {
    ChangeAgentProfile: change_agent_profile, SetAgentShifts: set_agent_shifts,
    ChangeAgentStatus: change_agent_status, CreateQueue: create_queue, ChangeQueue: change_queue,
    ReserveTask: reserve_task, AcceptTask: accept_task, RejectTask: reject_task,
    StartWrapUp: start_wrap_up, CompleteTask: complete_task, CancelTask: cancel_task,
    RecordTaskCsat: record_task_csat, TimeOutReservation: time_out_reservation,
    EscalateTask: escalate_task, EnqueueDueTask: enqueue_due_task,
    CloseFollowUpFromTask: close_follow_up_from_task, AddDisposition: add_disposition,
    CreateScript: create_script, ReviseScript: revise_script, RetireScript: retire_script,
}


def command_handlers(users: UserDirectory, routing: RoutingQueries, queues: DefaultQueues,
                     source_tasks: SourceTasks, *, route_on_arrival: bool = True) -> Handlers:
    """``routing``, ``queues`` and ``source_tasks`` are read-model queries (one adapter serves
    all three)."""
    return {**COMMAND_HANDLERS, RegisterAgent: RegisterAgentHandler(users),
            CreateTask: CreateTaskHandler(routing, route_on_arrival=route_on_arrival),
            CreateTaskFromSource: CreateTaskFromSourceHandler(queues),
            WithdrawTaskForSource: WithdrawTaskForSourceHandler(source_tasks)}
