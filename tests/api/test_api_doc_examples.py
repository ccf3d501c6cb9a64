"""docs/api.md's promise: "Every JSON example below validates against the route's request
model" — and every /v1 route that takes a JSON body has one.

Checked by reading the document itself: each ```json block or inline `{…}` / `[{…}]` example is
taken with the `METHOD /path` named last before it, that route is found in the app, and the
example is validated against the route's body model (a registry PUT against the kind's model).
Before, `PATCH /v1/dockings/{docking_id}` (变更负责人、服务团) had no example: an integrator
following the document sent `{"owner": "李四"}` and met 422 `body.version 必填` — the body
needs the docking's `version` like a move.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from techmatch.models.programme import REGISTRY_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
_TOKEN = re.compile(r"```(\w*)\n(.*?)```|`([^`]+)`", re.S)
_ROUTE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S+)")
# PUT /v1/{kind}s/{id} takes POST's body ("the same body"); multipart routes take a file
SAME_AS_POST = re.compile(r"^/v1/(needs|achievements|experts)/\{rid")


def _examples() -> list[tuple[str, str, Any]]:
    text = DOC.read_text(encoding="utf-8")
    part = text[text.index("## Request bodies and examples"):text.index("## Limits and errors")]
    found: list[tuple[str, str, Any]] = []
    route: tuple[str, str] | None = None
    for m in _TOKEN.finditer(part):
        if m.group(2) is not None:
            if m.group(1) != "json":
                continue
            fragment = m.group(2)
        else:
            fragment = m.group(3)
            named = _ROUTE.match(fragment)
            if named:
                route = (named.group(1), named.group(2))
                continue
        fragment = fragment.strip()
        if not fragment.startswith(("{", "[")):
            continue
        try:
            value = json.loads(fragment)
        except json.JSONDecodeError:
            continue  # prose such as `{total, offset, limit, items}`
        assert route is not None, fragment
        found.append((*route, value))
    return found


def _concrete(path: str) -> str:
    """The documented path as a request would name it: options cut, placeholders filled."""
    path = re.split(r"[\[?]", path)[0]
    path = path.replace("{kind}s", "needs").replace("{kind}", "team")
    return re.sub(r"\{[^}]+\}", "X1", path)


def _api_routes(app: FastAPI) -> list[APIRoute]:
    out: list[APIRoute] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            out.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out.extend(r for r in inner.routes if isinstance(r, APIRoute))
    return out


def _route(app: FastAPI, method: str, path: str) -> APIRoute:
    matches = [r for r in _api_routes(app) if method in r.methods
               and r.path_regex.match(path)]
    assert matches, f"no route {method} {path}"
    return min(matches, key=lambda r: r.path.count("{"))  # /targets before /{kind}


def _json_body(route: APIRoute) -> Any:
    field = route.body_field
    if field is None:
        return None
    annotation = field.field_info.annotation
    if getattr(annotation, "__name__", "").startswith("Body_"):  # multipart form
        return None
    return annotation


def test_every_documented_json_example_validates_against_its_route(app: FastAPI) -> None:
    examples = _examples()
    assert len(examples) >= 20, examples
    for method, path, value in examples:
        concrete = _concrete(path)
        route = _route(app, method, concrete)
        model = _json_body(route)
        assert model is not None, f"{method} {path}: the route takes no JSON body"
        TypeAdapter(model).validate_python(value)
        kind = re.fullmatch(r"/v1/programme/(\w+)", concrete)
        if route.path == "/v1/programme/{kind}" and kind:
            for item in value:
                REGISTRY_TYPES[kind.group(1)].model_validate(item)


def test_every_json_body_route_has_a_documented_example(app: FastAPI) -> None:
    documented = {_route(app, method, _concrete(path).replace("/needs", f"/{plural}")).path
                  for method, path, _ in _examples()
                  for plural in (("needs", "achievements", "experts") if "{kind}s" in path
                                 else ("needs",))}
    missing = sorted(f"{sorted(r.methods)[0]} {r.path}" for r in _api_routes(app)
                     if r.path.startswith("/v1/") and _json_body(r) is not None
                     and not SAME_AS_POST.match(r.path) and r.path not in documented)
    assert missing == [], missing


@pytest.mark.parametrize("body", [{"owner": "李四"}])
def test_the_reassign_example_names_the_version(body: dict[str, str]) -> None:
    """The body an integrator tries first is refused for want of `version` — which is why the
    document shows it."""
    from techmatch.api.routers.dockings import AssignRequest

    with pytest.raises(ValueError, match="version"):
        AssignRequest.model_validate(body)
    documented = [v for m, p, v in _examples() if m == "PATCH"]
    assert documented and all("version" in v for v in documented)
