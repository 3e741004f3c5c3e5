"""Contacts and leads: registering people, capturing, importing and working leads."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.csv_import import MalformedFile
from entrypoints.http.leads.contacts import ContactsController
from entrypoints.http.leads.leads import LeadsController
from entrypoints.http.problems import problem
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    return {"contacts": root.leads.contact_queries(), "leads": root.leads.lead_queries()}


SLICE = Slice(
    "leads", [ContactsController, LeadsController],
    [Tag(name="leads", description="The lead pipeline"),
     Tag(name="contacts", description="People (data subjects)")],
    provide=_provide,
    problems={MalformedFile: lambda _, error: problem(400, "malformed-file", str(error))})
