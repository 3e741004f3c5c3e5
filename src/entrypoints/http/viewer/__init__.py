"""The API viewer at ``/schema``: Swagger UI from the npm registry's ``swagger-ui-dist`` (pinned by
package-lock.json, installed by ``make install``) and served by Frontdesk under
``/schema/assets/``. The page has no inline script or style and loads nothing from another
origin, so its Content-Security-Policy is ``'self'`` only (ADR 0076)."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.types import PathType

__all__ = ["ASSETS", "SwaggerViewer", "missing", "routers"]

log = logging.getLogger("frontdesk.viewer")
ASSETS = "/schema/assets"
PACKAGE = "swagger-ui-dist"
VENDOR = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
"""The package's files the page loads."""
OWN = Path(__file__).parent / "static"
"""``viewer.js`` starts Swagger UI (an inline script would need ``'unsafe-inline'``)."""


class SwaggerViewer(OpenAPIRenderPlugin):
    """Litestar's Swagger plugin inlines the whole document in a script and loads its files from
    a CDN; this page names same-origin files only and lets Swagger UI fetch the document."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path, style="",
                         favicon=f'<link rel="icon" type="image/png" '
                                 f'href="{ASSETS}/favicon-32x32.png">')

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        spec = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{self.favicon}
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<script src="{ASSETS}/swagger-ui-bundle.js" defer></script>
<script src="{ASSETS}/viewer.js" defer></script>
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec}"></div>
</body>
</html>
""".encode()


def missing(packages: Path) -> list[str]:
    """The package's files that are not installed (run `make install`)."""
    return [name for name in VENDOR if not (packages / PACKAGE / name).is_file()]


def routers(packages: Path) -> list[Router]:
    absent = missing(packages)
    if absent:
        log.warning("API viewer assets missing under %s (%s): run `make install`",
                    packages / PACKAGE, ", ".join(absent))
    directories: list[PathType] = [OWN, packages / PACKAGE]
    return [create_static_files_router(ASSETS, directories, name="api-viewer-assets",
                                       opt={"public": True},
                                       cache_control=CacheControlHeader(max_age=3600))]
