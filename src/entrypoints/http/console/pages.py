"""What every console page shares: who is looking, how a page or fragment is rendered, how a
command runs for a person at a browser (its refusal shown, not thrown), and the error pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.response import Template

from application.bus import CommandBus, Executed
from application.ports import BadCursor, CommandContext
from domain.shared import DomainError, NotFound
from entrypoints.http.deps import ReadSide, Req
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.security import ANALYSTS, CONSOLE, SUPERVISORS, WRITERS, Principal


@dataclass(frozen=True)
class Me:
    """The person at the browser, as templates see them."""

    user_id: UUID
    roles: list[str]
    works: bool
    """May work conversations and tasks (the writers' roles)."""
    supervises: bool
    """May see the wall and the analytics (admins, supervisors, analysts)."""
    manages: bool
    """May import leads, answer privacy requests and see the operations pages: audit log,
    projections, what-if (admins, supervisors)."""

    @classmethod
    def of(cls, principal: Principal) -> Me:
        return cls(principal.user_id, sorted(principal.roles),
                   not principal.roles.isdisjoint(WRITERS),
                   not principal.roles.isdisjoint(ANALYSTS),
                   not principal.roles.isdisjoint(SUPERVISORS))


def page(name: str, request: Req, status: int = 200, **values: Any) -> Template:
    """A template of the console with the viewer in it (``me``)."""
    user = request.scope.get("user")
    me = Me.of(user) if isinstance(user, Principal) else None
    return Template(template_name=f"console/{name}", context={"me": me, **values},
                    status_code=status)


@dataclass(frozen=True)
class Attempt:
    error: str | None
    """Why the command was refused, to show beside the form; None when it ran."""
    result: Any = None
    """What the command's handler returned when it ran (a receipt, a report)."""


def render(request: Req, name: str, **values: Any) -> str:
    """A fragment as HTML text (for the live stream), with the viewer in it like a page."""
    engine = request.app.template_engine
    assert engine is not None
    user = request.scope.get("user")
    me = Me.of(user) if isinstance(user, Principal) else None
    return str(engine.get_template(f"console/{name}").render(me=me, **values))


def attempt(bus: CommandBus, command: Any, ctx: CommandContext, reads: ReadSide,
            read_models: tuple[str, ...]) -> Attempt:
    """Run ``command`` for the person at the browser and wait (bounded) until ``read_models``
    include it, so the fragment rendered next shows it. A refusal (a domain rule, a stale
    state) is the text to show beside the form, not an error page."""
    try:
        done = bus.execute(command, ctx)
    except DomainError as refused:
        return Attempt(refused.message)
    assert isinstance(done, Executed)
    reads.gate.wait_for(done.position, read_models, reads.timeout)
    return Attempt(None, done.result)


def not_found_page(request: Request[Any, Any, Any], _: NotFound) -> Response[Any]:
    """Another tenant's id and a missing one get the same page (like the API's 404)."""
    return page("error.html", request, 404, title="Not found",
                detail="There is nothing here, or it is not yours to see.")


def refused_page(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    return page("error.html", request, 409, title="That did not work",
                detail=error.message)


def bad_request_page(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    return page("error.html", request, 400, title="That address is not right",
                detail="A part of the address is not what this page expects.")


def refused_role(request: Request[Any, Any, Any],
                 refused: PermissionDeniedException) -> Response[Any]:
    """A console page the person's role may not see (or a form without its CSRF token) is a
    403 page; the API's refusals stay problem+json."""
    if not request.url.path.startswith(CONSOLE):
        return EXCEPTION_HANDLERS[HTTPException](request, refused)  # type: ignore[no-any-return]
    return page("error.html", request, 403, title="Not allowed",
                detail=str(refused.detail))


PAGE_ERRORS: dict[Any, Any] = {NotFound: not_found_page, DomainError: refused_page,
                               ValidationException: bad_request_page}
"""The console's controllers answer these with pages, not problem+json."""


REPORT_ERRORS: dict[Any, Any] = {**PAGE_ERRORS, BadCursor: bad_request_page}
"""The report pages' errors: a forged cursor is a 400 page too (a role refused is the
console's 403 page, ``refused_role``)."""
