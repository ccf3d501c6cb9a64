"""Errors in Chinese for staff: the lower layers' messages that are still English read through
a catalogue of their known forms; an unknown form keeps a Chinese headline by error type and the
original text as the detail, so nothing a staff member needs is hidden. A message raised in
Chinese (the loaders' file, row and warning texts, the request validation) is shown as it is.

The catalogue matches the message text (ValidationError's `message`, without the field prefix);
`tests/console/test_console_messages.py` raises the real errors of the docking, programme and
plan code and checks each reads in Chinese, so a reworded message fails there, not silently.
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

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


_KIND = {"need": "需求", "achievement": "成果", "expert": "专家", "city": "城市",
         "team": "服务团", "event": "活动", "industry": "行业", "target": "目标",
         "pilot city": "试点城市", "service team": "服务团"}

# Docking, programme, plan and store messages (techmatch/matcher/dockings, programme, plans,
# assignment; techmatch/store/dockings, programme).
_RULES: tuple[Rule, ...] = (
    (re.compile(r"^no index for kind '(need|achievement|expert)'; run `techmatch index`$"),
     lambda m: f"{_KIND[m.group(1)]}索引尚未建立：导入记录后运行 techmatch index"),
    (re.compile(r"^lock '(.+)' is held by another (?:node|process).*$"),
     r"另一个进程正在执行「\1」，请稍后重试"),
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


def _translate(rules: tuple[Rule, ...], message: str) -> str | None:
    for pattern, chinese in rules:
        m = pattern.match(message)
        if m:
            return chinese(m) if callable(chinese) else m.expand(chinese)
    return None


def upload_error(exc: TechmatchError) -> str:
    """A refused upload: '<file>：<reason>' (the loader raises its reasons in Chinese)."""
    message = exc.message if isinstance(exc, ValidationError) else str(exc)
    source = exc.source if isinstance(exc, ValidationError) else None
    return f"{source}：{message}" if source else message


def error_message(exc: TechmatchError, field_label: Callable[[str], str] | None = None) -> str:
    """What a staff member reads for `exc`: Chinese, naming the field (in Chinese) when known."""
    message = exc.message if isinstance(exc, ValidationError) else str(exc)
    field = exc.field if isinstance(exc, ValidationError) else getattr(exc, "field", None)
    chinese = _translate(_RULES, message)
    if chinese is None and _CHINESE.search(message) and not _ENGLISH_PHRASE.search(message):
        chinese = message  # raised in Chinese already
    if chinese is None:
        headline = next((text for kind, text in _HEADLINE if isinstance(exc, kind)), "操作未完成")
        chinese = f"{headline}（详情：{message}）"
    if field and field_label is not None:
        return f"{field_label(field)}：{chinese}"
    return chinese

