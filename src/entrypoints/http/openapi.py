"""Finishing touches on the generated OpenAPI document: every error answer is documented as
what it is, RFC 9457 ``application/problem+json`` with the Problem schema, including a
``default`` response for every status an operation may answer that it does not list; and each
operation states the roles its route enforces. The document is committed as
``docs/openapi.json`` (``committed_form``); ``make openapi`` writes it from the app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib.metadata import version
from typing import Any, get_args

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin  # the served document's one copy
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
from pydantic import BaseModel

from entrypoints.http.problems import problem_types

PROBLEM_JSON = "application/problem+json"
API_VERSION = version("frontdesk")
"""``info.version``: the distribution's version (pyproject.toml), not a number kept by hand."""
_SPACES = re.compile(r"(?<=\S)  +(?=\S)")
PROBLEM = Schema(
    type=OpenAPIType.OBJECT, required=["type", "title", "status"],
    description="RFC 9457 problem details; some problems add fields (errors, existing_id, "
                "current_version, retry_after…).",
    properties={
        "type": Schema(type=OpenAPIType.STRING, description=(
            "A stable URI per kind of problem. `validation`: the request breaks this document's "
            "schema; `invalid-value`, `unstorable-value`, `bad-cursor`, `malformed-*` and the "
            "409 codes: a rule no schema can state (ADR 0077)"),
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
    problem_type = PROBLEM.properties["type"]  # type: ignore[index]
    schemas["Problem"] = replace(PROBLEM, properties={
        **(PROBLEM.properties or {}), "type": replace(problem_type, enum=problem_types())})
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
            if operation.parameters or operation.request_body:
                responses.setdefault("422", OpenAPIResponse(
                    description="`validation`: the request breaks this document's schema; "
                                "`invalid-value`, `unstorable-value`: a rule beyond it "
                                "(ADR 0077)", content=dict(problem)))
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
            roles = f"Roles: {', '.join(sorted(allowed))}."
            if not described.endswith(roles):  # a path shared by two controllers comes twice
                operation.description = f"{described} {roles}".lstrip()


# -- the exact contract (ADR 0077) --------------------------------------------------------------

REF = "#/components/schemas/"


def publish_exact_contract(app: Litestar, request_models: Iterable[type[BaseModel]]) -> None:
    """Makes the served document say exactly what the API accepts: every request body is
    described by pydantic's own JSON Schema of the model that validates it (closed objects,
    patterns, item counts, key sets, bounds and nullability as enforced), where Litestar's
    translation drops some of them; and public operations declare that they need no
    credentials. Edits the document Litestar serves, once, at start."""
    document = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    keys = {model: _component_key(model, schemas) for model in request_models}
    for model, key in keys.items():
        if key is None:
            continue
        schema = model.model_json_schema(ref_template="{model}", mode="validation")
        nested = _nested_models(model)
        for name, definition in schema.pop("$defs", {}).items():
            target = keys.get(nested[name]) if name in nested else None
            if target is None:  # not a request model Litestar named: publish it as pydantic does
                target = name
                schemas[target] = _tidy(definition, nested, keys)
        schemas[key] = _tidy(schema, nested, keys)
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = document.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if operation is not None and handler.opt.get("public") and "security" not in operation:
                operation["security"] = []


def _component_key(model: type[BaseModel], schemas: dict[str, Any]) -> str | None:
    """Litestar names a component by the class, prefixed by as much of its module path as it
    takes to tell apart classes of the same name."""
    dotted = "_".join([*model.__module__.split(".")[1:], model.__name__])
    found = [key for key in schemas if key == model.__name__ or dotted.endswith("_" + key)]
    return max(found, key=len) if found else None


def _nested_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                found[annotation.__name__] = annotation
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for argument in get_args(annotation):
            visit(argument)

    for field in model.model_fields.values():
        visit(field.annotation)
    return found


def _tidy(schema: Any, nested: dict[str, type[BaseModel]],
          keys: dict[type[BaseModel], str | None]) -> Any:
    """Pydantic's schema with refs pointing at the document's components and without the
    per-property titles pydantic derives from field names."""
    if isinstance(schema, list):
        return [_tidy(item, nested, keys) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tidied: dict[str, Any] = {}
    for name, value in schema.items():
        if name == "$ref":
            model = nested.get(value)
            tidied[name] = REF + ((keys.get(model) if model else None) or value)
        elif name == "properties":
            tidied[name] = {field: _tidy({k: v for k, v in spec.items()
                                          if k != "title" and not _unused_default(k, v, spec)},
                                         nested, keys)
                            for field, spec in value.items()}
        else:
            tidied[name] = _tidy(value, nested, keys)
    if "patternProperties" in tidied and "additionalProperties" not in tidied:
        tidied["additionalProperties"] = False  # a dict whose keys have a pattern: only those
    return tidied


def _unused_default(keyword: str, value: Any, spec: dict[str, Any]) -> bool:
    """``"default": null`` on a field that does not admit null: pydantic's marker for "left
    out, unchanged", which a client must not take for a value to send."""
    return keyword == "default" and value is None and "anyOf" not in spec


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
    encoded = encode_json(app.plugins.get(OpenAPIPlugin).provide_openapi_schema(),
                          serializer=get_serializer(app.type_encoders))
    document: dict[str, Any] = json.loads(encoded)
    return document


def committed_form(document: Mapping[str, Any]) -> str:
    """The document as ``docs/openapi.json`` holds it: two-space indents, keys sorted, UTF-8,
    one trailing newline; the same document always gives the same bytes (reviewable diffs)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
