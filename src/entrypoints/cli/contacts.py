"""``frontdesk contacts erase``: an operator erases a contact (GDPR art. 17) without the API.

The command is the API's: ``EraseContact`` through the command bus, so the erasure is the same
single commit (ContactErased, the data key destroyed, claims released, stored answers naming the
person deleted) and the read models purge the person when they reach it. The operator is the
event's actor (``operator:<login>``, in the audit log), and the command is also recorded as an
access event (``contact.erased``, user agent ``frontdesk-cli``, the host) beside the API's
reads. Re-applying erasures after a restore (runbook) is a loop over this command.
"""

from __future__ import annotations

import getpass
import json
import socket
from uuid import UUID

import typer
from rich.console import Console

from entrypoints.cli.boot import build_container, console, prepare_database
from entrypoints.container import Container

contacts_app = typer.Typer(help="Contact operations (the data subject).", no_args_is_help=True)
DEFAULT_REASON = "data subject request (GDPR art. 17)"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say why on stderr; nothing was changed."""
    Console(stderr=True).print(f"frontdesk: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def resolve_tenant(container: Container, tenant: str) -> UUID:
    """A tenant given by slug or by id; an unknown one is a clear error (exit 1)."""
    directory = container.identity.tenants()
    try:
        as_id: UUID | None = UUID(tenant)
    except ValueError:
        as_id = None
    record = directory.by_id(as_id) if as_id is not None else directory.by_slug(tenant)
    if record is None:
        raise fail(f"no tenant {tenant!r} (give its slug or id); nothing was changed")
    found: UUID = record.id
    return found


def operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without passwd entry)
        return "unknown"


@contacts_app.command("erase")
def erase(contact_id: str = typer.Argument(..., help="The contact's id"),
          tenant: str = typer.Option(..., help="Tenant slug or id"),
          reason: str = typer.Option(DEFAULT_REASON, help="Why (kept in the event, at most "
                                                          "200 characters)"),
          as_json: bool = typer.Option(False, "--json", help="Print the receipt as JSON")
          ) -> None:
    """Erase a contact by crypto-shredding, as DELETE /v1/contacts/{id} does, and print the
    receipt. Asking again answers again (already_erased) and changes nothing."""
    from application.bus import Executed
    from application.contacts.erasure import EraseContact, ErasureReceipt
    from application.identity.access import AuthEvent, Origin
    from application.ports import CommandContext
    from domain.shared import DomainError, NotFound

    try:
        subject = UUID(contact_id)
    except ValueError:
        raise fail(f"{contact_id!r} is not a contact id (a UUID); nothing was changed",
                   2) from None
    container = build_container()
    prepare_database(container)
    tenant_id = resolve_tenant(container, tenant)
    actor = f"operator:{operator()}"
    try:
        outcome = container.bus().execute(EraseContact(subject, reason),
                                          CommandContext(tenant_id, actor))
    except NotFound:
        raise fail(f"no contact {subject} in tenant {tenant}; nothing was changed") from None
    except DomainError as refused:
        raise fail(f"{refused}; nothing was changed") from None
    assert isinstance(outcome, Executed)
    receipt: ErasureReceipt = outcome.result
    container.identity.access_directory().record(AuthEvent(
        tenant_id=tenant_id, actor=actor, action="contact.erased", resource_type="contact",
        resource_id=str(subject), origin=Origin(None, "frontdesk-cli"),
        detail={"via": "cli", "host": socket.gethostname(), "reason": reason,
                "already_erased": receipt.already_erased}))
    document = {"contact_id": str(receipt.contact_id),
                "erased_at": receipt.erased_at.isoformat(),
                "requested_by": receipt.requested_by,
                "already_erased": receipt.already_erased, "data_key": "destroyed",
                "read_models_purged": list(receipt.read_models),
                "position": outcome.position}
    if as_json:
        typer.echo(json.dumps(document))
        return
    state = "was already erased" if receipt.already_erased else "erased"
    console.print(f"contact {receipt.contact_id} {state} at {receipt.erased_at.isoformat()} "
                  f"by {receipt.requested_by}; data key destroyed", highlight=False)
    console.print("read models purging the person: " + ", ".join(receipt.read_models),
                  highlight=False)
