"""The console's files: its own stylesheet and scripts from the package, and the third-party
ones (htmx, its SSE extension, Chart.js) from the npm registry's packages that `make install`
installs from package-lock.json. Never a CDN (ADR 0069)."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router
from litestar.types import PathType

from entrypoints.http.security import CONSOLE

OWN = Path(__file__).parent / "static"
VENDOR = {"htmx.min.js": "htmx.org/dist", "sse.min.js": "htmx-ext-sse/dist",
          "chart.umd.min.js": "chart.js/dist"}
"""The third-party files the pages load, and the package folder each comes from."""


def missing(packages: Path) -> list[str]:
    """The vendor files not installed (run `make install`)."""
    return [name for name, folder in VENDOR.items() if not (packages / folder / name).is_file()]


def routers(packages: Path) -> list[Router]:
    hour = CacheControlHeader(max_age=3600, private=True)
    vendor: list[PathType] = [packages / f for f in sorted(set(VENDOR.values()))]
    own: list[PathType] = [OWN]
    return [
        create_static_files_router(f"{CONSOLE}/static", own, name="console-static",
                                   opt={"public": True}, cache_control=hour),
        create_static_files_router(f"{CONSOLE}/vendor",
                                   vendor,
                                   name="console-vendor", opt={"public": True},
                                   cache_control=hour),
    ]
