"""登录 / 退出: a staff API key → a signed session cookie (HttpOnly, SameSite=Strict)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import FormPost, codec_of, render, state_of
from techmatch.api.console.pages.common import console_router
from techmatch.api.console.session import LOGIN_COOKIE, SESSION_COOKIE, tokens_equal
from techmatch.api.security import Principal

router = console_router()


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect to another site after login."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {
        "title": "登录", "error": error, "login_csrf": token,
        "next": _safe_next(request.query_params.get("next"))}, status_code=status)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(request: Request, api_key: Annotated[str, Form(max_length=512)] = "",
          csrf_token: Annotated[str | None, Form()] = None,
          next_url: Annotated[str | None, Form(alias="next")] = None) -> Response:
    if not tokens_equal(csrf_token, request.cookies.get(LOGIN_COOKIE, "")):
        return _login_page(request, error="登录表单已过期，请重新提交", status=403)
    state = state_of(request)
    principal = (Principal("admin", "anonymous") if state.anonymous
                 else state.keyring.authenticate(api_key.strip()) if api_key.strip() else None)
    if principal is None:
        return _login_page(request, error="密钥无效，请检查后重试", status=401)
    codec = codec_of(request)
    value, _session = codec.issue(principal)
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    response.set_cookie(SESSION_COOKIE, value, max_age=codec.ttl_seconds, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: FormPost) -> Response:
    codec_of(request).revoke(session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
