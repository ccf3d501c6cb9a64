"""Errors in Chinese for staff. Errors are raised in Chinese at their source (the API and the
CLI show the same text), so a message in Chinese is shown as it is; one still holding an
English sentence keeps a Chinese headline by error type and the original text as the detail,
so nothing a staff member needs is hidden.

`tests/console/test_console_messages.py` raises the real errors of the docking, KPI and plan
code and checks each reads in Chinese without the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from techmatch.errors import (
    ConflictError,
    IndexError_,
    InfeasibleError,
    LockedError,
    NotFoundError,
    StoreUnavailableError,
    TechmatchError,
    ValidationError,
)

_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# an English sentence left in the text: three words in a row (ids such as need-blade, codes
# such as --kind need or on_duplicate='last' are not one)
_ENGLISH_PHRASE = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")

_HEADLINE: tuple[tuple[type[TechmatchError], str], ...] = (
    (StoreUnavailableError, "数据库暂时无法连接，请稍后重试"),
    (NotFoundError, "未找到"),
    (ConflictError, "操作冲突，请刷新后重试"),
    (LockedError, "另一个任务正在进行，请稍后重试"),
    (InfeasibleError, "约束无法同时满足"),
    (IndexError_, "索引尚未就绪"),
    (ValidationError, "输入有误"),
)


def upload_error(exc: TechmatchError) -> str:
    """A refused upload: '<file>：<reason>' (the loader raises its reasons in Chinese)."""
    message = exc.message if isinstance(exc, ValidationError) else str(exc)
    source = exc.source if isinstance(exc, ValidationError) else None
    return f"{source}：{message}" if source else message


def error_message(exc: TechmatchError, field_label: Callable[[str], str] | None = None) -> str:
    """What a staff member reads for `exc`: Chinese, naming the field (in Chinese) when known."""
    message = exc.message if isinstance(exc, ValidationError) else str(exc)
    field = exc.field if isinstance(exc, ValidationError) else getattr(exc, "field", None)
    if _CHINESE.search(message) and not _ENGLISH_PHRASE.search(message):
        chinese = message  # raised in Chinese at its source
    else:
        headline = next((text for kind, text in _HEADLINE if isinstance(exc, kind)), "操作未完成")
        chinese = f"{headline}（详情：{message}）"
    if field and field_label is not None:
        return f"{field_label(field)}：{chinese}"
    return chinese

