"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz.hooks): a check that the OpenAPI document
publishes every constraint the request validator enforces (ADR 0077)."""

from __future__ import annotations

import json

import schemathesis

VALIDATION = "https://frontdesk.dev/problems/validation"


@schemathesis.check
def schema_refusals_are_published(ctx: schemathesis.CheckContext, response: object,
                                  case: schemathesis.Case) -> bool | None:
    """A request the document says is valid must not be refused by the schema validator."""
    meta = case.meta
    status = getattr(response, "status_code", 0)
    if meta is None or not meta.generation.mode.is_positive or status not in (400, 422):
        return None
    try:
        problem = json.loads(getattr(response, "content", b"") or b"{}")
    except ValueError:
        return None
    if isinstance(problem, dict) and problem.get("type") == VALIDATION:
        raise AssertionError("a request valid by the document was refused by the schema "
                             f"validator, so the document does not publish a constraint: "
                             f"{json.dumps(problem)[:600]}")
    return None
