"""Running a command from a request: tenant and actor from the token, If-Match, the
Idempotency-Key (first response stored with the events, replayed verbatim), and the position
header a client passes back to read its own write."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from litestar import Request, Response
from litestar.exceptions import ClientException
from pydantic import BaseModel

from application.bus import CommandBus, Idempotency, Replayed
from application.ports import CommandContext, ConsistencyGate, StoredResponse
from entrypoints.http.security import Principal

POSITION_HEADER = "X-Frontdesk-Position"
MIN_POSITION_HEADER = "X-Frontdesk-Min-Position"
CONSISTENCY_HEADER = "X-Frontdesk-Consistency"
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON = "application/json"


def context(request: Request[Principal, Any, Any]) -> CommandContext:
    principal = request.user
    return CommandContext(tenant_id=principal.tenant_id, actor=principal.actor,
                          roles=principal.roles)


def if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version the client last saw (``If-Match: 3`` or ``"3"``); ``*`` or absent: any."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    match = _IF_MATCH.match(raw)
    if not match:
        raise ClientException("If-Match must be a version number, e.g. If-Match: \"3\"")
    return int(match.group(1))


def stored(status: int, model: BaseModel, headers: dict[str, str] | None = None
           ) -> StoredResponse:
    return StoredResponse(status=status, body=model.model_dump_json().encode(),
                          headers=headers or {})


def execute(request: Request[Principal, Any, Any], bus: CommandBus, command: Any,
            render: Callable[[Any], StoredResponse], *,
            body: BaseModel | bytes | None,
            answer: Callable[[Any], StoredResponse] | None = None) -> Response[bytes]:
    """Run ``command`` (the bus finds its handler by its type); answer with ``render(result)``,
    or the stored first answer on a retry. ``body`` is what the client sent: with the method
    and path it is the fingerprint an Idempotency-Key is held to. ``answer``, when given,
    renders this request's own answer where it must differ from the one stored for retries
    (a secret shown once is never stored)."""
    idempotency = None
    key = request.headers.get("idempotency-key")
    if key is not None:
        if not _KEY.match(key):
            raise ClientException("Idempotency-Key must be 1-255 printable ASCII characters")
        sent = body.model_dump_json().encode() if isinstance(body, BaseModel) else body or b""
        digest = hashlib.sha256(request.method.encode() + b" " + request.url.path.encode()
                                + b"\n" + sent).hexdigest()
        idempotency = Idempotency(key=key, fingerprint=digest, render=render)
    outcome = bus.execute(command, context(request), idempotency)
    if isinstance(outcome, Replayed):
        response, position = outcome.response, outcome.position
        extra = {"Idempotent-Replayed": "true"}
    else:
        response, position, extra = (answer or render)(outcome.result), outcome.position, {}
    headers = {**dict(response.headers), **extra, POSITION_HEADER: position}
    return Response(content=response.body, status_code=response.status, media_type=JSON,
                    headers=headers)


def wait_for_own_writes(request: Request[Any, Any, Any], gate: ConsistencyGate,
                        projections: Sequence[str], timeout: float) -> dict[str, str]:
    """If the client sent the position of its write, wait (bounded) until the read models have
    it. Returns headers telling the client whether the answer includes that write."""
    raw = request.headers.get(MIN_POSITION_HEADER)
    if raw is None:
        return {}
    if not raw.strip().isdigit():
        raise ClientException(f"{MIN_POSITION_HEADER} must be a position from "
                              f"{POSITION_HEADER}")
    reached = gate.wait_for(raw.strip(), projections, timeout)
    return {CONSISTENCY_HEADER: "consistent" if reached else "stale"}
