"""A bounded context's part of the HTTP API (a slice): its controllers, its OpenAPI tags, what
its routes receive, and the problems its own errors become. ``create_app`` loops over them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Request, Response
from litestar.openapi.spec import Tag
from litestar.types import ControllerRouterHandler

if TYPE_CHECKING:
    from entrypoints.container import Container

ProblemHandler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


@dataclass(frozen=True)
class Slice:
    name: str
    controllers: Sequence[ControllerRouterHandler]
    tags: Sequence[Tag] = ()
    provide: Callable[[Container], Mapping[str, object]] = lambda _: {}
    """Route parameter name → the collaborator it receives, built from the context's
    sub-container. A name two slices provide must be the same object."""
    problems: Mapping[type[Exception], ProblemHandler] = field(default_factory=dict)
    """The context's own errors → their problem+json answer."""
    stop: Callable[[Container], None] | None = None
    """Called when the app shuts down, before the runtime stops."""
    templates: Path | None = None
    """The slice's page templates (Jinja2), if it serves pages."""
    files: Callable[[Container], Sequence[ControllerRouterHandler]] = lambda _: ()
    """Routers of static files, which depend on where the configuration says they are."""
