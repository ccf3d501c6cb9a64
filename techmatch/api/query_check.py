"""Unknown query parameters are refused, not ignored: `?statu=open` must not list everything.

A dependency of every /v1 router (app.py): it reads the matched route's declared query
parameters (its own and its dependencies', by alias) and raises a 422 naming the first
unknown one.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from techmatch.api.deps import Reader
from techmatch.errors import ValidationError

_DECLARED: dict[int, frozenset[str]] = {}


def reject_unknown_query(request: Request, principal: Reader) -> None:
    """422 `query.<name>` listing the valid names when the URL carries an undeclared one.

    It depends on the read key check (cached per request) so a caller without a key still
    gets 401 first.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    declared = _DECLARED.get(id(route))
    if declared is None:
        declared = _DECLARED[id(route)] = frozenset(_query_names(route.dependant))
    unknown = sorted(set(request.query_params.keys()) - declared)
    if unknown:
        valid = ", ".join(sorted(declared)) or "无"
        raise ValidationError(f"未知查询参数 '{unknown[0]}'；可用：{valid}",
                              field=f"query.{unknown[0]}")


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
