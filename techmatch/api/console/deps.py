"""Console dependencies: the logged-in session, write role, CSRF check, and page rendering.

Failures raise the small exceptions below; `ConsoleRoute` turns them (and techmatch errors)
into HTML answers: a redirect to the login page, or an error page in Chinese.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from techmatch.api.console import charts, labels
from techmatch.api.console.highlight import mark
from techmatch.api.console.session import SESSION_COOKIE, SessionCodec, StaffSession, tokens_equal
from techmatch.api.state import AppState
from techmatch.models.programme import china_minute

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(labels=labels.TABLES, label=labels.label, mark=mark,
                             signal_bar=charts.signal_bar, meter=charts.meter,
                             number=charts.number)
TEMPLATES.env.filters["china_minute"] = china_minute  # stored UTC → 北京时间 for staff
TEMPLATES.env.filters["actor"] = labels.actor  # write:58855166 → 编辑（密钥 58855166）
# (path, label, role needed): pages that only write are not offered to read keys.
NAV = (("/", "工作台", "read"), ("/needs", "需求库", "read"), ("/achievements", "成果库", "read"),
       ("/experts", "专家库", "read"), ("/needs/new", "需求录入", "write"),
       ("/upload", "批量导入", "write"), ("/dockings", "对接看板", "read"),
       ("/plans/roadshow", "路演策划", "write"), ("/plans/assign", "服务团派单", "write"),
       ("/coverage", "覆盖分析", "read"), ("/evaluation", "评估", "read"),
       ("/programme", "项目看板", "read"), ("/programme/events", "活动", "read"),
       ("/programme/training", "培训策划", "write"))


class LoginRequired(Exception):
    """No valid session: go to the login page and come back to `next_url`."""

    def __init__(self, next_url: str = "/") -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """The session's role may not do this (or the CSRF token is missing or wrong)."""


def state_of(request: Request) -> AppState:
    return request.app.state.tm  # type: ignore[no-any-return]


def codec_of(request: Request) -> SessionCodec:
    return request.app.state.console_codec  # type: ignore[no-any-return]


def current_session(request: Request) -> StaffSession:
    """The session of the request's cookie, if its key is still configured; else LoginRequired."""
    session = codec_of(request).read(request.cookies.get(SESSION_COOKIE))
    state = state_of(request)
    if session is not None and not state.anonymous and not any(
            role == session.role and digest.startswith(session.key_id)
            for role, digest in state.keyring.entries):
        session = None  # the key was removed from the configuration since login
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/")
    return session


Staff = Annotated[StaffSession, Depends(current_session)]


def writer_session(session: Staff) -> StaffSession:
    if not session.can_write:
        role = labels.label(labels.ROLE, session.role)
        raise Forbidden(f"此操作需要编辑或管理员权限，当前为{role}")
    return session


def csrf_session(session: Staff, csrf_token: Annotated[str | None, Form()] = None
                 ) -> StaffSession:
    """A form post's session, refused (403) unless it carries the session's CSRF token."""
    if not tokens_equal(csrf_token, session.csrf):
        raise Forbidden("表单校验失败（缺少或错误的 CSRF 令牌），请刷新页面后重试")
    return session


def csrf_writer(session: Annotated[StaffSession, Depends(csrf_session)]) -> StaffSession:
    return writer_session(session)


Writer = Annotated[StaffSession, Depends(writer_session)]
FormPost = Annotated[StaffSession, Depends(csrf_session)]
WriterPost = Annotated[StaffSession, Depends(csrf_writer)]


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           session: StaffSession | None = None, status_code: int = 200) -> Response:
    """A page from `templates/`, with the navigation, the session and its CSRF token."""
    nav = [(href, name) for href, name, role in NAV
           if session is not None and session.principal.allows(role)]
    ctx = {"nav": nav, "staff": session, "csrf": session.csrf if session else "",
           "path": request.url.path, **(context or {})}
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)


def login_redirect(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")
