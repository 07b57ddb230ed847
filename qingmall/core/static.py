"""Serving built front ends (the H5 storefront at ``/``) from the API process.

Vite names every asset by its content hash, so ``/assets/*`` may be cached for a year; ``index.html`` must
be revalidated on every visit or a new release would never reach a shopper whose browser kept the old page.
The build step writes a gzip copy beside each text asset (``frontend/compress.mjs``); a browser that accepts
gzip gets that copy, so a phone on a slow network downloads about a third of the bytes and the server spends
no CPU compressing.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def _accepts_gzip(scope: Scope) -> bool:
    return "gzip" in Headers(scope=scope).get("accept-encoding", "").lower()


class BuiltSiteFiles(StaticFiles):
    """A built single-page site: hashed assets cached for good, the HTML shell always revalidated."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and isinstance(response, FileResponse):
            compressed = Path(f"{response.path}.gz")
            if compressed.is_file():
                if _accepts_gzip(scope):
                    response = FileResponse(compressed, media_type=response.media_type,
                                            headers={"Content-Encoding": "gzip"})
                response.headers["Vary"] = "Accept-Encoding"
        if response.status_code in (200, 304):
            hashed = path.startswith("assets/")
            response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
        return response


def built_site(directory: Path) -> BuiltSiteFiles | None:
    """The site in ``directory`` if it has been built (it has an ``index.html``), else None."""
    if not (directory / "index.html").is_file():
        return None
    return BuiltSiteFiles(directory=directory, html=True)


# paths that belong to the service, never to the storefront: an unknown one stays the API's JSON 404
SERVICE_PREFIXES = ("/api/", "/sandbox/", "/media/", "/console", "/docs", "/redoc", "/openapi.json", "/healthz")


def serve_storefront_when_nothing_matches(app: Starlette, site: BuiltSiteFiles) -> None:
    """Serve ``site`` for any request no route or mount claims (the router's fallback, not a mount at ``/``),
    so routes added later, by tests or plugins, still win and the API keeps its own 404s."""
    not_found = app.router.default

    async def storefront_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(SERVICE_PREFIXES):
            await site(scope, receive, send)
        else:
            await not_found(scope, receive, send)

    app.router.default = storefront_or_not_found
