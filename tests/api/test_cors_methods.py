"""A browser client of another origin (TECHMATCH_CORS_ORIGINS) could not reassign a docking:
the preflight of PATCH /v1/dockings/{id} was refused (400, PATCH not among the allowed
methods), while every other documented method passed. CORS now allows each method the API
serves."""

from __future__ import annotations

from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.matcher.engine import Engine

ORIGIN = "https://staff.example"


def test_preflight_allows_every_documented_method(engine: Engine) -> None:
    settings = engine.settings.model_copy(update={"cors_origins": ORIGIN})
    with TestClient(create_app(settings, engine=engine)) as client:
        documented = {m.upper() for ops in client.get("/openapi.json").json()["paths"].values()
                      for m in ops}
        for method in sorted(documented):
            got = client.options("/v1/dockings/DK1", headers={
                "Origin": ORIGIN, "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "X-API-Key, Content-Type"})
            assert got.status_code == 200, (method, got.text)
            assert method in got.headers["access-control-allow-methods"]
