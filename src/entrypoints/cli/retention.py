"""``frontdesk retention run``: apply the tenants' retention policies now (ADR 0086), as the
worker does every ``FRONTDESK_RETENTION_INTERVAL`` seconds, and print each tenant's report
(stored too: ``GET /v1/retention/reports``)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from entrypoints.cli.boot import build_container, console, prepare_database
from entrypoints.cli.contacts import operator, resolve_tenant

retention_app = typer.Typer(help="Per-tenant retention policies.", no_args_is_help=True)


@retention_app.command("run")
def run(tenant: str | None = typer.Option(None, help="Only this tenant (slug or id); every "
                                                     "tenant with a policy when omitted"),
        dry_run: bool = typer.Option(False, "--dry-run", help="Find and report what the "
                                                              "policies would erase; change "
                                                              "nothing"),
        as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON")) -> None:
    """Apply the retention policies now and print a report per tenant."""
    container = build_container()
    prepare_database(container)
    tenant_id = resolve_tenant(container, tenant) if tenant else None
    reports = container.privacy.tenant_retention().run(
        tenant_id=tenant_id, dry_run=dry_run, triggered_by=f"cli:{operator()}")
    if as_json:
        for report in reports:
            typer.echo(json.dumps({
                "id": str(report.id), "tenant_id": str(report.tenant_id),
                "ran_at": report.ran_at.isoformat(), "dry_run": report.dry_run,
                "erase_inactive_contacts_months":
                    report.policy.erase_inactive_contacts_months,
                "inactive_before": report.inactive_before.isoformat()
                if report.inactive_before else None,
                "contacts_erased": report.contacts_erased, "failures": report.failures,
                "delete_message_bodies_months": report.policy.delete_message_bodies_months,
                "bodies_before": report.bodies_before.isoformat()
                if report.bodies_before else None,
                "message_bodies_deleted": report.message_bodies_deleted,
                "conversations": [{"conversation_id": str(c.conversation_id),
                                   "bodies": c.bodies, "outcome": c.outcome}
                                  for c in report.conversations],
                "contacts": [{"contact_id": str(c.contact_id),
                              "last_activity_at": c.last_activity_at.isoformat(),
                              "outcome": c.outcome} for c in report.contacts]}))
        return
    if not reports:
        console.print("no tenant has a retention policy: nothing to do")
        return
    for report in reports:
        months = report.policy.erase_inactive_contacts_months
        head = (f"tenant {report.tenant_id}: "
                + (f"erase contacts inactive for {months} months (before "
                   f"{report.inactive_before.isoformat() if report.inactive_before else '-'})"
                   if months else "keeps contacts"))
        console.print(head + ("  (dry run: nothing changed)" if report.dry_run else ""),
                      highlight=False, markup=False)
        if report.contacts:
            table = Table("contact", "last activity", "outcome")
            for contact in report.contacts:
                table.add_row(str(contact.contact_id), contact.last_activity_at.isoformat(),
                              contact.outcome)
            console.print(table)
        verb = "would erase" if report.dry_run else "erased"
        gone = "would delete" if report.dry_run else "deleted"
        console.print(f"  {verb} {report.contacts_erased} contacts, {gone} "
                      f"{report.message_bodies_deleted} message bodies, {report.failures} "
                      f"failed; report {report.id}", highlight=False)
