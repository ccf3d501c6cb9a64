"""The API reference pages (/docs: Swagger UI, /redoc: ReDoc) served from the package itself.

FastAPI's own pages load their scripts from cdn.jsdelivr.net (and ReDoc its fonts from Google):
on a platform's intranet, without internet access, they stay blank, and where they load, a
third party's script runs on the console's origin beside staff sessions. The same pages here
take the scripts bundled by the `fastapi-offline` package (MIT; Swagger UI and ReDoc, each
under its own licence), served under /docs/assets/.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs/assets"


def assets_dir() -> Path:
    """The folder of the bundled Swagger UI and ReDoc files."""
    return Path(str(resources.files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """Add /docs and /redoc to `app` (created with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} – 接口文档",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} – 接口文档",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)


__all__ = ["ASSETS", "assets_dir", "install_docs"]
