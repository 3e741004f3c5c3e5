"""``frontdesk simulate routing``: replay a period's recorded task arrivals against another
routing strategy or staffing, and print the SLA attainment and average wait it would have had
next to what happened."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from application.contact_center.metrics import SlaCounts
from application.contact_center.what_if import STRATEGIES, NotAWhatIf, what_if_routing
from entrypoints.cli.boot import build_container, console, prepare_database

simulate_app = typer.Typer(help="What-if simulations over recorded history.",
                           no_args_is_help=True)
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
    try:
        report = what_if_routing(container.contact_center.performance_queries(), record.id,
                                 start, end, strategy, agents, longest=None)
    except NotAWhatIf as wrong:
        console.print(f"[red]{wrong}[/red]")
        raise typer.Exit(2) from None
    if report.nothing:
        console.print(report.nothing)
        return
    console.print(f"{report.arrivals} tasks arrived {start.isoformat()} - {end.isoformat()}; "
                  f"{report.on_duty} agents were logged in.")
    table = Table("queue", "tasks", "what happened\nSLA / avg wait",
                  f"replay: recorded\nstrategies, {report.on_duty} agents",
                  f"what if: {strategy},\n{report.agents} agents")
    for row in report.rows:
        cells = [" / ".join(_figures(counts))
                 for counts in (row.happened, row.replay, row.what_if)]
        table.add_row(row.queue, str(row.tasks), *cells)
    console.print(table)
    console.print("SLA attainment = answered within target / (answered + abandoned after "
                  "the target + still waiting past it); avg wait = average speed of answer "
                  "(ADR 0031). Simulated agents keep their recorded hours and shifts and "
                  "accept every offer after the recorded ring time.")
