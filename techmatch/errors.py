"""Exception tree of techmatch; translated to HTTP status / exit codes only at the boundary.

    TechmatchError
    ├── ConfigError             bad or inconsistent settings
    ├── ValidationError         a record, row or request field is invalid (names the field)
    │   ├── IngestError         a whole file cannot be read (names the file)
    │   └── RowsRejectedError   every row of an input was rejected (lists the rows)
    ├── NotFoundError           a record / run / generation does not exist
    ├── IndexError_             index missing, corrupt or incompatible
    │   ├── IndexMissingError   no generation has been built yet
    │   └── IndexMismatchError  built with another encoder / tokenizer / schema
    ├── BackendError            a search backend (Elasticsearch) failed or is unreachable
    │   └── StoreUnavailableError   the store's database server cannot be reached (retry)
    ├── LockedError             another process holds a lock (batch run, index build)
    ├── ConflictError           a write lost a race: the record changed since it was read
    ├── AddressInUseError       the server's host:port is already bound by another process
    ├── InfeasibleError         an assignment's constraints cannot all be met
    └── StoreTooNewError        the store's schema is newer than this code knows (upgrade)
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Mapping


class TechmatchError(Exception):
    """Base of every error techmatch raises on purpose."""


class ConfigError(TechmatchError):
    """Settings are missing, malformed or inconsistent."""


class ValidationError(TechmatchError):
    """Input is invalid; `field` names the offending field (dotted path) when known.

    `str(exc)` names where, in Chinese, before the message (staff read it in the API's
    `detail`, on the CLI and in logs): 文件 a.csv，第 3 行，字段 kind：<message>. `message`,
    `field`, `row` and `source` stay apart for callers that show them separately."""

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None,
                 source: str | None = None) -> None:
        self.field = field
        self.row = row
        self.source = source
        where = [f"文件 {source}" if source else "", f"第 {row} 行" if row is not None else "",
                 f"字段 {field}" if field else ""]
        prefix = "，".join(part for part in where if part)
        super().__init__(f"{prefix}：{message}" if prefix else message)
        self.message = message


class IngestError(ValidationError):
    """A whole input file cannot be read (unknown format, undecodable, no usable header)."""


class RowsRejectedError(ValidationError):
    """Every row of an input was rejected; `rows` holds (row, field, message) per problem."""

    def __init__(self, message: str, *, source: str | None = None,
                 rows: list[tuple[int, str | None, str]] | None = None) -> None:
        super().__init__(message, source=source)
        self.rows = rows or []


class NotFoundError(TechmatchError):
    """The requested record, run or generation does not exist; `field` names the request
    field that named it when known (e.g. an id in a request body)."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# what a missing id named, as staff call it (records, dockings, the programme's registries)
NOT_FOUND_WORDS = {
    "record": "记录", "need": "需求", "achievement": "成果", "expert": "专家",
    "candidate": "成果或专家", "query": "需求或成果", "docking": "对接", "run": "批量运行",
    "city": "试点城市", "organisation": "机构", "team": "服务团队", "dispatch": "派出记录",
    "workstation": "专家工作站", "order": "订单式服务", "event": "活动", "milestone": "节点",
    "target": "目标", "plan": "方案",
}


def coded(codes: Iterable[str], labels: Mapping[str, str]) -> str:
    """city（城市）、industry（行业）: codes as a request writes them, each with what staff call
    it — the choices listed in a refusal (未知… X（可选：…）)."""
    return "、".join(f"{c}（{labels.get(c, c)}）" for c in codes)


def no_such(kind: str, ids: str | list[str], *, field: str | None = None) -> NotFoundError:
    """'没有编号为 N9 的需求': a NotFoundError naming the id(s) and what they should have been
    (`kind` a code of NOT_FOUND_WORDS)."""
    listed = "、".join(ids) if isinstance(ids, list) else ids
    return NotFoundError(f"没有编号为 {listed} 的{NOT_FOUND_WORDS.get(kind, kind)}", field=field)


class IndexError_(TechmatchError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """An index is missing, corrupt or incompatible with the running configuration."""


class IndexMissingError(IndexError_):
    """No index generation exists yet; run `techmatch index`."""


class IndexMismatchError(IndexError_):
    """The index was built with another encoder, tokenizer dictionary or schema."""


class BackendError(TechmatchError):
    """A search backend failed or cannot be reached."""


class StoreUnavailableError(BackendError):
    """The store's database (PostgreSQL) cannot be reached; retrying later may succeed."""

    retry_after = 2


class LockedError(TechmatchError):
    """Another process holds the lock for this operation."""


class ConflictError(TechmatchError):
    """A write names a version (or a pair) that no longer holds; `field` names what clashed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class AddressInUseError(TechmatchError):
    """`techmatch serve` cannot bind its address: another process listens there."""


class InfeasibleError(TechmatchError):
    """Constraints of an assignment cannot all be satisfied; `diagnostics` says which."""

    def __init__(self, message: str, diagnostics: list[str] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class StoreTooNewError(TechmatchError):
    """The store was migrated by a newer techmatch: its schema has versions this code does not
    know, so it is not opened (and not changed) until techmatch is upgraded."""


# why a file cannot be written or read, in staff's words (the OS's strerror is English)
_OS_REASONS: dict[int, str] = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额", errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限", errno.EROFS: "文件系统只读",
    errno.ENOTDIR: "路径中有一段不是文件夹", errno.EISDIR: "目标是文件夹，不是文件",
    errno.ENOENT: "文件或文件夹不存在", errno.EEXIST: "文件已存在",
}


def os_reason(exc: OSError) -> str:
    """`exc` in Chinese for the common causes; otherwise the OS's own text."""
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
