"""``frontdesk``: serve the API, run workers, provision tenants, operate projections."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from entrypoints.cli.boot import (
    build_container,
    console,
    migrate_database,
    prepare_database,
    prepare_service,
    require_current_database,
)
from entrypoints.cli.contacts import contacts_app
from entrypoints.cli.demo import demo_command
from entrypoints.cli.retention import retention_app
from entrypoints.cli.simulate import simulate_app
from entrypoints.container import Container

app = typer.Typer(help="Frontdesk: leads, contacts, cases and conversations for service "
                       "businesses.", no_args_is_help=True)
tenants_app = typer.Typer(help="Provision tenants.", no_args_is_help=True)
projections_app = typer.Typer(help="Inspect, rebuild and time-travel read models.",
                              no_args_is_help=True)
events_app = typer.Typer(help="Read the event log, decoded.", no_args_is_help=True)
leads_app = typer.Typer(help="Lead operations.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(projections_app, name="projections")
app.add_typer(events_app, name="events")
app.add_typer(leads_app, name="leads")
app.add_typer(contacts_app, name="contacts")
app.add_typer(retention_app, name="retention")
keys_app = typer.Typer(help="Key-encryption keys and data keys.", no_args_is_help=True)
memories_app = typer.Typer(help="The memory index.", no_args_is_help=True)
privacy_app = typer.Typer(help="Erasure and retention maintenance.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(memories_app, name="memories")
app.add_typer(privacy_app, name="privacy")
app.add_typer(simulate_app, name="simulate")
app.command("demo")(demo_command)
WORKER_HEALTHCHECK_SECONDS = 60


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        console.print(f"frontdesk {version('frontdesk')}", highlight=False)
        raise typer.Exit


@app.callback()
def _options(version: bool = typer.Option(False, "--version", is_eager=True,
                                          callback=_print_version,
                                          help="Print the installed version and exit.")
             ) -> None:
    """Frontdesk: leads, contacts, cases and conversations for service businesses."""


@contextmanager
def shared_metrics() -> Iterator[None]:
    """The API processes of one ``serve`` share their metrics (prometheus-client's
    multiprocess mode, ADR 0054) through a fresh directory, removed when serve stops; an
    operator's own ``PROMETHEUS_MULTIPROC_DIR`` is used as it is."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    directory = tempfile.mkdtemp(prefix="frontdesk-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # inherited by the spawned processes
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(directory, ignore_errors=True)


@app.command()
def serve(host: str | None = None, port: int | None = None,
          workers: int = typer.Option(1, help="API processes (2 suits a 2-core machine)")
          ) -> None:
    """Run the API (embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from entrypoints.http.protocol import PROTOCOL
    from entrypoints.runtime import tune_interpreter

    tune_interpreter()
    container = build_container()
    settings = container.settings()
    refusal = settings.serve_refusal()
    if refusal:
        Console(stderr=True).print(f"frontdesk: {refusal}", markup=False, highlight=False)
        raise typer.Exit(2)
    prepare_service(container)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"Frontdesk API on http://{bind_host}:{bind_port}  (OpenAPI viewer: "
                  f"http://{bind_host}:{bind_port}/schema)")
    options: dict[str, Any] = {"host": bind_host, "port": bind_port, "log_config": None,
                               "access_log": False, "timeout_graceful_shutdown": 5,
                               "timeout_keep_alive": settings.keep_alive_seconds,
                               "http": PROTOCOL}
    if workers > 1:
        # Each API process is spawned and imports the whole application before it can answer
        # the supervisor's health check; on a busy machine that takes longer than uvicorn's
        # 5 s default, and the supervisor then kills and respawns processes in a loop (the API
        # never comes up). A process that is really hung is still replaced, a minute later.
        with shared_metrics():
            uvicorn.run("entrypoints.http.factory:create", factory=True, workers=workers,
                        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS, **options)
        return
    from entrypoints.http.app import create_app
    from entrypoints.runtime import Runtime

    runtime = Runtime(container) if settings.in_process_projections else None
    uvicorn.run(create_app(container, runtime=runtime, settle=True), **options)


@app.command()
def worker() -> None:
    """Run projections and process managers.

    Several workers may run: each projection is claimed by one and taken over if it dies.
    """
    from entrypoints.runtime import Runtime, settle_heap

    container = build_container()
    refusal = container.settings().worker_refusal()
    if refusal:
        Console(stderr=True).print(f"frontdesk: {refusal}", markup=False, highlight=False)
        raise typer.Exit(2)
    prepare_service(container)
    runtime = Runtime(container)
    runtime.start()
    settle_heap()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    console.print("worker running; Ctrl-C to stop")
    done.wait()
    runtime.stop()


@app.command()
def migrate() -> None:
    """Apply database migrations, set the service roles' passwords and create projection
    tables, as the owner (DATABASE_URL): a release step, before `serve` and `worker`."""
    container = build_container()
    migrate_database(container)
    console.print("database is up to date")


@app.command("openapi")
def openapi_document(output: Path = typer.Argument(Path("docs/openapi.json"),
                                                   help="Where to write it")) -> None:
    """Write the OpenAPI document the API serves, built from the app (no server is started;
    the database `serve` uses must be reachable: embedded unless DATABASE_URL)."""
    from entrypoints.http.app import create_app
    from entrypoints.http.openapi import committed_form, served

    container = build_container()
    container.database()
    try:
        document = served(create_app(container))
        output.write_text(committed_form(document), encoding="utf-8")
    finally:
        container.datastore().close()
        container.worker_pool().close()
    console.print(f"{output}: {len(document['paths'])} paths, version "
                  f"{document['info']['version']}")


# -- tenants ------------------------------------------------------------------------------------

@tenants_app.command("create")
def tenants_create(name: str = typer.Option(..., help="Display name"),
                   slug: str = typer.Option(..., help="Login slug, e.g. bright-smile"),
                   admin_email: str = typer.Option(..., help="First admin's email"),
                   admin_password: str | None = typer.Option(
                       None, help="Generated and printed when omitted")) -> None:
    """Provision a tenant and print its admin login."""
    from application.identity import ProvisionTenant

    container = build_container()
    prepare_database(container)
    password = admin_password or secrets.token_urlsafe(12)
    created = container.identity.provision_tenant()(ProvisionTenant(name=name, slug=slug,
                                                           admin_email=admin_email,
                                                           admin_password=password))
    console.print(f"tenant [bold]{created.slug}[/bold] ({created.id}) created")
    console.print(f"admin login: tenant={created.slug} email={admin_email} "
                  f"password={password}")
    settings = container.settings()
    login = {"tenant": slug, "email": admin_email, "password": password}
    console.print("log in with:\n  curl -s -X POST "
                  f"http://{settings.host}:{settings.port}/v1/auth/login "
                  "-H 'Content-Type: application/json' "
                  f"-d '{json.dumps(login)}'")


# -- projections --------------------------------------------------------------------------------

@projections_app.command("list")
def projections_list() -> None:
    """Name, version, position, lag of every projection."""
    projections_status()


@projections_app.command("status")
def projections_status() -> None:
    """Name, version, position, lag and failure of every projection, then of every policy
    and consumer (``policy:…``, ``consumer:…``: readers of the log without a view)."""
    container = build_container()
    require_current_database(container)  # read-only: never migrates
    table = Table("reader", "version (code/stored)", "position", "events processed",
                  "pending", "updated", "failing")
    table.columns[0].no_wrap = True
    for status in container.projection_manager().status():
        position = status.position.text() if status.position else "-"
        table.add_row(status.name, f"{status.code_version}/{status.stored_version}", position,
                      str(status.events_processed), str(status.pending),
                      status.updated_at or "-",
                      f"{status.last_error} ({status.failures}x since {status.failing_since})"
                      if status.failing_since else "-")
    console.print(table)


@projections_app.command("rebuild")
def projections_rebuild(name: str | None = typer.Argument(None, help="All when omitted"),
                        restart: bool = typer.Option(False, help="Ignore an interrupted "
                                                                 "rebuild and start over")
                        ) -> None:
    """Rebuild from the event store beside the live view, then swap atomically."""
    container = build_container()
    prepare_database(container)
    manager = container.projection_manager()
    names = [name] if name else list(manager.projections)
    for projection_name in names:
        projection = manager.get(projection_name)
        total = manager.count_events(projection)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task(projection_name, total=total)
            def advance(applied: int, task_id: Any = task) -> None:
                progress.advance(task_id, applied)

            report = manager.rebuild(projection_name, resume=not restart, progress=advance)
        console.print(f"{report.name}: {report.events} events applied, rows "
                      + ", ".join(f"{t}={n}" for t, n in report.rows.items()) + "; swapped in")


@projections_app.command("as-of")
def projections_as_of(name: str,
                      at: datetime = typer.Option(..., formats=["%Y-%m-%dT%H:%M%z",
                                                                "%Y-%m-%dT%H:%M:%S%z",
                                                                "%Y-%m-%dT%H:%MZ",
                                                                "%Y-%m-%d"],
                                                  help="e.g. 2026-01-31T00:00Z"),
                      tenant: str | None = typer.Option(None, help="Tenant slug"),
                      rows: bool = typer.Option(False, help="Print every row as JSON")) -> None:
    """Compute a projection as of a past moment, without touching the live view."""
    from datetime import UTC

    from adapters.projections.as_of import compute_as_of

    container = build_container()
    require_current_database(container)  # read-only: never migrates
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    tenant_id = None
    if tenant:
        record = container.identity.tenants().by_slug(tenant)
        if record is None:
            console.print(f"[red]no tenant {tenant}[/red]")
            raise typer.Exit(1)
        tenant_id = record.id
    projection = container.projection_manager().get(name)
    result = compute_as_of(projection, moment, container.worker_pool(),
                           container.worker_mapper(), tenant_id=tenant_id)
    console.print(f"{name} as of {moment.isoformat()}:")
    for table_name in projection.tables:
        table_rows = result.rows(table_name)
        summary = f"  {table_name}: {len(table_rows)} rows"
        if table_rows and "status" in table_rows[0]:
            counts: dict[str, int] = {}
            for row in table_rows:
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            summary += "  (" + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) + ")"
        console.print(summary)
        if rows:
            for row in table_rows:
                sys.stdout.write(json.dumps(row, default=str) + "\n")


# -- events -------------------------------------------------------------------------------------

def _decoded(container: Container, tenant: str | None, limit: int, follow: bool,
             after: str | None = None) -> None:
    import time

    from eventsourcing.utils import resolve_topic

    from adapters.eventstore.history import flat_state
    from adapters.projections.reader import Position, read_after

    tenant_id = None
    if tenant:
        record = container.identity.tenants().by_slug(tenant)
        if record is None:
            console.print(f"[red]no tenant {tenant}[/red]")
            raise typer.Exit(1)
        tenant_id = record.id
    mapper = container.worker_mapper()
    position, printed = Position.start(), 0
    if after:
        try:
            position = Position.parse(after)
        except ValueError:
            console.print(f"[red]--after takes a position as printed, TX:ID, not {after!r}[/red]")
            raise typer.Exit(2) from None
    with container.worker_pool().connection() as conn:
        while True:
            batch = read_after(conn, position, 1000, tenant_id=tenant_id)
            for read in batch.events:
                state = flat_state(resolve_topic(read.stored.topic),
                                   mapper.decode_state(read.stored))  # v1 field shape
                line: dict[str, Any] = {
                    "position": read.position.text(),
                    "tenant_id": str(read.stored.tenant_id),
                    "aggregate_id": str(read.stored.originator_id),
                    "version": read.stored.originator_version,
                    "type": read.stored.topic.rsplit(".", 1)[-1],
                    "at": read.stored.occurred_at.isoformat(),
                    "data": {k: v for k, v in state.items()
                             if k not in ("timestamp", "tenant_id", "originator_topic")}}
                sys.stdout.write(json.dumps(line, default=str) + "\n")
                printed += 1
                if limit and printed >= limit:
                    return
            if batch.events:
                position = batch.events[-1].position
            elif not follow:
                return
            else:
                sys.stdout.flush()
                time.sleep(0.5)


@events_app.command("dump")
def events_dump(tenant: str | None = typer.Option(None, help="Tenant slug"),
                limit: int = typer.Option(0, help="Stop after N events (0: all)"),
                after: str | None = typer.Option(
                    None, help="Start after this position (TX:ID, as printed in `position` "
                               "and in `projections status`)")) -> None:
    """Print decoded events as JSON lines, in commit order."""
    container = build_container()
    require_current_database(container)  # read-only: never migrates
    _decoded(container, tenant, limit, follow=False, after=after)


@events_app.command("tail")
def events_tail(tenant: str | None = typer.Option(None, help="Tenant slug")) -> None:
    """Print decoded events as they are committed."""
    container = build_container()
    require_current_database(container)  # read-only: never migrates
    _decoded(container, tenant, 0, follow=True)


# -- leads --------------------------------------------------------------------------------------

@leads_app.command("import")
def leads_import(file: Path = typer.Argument(..., exists=True, readable=True),
                 tenant: str = typer.Option(..., help="Tenant slug")) -> None:
    """Import leads from a CSV file (same rules as POST /v1/leads/import)."""
    from application.bus import Executed
    from application.leads.commands import ImportLeads
    from application.ports import CommandContext
    from entrypoints.csv_import import MalformedFile, parse_csv

    container = build_container()
    prepare_database(container)
    record = container.identity.tenants().by_slug(tenant)
    if record is None:
        console.print(f"[red]no tenant {tenant}[/red]")
        raise typer.Exit(1)
    try:
        rows = parse_csv(file.read_bytes())
    except MalformedFile as error:
        console.print(f"[red]{error}: nothing imported[/red]")
        raise typer.Exit(1) from None
    outcome = container.bus().execute(ImportLeads(rows=rows),
                                      CommandContext(record.id, f"cli:import:{file.name}"))
    assert isinstance(outcome, Executed)
    report = outcome.result
    table = Table("line", "outcome", "lead / existing", "reason")
    for row in report.rows:
        table.add_row(str(row.row), row.outcome, str(row.lead_id or row.existing_id or ""),
                      row.reason or "")
    console.print(table)
    console.print(f"accepted {report.accepted}, duplicates {report.duplicates}, "
                  f"rejected {report.rejected}")


# -- keys, memories, privacy -------------------------------------------------------------------

@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every data key under the active KEK (the first of FRONTDESK_KEKS), while the
    service runs; afterwards the other KEKs are no longer needed. Recorded per tenant in the
    event log (TenantKeyRing.DataKeysRewrapped)."""
    from adapters.crypto.rotation import rotate_data_keys
    from application.contacts.keys import RecordKeyRotation
    from application.ports import CommandContext

    container = build_container()
    prepare_database(container)
    keks = container.keks()
    with Progress(TextColumn("[bold]re-wrapping data keys"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("keys", total=None)
        report = rotate_data_keys(container.worker_pool(), keks,
                                  progress=lambda n: progress.advance(task, n))
    for tenant_id, count in report.by_tenant.items():
        container.bus().execute(RecordKeyRotation(sorted(report.from_keks), report.to_kek, count),
                                CommandContext(tenant_id, "cli:keys-rotate"))
    console.print(f"re-wrapped {report.keys} data keys of {len(report.by_tenant)} tenants "
                  f"under {report.to_kek}, {report.email_secrets} inbound-email secrets and "
                  f"{report.totp_secrets} TOTP secrets; "
                  f"{report.remaining} data keys still need another KEK")
    if report.remaining == 0:
        console.print(f"every data key is wrapped by {report.to_kek}: the other key-encryption "
                      "keys can be removed from FRONTDESK_KEKS")


@memories_app.command("reembed")
def memories_reembed() -> None:
    """Re-embed memories of an older model with the configured embedder (searches use only
    current-model memories meanwhile)."""
    from adapters.embeddings.reembed import pending, reembed

    container = build_container()
    prepare_database(container)
    embedder = container.knowledge.embedder()
    total = pending(container.worker_pool(), embedder)
    with Progress(TextColumn(f"[bold]re-embedding with {embedder.model}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("memories", total=total)
        done = reembed(container.worker_pool(), embedder,
                       progress=lambda n: progress.advance(task, n))
    console.print(f"re-embedded {done} memories with {embedder.model}")


@privacy_app.command("compact")
def privacy_compact() -> None:
    """Rewrite the tables that held erased people's data, once every read model purged them."""
    container = build_container()
    prepare_database(container)
    result = container.privacy.compactor().run_once()
    console.print(f"{result.erasures} erasures compacted; tables rewritten: "
                  f"{', '.join(result.tables) or '-'}"
                  + ("; waiting for projections to purge more" if result.waiting else ""))


@privacy_app.command("prune")
def privacy_prune() -> None:
    """Delete what is kept only for a while (the worker does this every hour): stored answers
    of Idempotency-Keys, login entries past their retention, ended rate-limit windows."""
    container = build_container()
    prepare_database(container)
    pruned = container.privacy.retention().run_once()
    console.print(f"removed {pruned.idempotency_keys} stored answers, {pruned.auth_events} "
                  f"login entries, {pruned.rate_counters} rate windows")


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> None:
    """The ``frontdesk`` command. A database it must not start on (another PostgreSQL's data
    directory, a restore behind the cluster's counter) is refused in a sentence, not a
    traceback; nothing was changed."""
    from adapters.postgres.database import RoleNotGiven
    from adapters.postgres.embedded import DataDirectoryIncompatible
    from adapters.postgres.migrate import CounterBehindLog, SchemaBehind

    # SIGTERM (systemd, docker stop, kill) ends the process as Ctrl-C does: by unwinding, so that
    # exit handlers run and the embedded server is stopped when this was its last user (ADR
    # 0071). Python's default would end the process on the spot. `serve` lets uvicorn shut
    # down gracefully first, then uvicorn raises the signal again and lands here.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        app()
    except (DataDirectoryIncompatible, CounterBehindLog, SchemaBehind, RoleNotGiven) as refused:
        Console(stderr=True).print(f"frontdesk: {refused}", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
