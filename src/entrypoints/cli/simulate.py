"""``frontdesk simulate routing``: replay a period's recorded task arrivals against another
routing strategy or staffing, and print the SLA attainment and average wait it would have had
next to what happened."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from application.contact_center.metrics import SlaCounts
from application.contact_center.simulation import recorded, simulate, staffing
from entrypoints.cli.boot import build_container, console, prepare_database

simulate_app = typer.Typer(help="What-if simulations over recorded history.",
                           no_args_is_help=True)
STRATEGIES = ("recorded", "longest_idle", "round_robin", "priority")
FORMATS = ["%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%MZ", "%Y-%m-%d"]


def _figures(counts: SlaCounts) -> tuple[str, str]:
    sla = f"{counts.attainment:.1%}" if counts.attainment is not None else "-"
    wait = f"{counts.average_wait:.1f} s" if counts.average_wait is not None else "-"
    return sla, wait


@simulate_app.command("routing")
def routing(tenant: str = typer.Option(..., help="Tenant slug"),
            start: datetime = typer.Option(..., "--from", formats=FORMATS,
                                           help="Period start, e.g. 2026-03-02T08:00Z"),
            end: datetime = typer.Option(..., "--to", formats=FORMATS, help="Period end"),
            strategy: str = typer.Option("recorded", help="longest_idle, round_robin, "
                                         "priority, or recorded (each queue's own)"),
            agents: int | None = typer.Option(None, help="Agents on duty (default: as many "
                                              "as were), with the recorded agents' skills, "
                                              "capacity, hours and shifts, in turn")) -> None:
    """Replay the task arrivals of [--from, --to) against a strategy and staffing."""
    if strategy not in STRATEGIES:
        console.print(f"[red]--strategy must be one of {', '.join(STRATEGIES)}[/red]")
        raise typer.Exit(2)
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        console.print("[red]--to must be after --from[/red]")
        raise typer.Exit(2)
    container = build_container()
    prepare_database(container)
    record = container.identity.tenants().by_slug(tenant)
    if record is None:
        console.print(f"[red]no tenant {tenant}[/red]")
        raise typer.Exit(1)
    history = container.contact_center.performance_queries()
    arrivals = history.arrivals(record.id, start, end)
    if not arrivals:
        console.print("no task arrived in that period: nothing to replay")
        return
    queues = history.queue_names(record.id)
    team = [member for member in history.staff(record.id, start, end) if member.on_duty]
    if not team:
        console.print("no agent was on duty in that period: nothing to replay")
        return
    on_duty = len(team)
    size = agents if agents is not None else on_duty
    own = {queue_id: queue_strategy for queue_id, (_, queue_strategy) in queues.items()}
    chosen = own if strategy == "recorded" else dict.fromkeys(queues, strategy)

    happened = recorded(arrivals, end)
    model = simulate(arrivals, team, own, end)
    what_if = simulate(arrivals, staffing(team, size), chosen, end)

    console.print(f"{len(arrivals)} tasks arrived {start.isoformat()} - {end.isoformat()}; "
                  f"{on_duty} agents were logged in.")
    table = Table("queue", "tasks", "what happened\nSLA / avg wait",
                  f"replay: recorded\nstrategies, {on_duty} agents",
                  f"what if: {strategy},\n{size} agents")
    keys = [*sorted((k for k in happened.by_queue if k is not None),
                    key=lambda k: queues.get(k, ("?", ""))[0]), None]
    for key in keys:
        name = "all queues" if key is None else queues.get(key, (str(key), ""))[0]
        cells = [" / ".join(_figures(outcome.by_queue[key]))
                 for outcome in (happened, model, what_if)]
        table.add_row(name, str(happened.tasks[key]), *cells)
    console.print(table)
    console.print("SLA attainment = answered within target / (answered + abandoned after "
                  "the target + still waiting past it); avg wait = average speed of answer "
                  "(ADR 0031). Simulated agents keep their recorded hours and shifts and "
                  "accept every offer after the recorded ring time.")
