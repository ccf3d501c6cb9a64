"""Kind detection: a file whose columns (or JSON keys) are another kind's characteristic fields
is refused with the kind it looks like; a confidential flag is never dropped silently.

Why: `--kind achievement` on a file of needs used to load them with "unknown keys ignored",
and the needs' `confidential` flag vanished — making them readable by read keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from techmatch.errors import IngestError
from techmatch.indexers.ingest.columns import VALUE_ALIASES, field_for
from techmatch.models.records import KIND_LABELS, KINDS

# Fields only one kind has (shared names such as id, title, keywords, city say nothing).
CHARACTERISTIC: dict[str, frozenset[str]] = {
    "need": frozenset({"enterprise", "status", "confidential", "contact"}),
    "achievement": frozenset({"abstract", "type", "institution", "owners", "maturity",
                              "language"}),
    "expert": frozenset({"name", "organization", "disciplines", "industries", "bio", "works",
                         "capacity", "available", "languages", "overseas", "exclusions"}),
}
MIN_HITS = 2
CONFIDENTIAL = "confidential"


def looks_like(names: Iterable[str], kind: str) -> tuple[str, list[str]] | None:
    """(other kind, its characteristic columns) when `names` point to another kind.

    Only names that mean nothing for `kind` count. Two such columns of one other kind — or a
    confidential flag, which only needs carry — are enough.
    """
    unknown = [n for n in dict.fromkeys(names) if field_for(n, kind) is None]
    best: tuple[str, list[str]] | None = None
    for other in KINDS:
        if other == kind:
            continue
        hits = [n for n in unknown if field_for(n, other) in CHARACTERISTIC[other]]
        if hits and (best is None or len(hits) > len(best[1])):
            best = (other, hits)
    if best is None:
        return None
    other, hits = best
    if len(hits) >= MIN_HITS or any(field_for(n, other) == CONFIDENTIAL for n in hits):
        return best
    return None


def refuse_other_kind(names: Iterable[str], kind: str, file: str) -> None:
    """Raise IngestError when the file's columns look like another kind's."""
    found = looks_like(names, kind)
    if found is None:
        return
    other, hits = found
    theirs, ours = KIND_LABELS[other], KIND_LABELS[kind]
    raise OtherKindError(f"文件的列属于{theirs}，而不是{ours}（{'、'.join(hits)} 是{theirs}的"
                         f"字段）；请把记录类型选为{theirs}", source=file, other=other)


class OtherKindError(IngestError):
    """The file's columns are another kind's (`other`); the message is the console's (staff
    pick the kind there), `forcing_hint` adds how the CLI or HTTP chooses or forces it."""

    def __init__(self, message: str, *, source: str, other: str) -> None:
        super().__init__(message, source=source, field="kind")
        self.other = other


def forcing_hint(exc: IngestError, *, http: bool) -> IngestError:
    """`exc` with how to choose the kind, or load the file as the chosen one anyway, on the
    CLI (--kind, --force-kind) or over HTTP (the kind's upload route, force_kind=true)."""
    if not isinstance(exc, OtherKindError):
        return exc
    how = (f"HTTP：POST /v1/{exc.other}s/upload；确需按所选类型导入加 force_kind=true" if http
           else f"命令行：--kind {exc.other}；确需按所选类型导入加 --force-kind")
    return IngestError(f"{exc.message}（{how}）", source=exc.source, field=exc.field)


def confidential_keys(names: Iterable[str], kind: str) -> list[str]:
    """Columns / keys that carry a need's confidential flag but mean nothing for `kind`."""
    if kind == "need":
        return []
    return [n for n in dict.fromkeys(names)
            if field_for(n, kind) is None and field_for(n, "need") == CONFIDENTIAL]


def is_set(value: object) -> bool:
    """A confidential flag that is on (true, 1, 是, 保密, yes …)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return VALUE_ALIASES["bool"].get(value.strip().lower()) is True
    return value is not None
