"""Finishing touches on the generated OpenAPI document: every error answer is documented as
what it is, RFC 9457 ``application/problem+json`` with the Problem schema, including a
``default`` response for every status an operation may answer that it does not list; and each
operation states the roles its route enforces. The document is committed as
``docs/openapi.json`` (``committed_form``); ``make openapi`` writes it from the app."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute
from litestar.serialization import encode_json, get_serializer

PROBLEM_JSON = "application/problem+json"
API_VERSION = version("frontdesk")
"""``info.version``: the distribution's version (pyproject.toml), not a number kept by hand."""
_SPACES = re.compile(r"(?<=\S)  +(?=\S)")
PROBLEM = Schema(
    type=OpenAPIType.OBJECT, required=["type", "title", "status"],
    description="RFC 9457 problem details; some problems add fields (errors, existing_id, "
                "current_version, retry_after…).",
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="A stable URI per kind of problem",
                       examples=["https://frontdesk.dev/problems/stale-version"]),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(
            type=OpenAPIType.OBJECT, properties={"field": Schema(type=OpenAPIType.STRING),
                                                 "message": Schema(type=OpenAPIType.STRING)})),
    })


def document_problems(app: Litestar) -> None:
    openapi = app.openapi_schema
    if openapi.components is None:
        openapi.components = Components()
    schemas = openapi.components.schemas
    if schemas is None:
        schemas = openapi.components.schemas = {}
    schemas["Problem"] = PROBLEM
    problem = {PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))}
    for path_item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for code, response in list(responses.items()):
                if isinstance(response, OpenAPIResponse) and code[:1] in ("4", "5"):
                    response.content = dict(problem)
            responses.setdefault("default", OpenAPIResponse(
                description="An error: RFC 9457 problem details", content=dict(problem)))
            operation.responses = responses


def document_roles(app: Litestar) -> None:
    """Ends each operation's description with the roles that ``require_roles`` enforces for it
    (declared once, on the controller or the route), so the document cannot drift from them."""
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            allowed = handler.opt.get("roles")
            operation = getattr(paths[route.path_format], method.lower(), None)
            if allowed is None or operation is None:
                continue
            described = _SPACES.sub(" ", (operation.description or "").strip())
            operation.description = f"{described} Roles: {', '.join(sorted(allowed))}.".lstrip()


FILES = ("application/pdf", "text/csv")
"""Media types sent or answered as files: a generated client takes or gives bytes for them."""


def document_files(app: Litestar) -> None:
    """A PDF or CSV body or answer is ``format: binary``: a plain string made generated clients
    type a PDF as text and send a CSV file as nothing (openapi-python-client)."""
    for path_item in (app.openapi_schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            bodies = [operation.request_body, *(operation.responses or {}).values()]
            for body in bodies:
                for media, content in (getattr(body, "content", None) or {}).items():
                    if media in FILES and isinstance(content.schema, Schema):
                        content.schema.type = OpenAPIType.STRING
                        content.schema.format = OpenAPIFormat.BINARY


def served(app: Litestar) -> dict[str, Any]:
    """The document as ``/schema/openapi.json`` answers it (its examples encoded by the app's
    own type encoders)."""
    encoded = encode_json(app.openapi_schema.to_schema(),
                          serializer=get_serializer(app.type_encoders))
    document: dict[str, Any] = json.loads(encoded)
    return document


def committed_form(document: Mapping[str, Any]) -> str:
    """The document as ``docs/openapi.json`` holds it: two-space indents, keys sorted, UTF-8,
    one trailing newline; the same document always gives the same bytes (reviewable diffs)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
