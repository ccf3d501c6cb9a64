"""Request limits: body size (413), text hygiene of every JSON string and query value (422),
caps on `k`, page depth, query and list lengths.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import parse_qsl

from markupsafe import escape
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techmatch.api.errors import FieldError, problem_response
from techmatch.errors import ValidationError
from techmatch.models.validation_zh import decode_reason_zh

MAX_K = 100
MAX_PAGE_DEPTH = 10_000
MAX_PAGE_SIZE = 200
MAX_QUERY_CHARS = 2_000
MAX_BATCH = 1_000
MAX_FILTER_VALUES = 50
MAX_JSON_DEPTH = 32
_ALLOWED_CONTROLS = frozenset("\n\t\r")  # \r too: pasted Windows text is common and harmless


def text_problem(text: str) -> str | None:
    """Why `text` is unacceptable (lone surrogate, control character), or None if it is fine."""
    for pos, ch in enumerate(text, 1):  # counted as staff count: the first character is 第 1 个
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return f"第 {pos} 个字符是孤立的代理码位 U+{code:04X}（不是有效的 Unicode 字符）"
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc":
            return (f"第 {pos} 个字符是控制字符 U+{code:04X}；只允许换行符和制表符")
    return None


def find_bad_text(value: object, root: str = "body") -> FieldError | None:
    """First string (key or value) in a JSON document that `text_problem` rejects."""
    stack: list[tuple[object, str, int]] = [(value, root, 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return FieldError(field=path, message=f"嵌套超过 {MAX_JSON_DEPTH} 层", code="too_deep")
        if isinstance(node, str):
            problem = text_problem(node)
            if problem:
                return FieldError(field=path, message=problem, code="text_invalid")
        elif isinstance(node, dict):
            for key, child in node.items():
                problem = text_problem(key)
                if problem:
                    return FieldError(field=path, message=f"字段名中{problem}",
                                      code="text_invalid")
                stack.append((child, f"{path}.{key}", depth + 1))
        elif isinstance(node, list):
            stack.extend((child, f"{path}.{i}", depth + 1) for i, child in enumerate(node))
    return None


def check_page(offset: int, limit: int) -> None:
    """Deep pagination is refused: offset + limit must stay within MAX_PAGE_DEPTH."""
    if offset + limit > MAX_PAGE_DEPTH:
        raise ValidationError(f"offset + limit 不能超过 {MAX_PAGE_DEPTH}（当前为 "
                              f"{offset + limit}）；请收窄筛选条件，不要翻得更深",
                              field="query.offset")


def _query_problem(scope: Scope) -> FieldError | None:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return None
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                          errors="strict")
    except UnicodeDecodeError as exc:
        return FieldError(field="query", message="查询字符串不是有效的 UTF-8："
                          + decode_reason_zh(exc.reason), code="utf8_invalid")
    for name, value in pairs:
        problem = text_problem(name) or text_problem(value)
        if problem:
            return FieldError(field=f"query.{name if not text_problem(name) else '?'}",
                              message=problem, code="text_invalid")
    return None


def _json_problem(body: bytes) -> FieldError | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FieldError(field="body", message=f"请求体不是有效的 UTF-8：偏移 {exc.start} "
                          f"处的字节 0x{body[exc.start]:02x}"
                          f"（{decode_reason_zh(exc.reason)}）", code="utf8_invalid")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # FastAPI reports malformed JSON itself (422 json_invalid)
    return find_bad_text(document)


def _is_json(headers: Headers) -> bool:
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


class RequestLimitMiddleware:
    """Pure ASGI middleware: 413 above `max_body_bytes` (Content-Length or streamed bytes),
    422 for invalid UTF-8, lone surrogates or control characters in query values and in every
    string of a JSON body. The body is buffered (it is bounded) and replayed to the app.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._too_large(scope, receive, send, declared=declared)
            return
        bad = _query_problem(scope)
        body = await self._read(receive)
        if body is None:
            await self._too_large(scope, receive, send, declared=None)
            return
        if bad is None and body and _is_json(headers):
            bad = _json_problem(body)
        if bad is not None:
            response: Response = (
                _console_answer("文本无效", _console_text_message(bad), 422)
                if _console_page(scope) else
                problem_response(422, f"{bad.field}: {bad.message}", slug="bad-text",
                                 title="文本无效 (invalid text)", errors=[bad]))
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it exceeds the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, *,
                         declared: str | None) -> None:
        response: Response
        if declared is not None and not declared.isdigit():
            response = problem_response(400, f"Content-Length 无效：{declared!r}")
        elif _console_page(scope):  # a staff member's upload form: a page, not JSON
            response = _console_answer(
                "文件过大", f"上传内容超过 {self.max_body_bytes / 1e6:g} MB 的上限"
                "（TECHMATCH_MAX_BODY_BYTES），请拆分文件后分批上传", 413)
        else:
            response = problem_response(
                413, f"请求体超过 {self.max_body_bytes} 字节的上限（设置项 "
                     f"TECHMATCH_MAX_BODY_BYTES），请拆分批量请求或文件",
                slug="too-large")
        await response(scope, receive, send)


_CONSOLE_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
    '<link rel="stylesheet" href="/static/console/console.css"></head><body><main id="main">'
    '<h1>{title}</h1><p class="error" role="alert">{message}</p>'
    '<p><a href="javascript:history.back()">返回上一页</a> · <a href="/">回到工作台</a></p>'
    '</main></body></html>')
_CODE_POINT = re.compile(r"U\+[0-9A-F]{4}")


def _console_answer(title: str, message: str, status: int) -> Response:
    """The console's answer to a request refused before routing: a small zh-CN page."""
    return HTMLResponse(_CONSOLE_PAGE.format(title=escape(title), message=escape(message)),
                        status_code=status)


def _console_text_message(bad: FieldError) -> str:
    if bad.field == "query":
        return "网址中的查询参数不是有效的 UTF-8 编码，请回到页面重新输入"
    if not bad.field.startswith("query."):
        return "提交的内容含有无法处理的字符，请删除后重试"
    found = _CODE_POINT.search(bad.message)
    return (f"搜索或筛选条件含有无法处理的字符 {found.group() if found else ''}"
            "（常见于从 Word / PDF 粘贴的控制字符），请删除后重试")


def _console_page(scope: Scope) -> bool:
    """A browser asking a console page (not the /v1 API) for HTML."""
    accept = Headers(scope=scope).get("accept", "")
    return not str(scope.get("path", "")).startswith("/v1/") and "text/html" in accept


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
