"""Ingest files into the store: read → map → validate → resolve duplicates → reject file → upsert.

Every file is read and validated before anything is written, so a file that cannot be read
at all (IngestError) leaves the store untouched; good rows of a partly bad file are upserted
in ONE transaction and bad rows go to `<reject_dir>/<file name>.rejects.jsonl` (raw values
clipped to their first KBs and length). A file whose columns belong to another kind is
refused unless `force_kind`; a need's confidential flag on a row of another kind rejects the
row (never dropped silently). A row that updates a stored record keeps the stored values of
the fields its file has no column (JSON: no key) for: a sheet of ids and titles fixes titles,
it does not clear confidential flags or contacts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from techmatch.errors import IngestError, ValidationError
from techmatch.indexers.ingest.clip import clip, clip_raw
from techmatch.indexers.ingest.columns import aliases_of, map_header
from techmatch.indexers.ingest.industries import map_industries
from techmatch.indexers.ingest.kind_check import (
    CONFIDENTIAL,
    confidential_keys,
    is_set,
    refuse_other_kind,
)
from techmatch.indexers.ingest.readers import RawRow, read_source
from techmatch.indexers.ingest.validate import RowError, from_json, validate_row
from techmatch.models.records import KIND_LABELS, RECORD_FIELD_LABELS, Record, record_type
from techmatch.store import Store, UpsertReport

# --on-duplicate in the report: which copy of a repeated id was kept
_KEPT = {"last": "保留最后一次出现", "first": "保留第一次出现", "error": "重复即报错"}

OnDuplicate = Literal["last", "first", "error"]
ON_DUPLICATE: tuple[str, ...] = ("last", "first", "error")


@dataclass(frozen=True)
class Duplicate:
    """An id given more than once in the input: which (file, row) was kept, which dropped."""

    id: str
    kept: tuple[str, int]
    dropped: tuple[str, int]

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The report line for staff (zh-CN)."""
        return (f"重复编号 {self.id}：保留 {self.kept[0]} 第 {self.kept[1]} 行，舍弃 "
                f"{self.dropped[0]} 第 {self.dropped[1]} 行")

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "kept": {"file": self.kept[0], "row": self.kept[1]},
                "dropped": {"file": self.dropped[0], "row": self.dropped[1]}}


@dataclass
class FileReport:
    """What happened to one input file."""

    file: str
    format: str
    encoding: str | None
    read: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    reject_file: Path | None = None

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "format": self.format, "encoding": self.encoding,
                "read": self.read, "rejected": self.rejected, "warnings": self.warnings,
                "reject_file": str(self.reject_file) if self.reject_file else None}


@dataclass
class IngestReport:
    """Counts and details of one ingest run; `as_dict()` is the CLI's `--json` output."""

    kind: str
    on_duplicate: str
    files: list[FileReport] = field(default_factory=list)
    loaded: UpsertReport = field(default_factory=UpsertReport)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def warnings(self) -> list[str]:
        return [f"{f.file}：{w}" for f in self.files for w in f.warnings]

    @property
    def all_rejected(self) -> bool:
        """Rows were read and every one was rejected (nothing stored)."""
        return self.read > 0 and self.rejected >= self.read

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "on_duplicate": self.on_duplicate, "read": self.read,
                "loaded": self.loaded.as_dict(), "rejected": self.rejected,
                "duplicates": len(self.duplicates),
                "files": [f.as_dict() for f in self.files],
                "duplicate_ids": [d.as_dict() for d in self.duplicates],
                "errors": [e.as_dict() for e in self.errors], "warnings": self.warnings}

    def summary_lines(self) -> list[str]:
        """Human-readable report for staff (zh-CN): one line per file, the totals, duplicates,
        then errors (each row's reason as the loader gives it)."""
        lines = []
        for f in self.files:
            line = f"{f.file}（{f.format}{'，' + f.encoding if f.encoding else ''}）：" \
                   f"读取 {f.read} 行，拒绝 {f.rejected} 行"
            lines.append(line + (f" → {f.reject_file}" if f.reject_file else ""))
        counts = self.loaded.as_dict()
        lines.append(f"{KIND_LABELS.get(self.kind, self.kind)}（{self.kind}）：新增 "
                     f"{counts['inserted']} 条，更新 {counts['updated']} 条，未变 "
                     f"{counts['unchanged']} 条，拒绝 {self.rejected} 行，重复编号 "
                     f"{len(self.duplicates)} 个"
                     f"（{_KEPT.get(self.on_duplicate, self.on_duplicate)}）")
        lines += [f"警告：{w}" for w in self.warnings]
        lines += [d.text() for d in self.duplicates]
        lines += [e.text() for e in self.errors]
        return lines


@dataclass(frozen=True)
class _Good:
    """A valid row; `given`: the fields its file's columns (or its JSON keys) gave."""

    record: Record
    file: str
    row: int
    given: frozenset[str] = frozenset()
    blank_secret: bool = False  # its confidential column / key was present but empty


@dataclass
class _Parsed:
    report: FileReport
    good: list[_Good] = field(default_factory=list)
    bad: dict[int, tuple[list[RowError], object]] = field(default_factory=dict)

    def reject(self, row: int, errors: list[RowError], raw: object) -> None:
        self.bad.setdefault(row, ([], raw))[0].extend(errors)


def ingest_files(paths: Iterable[str | Path], kind: str, store: Store, *,
                 reject_dir: Path | None = None, on_duplicate: OnDuplicate = "last",
                 sheet: str | None = None, force_kind: bool = False,
                 names: Sequence[str] | None = None) -> IngestReport:
    """Load files of one kind into the store; see the module docstring for the guarantees.

    `on_duplicate`: which occurrence of an id repeated in the input is kept ("last" | "first"),
    or "error" to refuse the whole input. `sheet` picks an XLSX sheet (default: the first).
    `names`: how each file is called in reports and errors (default: its path).
    """
    record_type(kind)
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationError(f"未知的重复编号处理方式 {on_duplicate!r}；可选："
                              f"{'、'.join(ON_DUPLICATE)}", field="on_duplicate")
    files = [Path(p) for p in paths]
    labels = list(names) if names is not None else [str(p) for p in files]
    parsed = [_parse_file(path, label, kind, sheet, force_kind)
              for path, label in zip(files, labels, strict=True)]
    by_file = {p.report.file: p for p in parsed}
    kept, duplicates = resolve_duplicates([g for p in parsed for g in p.good], on_duplicate)
    stored = store.get_many(g.record.id for g in kept)
    kept = _drop_kind_conflicts(kept, kind, stored, by_file)
    kept = _keep_stored_fields(kept, stored, by_file)
    report = IngestReport(kind, on_duplicate, duplicates=duplicates)
    used: set[str] = set()
    for item in parsed:
        item.report.rejected = len(item.bad)
        if reject_dir is not None:
            item.report.reject_file = _write_rejects(item, Path(reject_dir), used)
        report.files.append(item.report)
        report.errors += [e for row in sorted(item.bad) for e in item.bad[row][0]]
    report.loaded = store.upsert([g.record for g in kept])
    return report


def resolve_duplicates(rows: list[_Good], rule: str) -> tuple[list[_Good], list[Duplicate]]:
    """Keep one row per id by `rule`, in input order of the kept rows; report each dropped one."""
    chosen: dict[str, _Good] = {}
    duplicates: list[Duplicate] = []
    for good in rows:
        previous = chosen.get(good.record.id)
        if previous is None:
            chosen[good.record.id] = good
            continue
        keep, drop = (good, previous) if rule == "last" else (previous, good)
        chosen[good.record.id] = keep
        duplicates.append(Duplicate(good.record.id, (keep.file, keep.row), (drop.file, drop.row)))
    if duplicates and rule == "error":
        first = duplicates[0]
        raise IngestError(f"输入中有 {len(duplicates)} 个重复编号，如 {first.id}"
                          f"（第 {first.kept[1]} 行与 {first.dropped[0]} 第 {first.dropped[1]} "
                          f"行）；用 on_duplicate="
                          f"'last' 或 'first' 选定一条", source=first.kept[0], field="id")
    kept = [g for g in rows if chosen[g.record.id] is g]
    return kept, duplicates


# -- one file ----------------------------------------------------------------------------------
def _parse_file(path: Path, name: str, kind: str, sheet: str | None,
                force_kind: bool) -> _Parsed:
    source = read_source(path, sheet=sheet, name=name,
                         is_header=lambda names: _names_id(names, kind))
    parsed = _Parsed(FileReport(name, source.format, source.encoding, len(source.rows),
                                warnings=list(source.warnings)))
    keys = source.header if source.header is not None else _json_keys(source.rows)
    if not force_kind:
        refuse_other_kind(keys, kind, name)
    secret = confidential_keys(keys, kind)
    columns = None
    if source.header is not None:
        columns = map_header(source.header, kind)
        _check_header(set(columns.fields.values()), kind, name,
                      f"第 {source.header_row} 行被读作表头："
                      f"{clip('、'.join(source.header), 200)}")
        parsed.report.warnings += [clip(w) for w in columns.warnings()]
    unknown: dict[str, None] = {}
    for raw in source.rows:
        if raw.error is not None:
            parsed.reject(raw.row, [RowError(name, raw.row, None, raw.error)], raw.text)
            continue
        flagged = [k for k in secret if is_set(raw.values.get(k))]
        if flagged:
            parsed.reject(raw.row, [_confidential_error(name, raw.row, flagged[0], kind)],
                          raw.values)
            continue
        fields = columns.apply(raw.values) if columns else _json_fields(raw, kind, unknown)
        given = frozenset(columns.fields.values()) if columns else frozenset(fields)
        # an empty 是否保密 on an update keeps the stored flag: it never makes a need public
        blank_secret = CONFIDENTIAL in given and _blank(fields.get(CONFIDENTIAL))
        given -= {CONFIDENTIAL} if blank_secret else set()
        result = validate_row(fields, kind, file=name, row=raw.row)
        if isinstance(result, list):
            parsed.reject(raw.row, result, raw.values)
        else:
            result, notes = map_industries(result, file=name, row=raw.row)
            parsed.report.warnings += [f"第 {n.row} 行：{n.message}" for n in notes]  # industries
            parsed.good.append(_Good(result, name, raw.row, given, blank_secret))
    if unknown:
        parsed.report.warnings.append(clip("已忽略未知字段：" + "、".join(unknown)))
    return parsed


def _json_keys(rows: list[RawRow]) -> list[str]:
    """Keys of the JSON rows (and of BEIR `metadata` objects), in first-seen order."""
    keys: dict[str, None] = {}
    for raw in rows:
        keys.update(dict.fromkeys(raw.values))
        metadata = raw.values.get("metadata")
        if isinstance(metadata, dict):
            keys.update(dict.fromkeys(str(k) for k in metadata))
    keys.pop("kind", None)
    return list(keys)


def _confidential_error(file: str, row: int, key: str, kind: str) -> RowError:
    return RowError(file, row, key, f"该行标记为保密，但{KIND_LABELS.get(kind, kind)}没有保密标记："
                                    f"未导入（否则只读密钥也能读到它；保密记录请按需求导入）")


def _json_fields(raw: RawRow, kind: str, unknown: dict[str, None]) -> dict[str, object]:
    fields, keys = from_json(raw.values, kind)
    unknown.update(dict.fromkeys(k for k in keys if k != "kind"))
    if "kind" in raw.values:
        fields["kind"] = raw.values["kind"]
    return fields


def _blank(value: object) -> bool:
    return value is None or isinstance(value, str) and not value.strip()


def _names_id(names: list[str], kind: str) -> bool:
    """Whether header `names` have an id column and a text one (a title row above the header,
    or the upper row of a two-level header, has not both)."""
    mapped = set(map_header(names, kind).fields.values())
    return "id" in mapped and bool(mapped & {*record_type(kind).TEXT_FIELDS, "keywords"})


def _check_header(mapped: set[str], kind: str, file: str, header: str) -> None:
    """A tabular file needs an id column and at least one text (or keywords) column;
    `header` shows the row read as the header and its names."""
    if "id" not in mapped:
        raise IngestError(f"缺少编号列（可用表头：{'、'.join(aliases_of('id', kind))}）；{header}",
                          source=file, field="id")
    text_fields = (*record_type(kind).TEXT_FIELDS, "keywords")
    if not mapped & set(text_fields):
        names = "、".join(a for t in text_fields for a in aliases_of(t, kind)[:3])
        raise IngestError(f"没有文本列：至少需要其中之一：{names}；{header}",
                          source=file, field="/".join(text_fields))


def _drop_kind_conflicts(rows: list[_Good], kind: str, stored: dict[str, Record],
                         by_file: dict[str, _Parsed]) -> list[_Good]:
    """Rows whose id is already stored as another kind are rejected (the store would refuse)."""
    kept = []
    for good in rows:
        other = stored.get(good.record.id)
        if other is not None and other.kind != kind:
            error = RowError(good.file, good.row, "id",
                             f"编号 {good.record.id} 已被另一类记录"
                             f"（{KIND_LABELS.get(other.kind, other.kind)}）使用")
            by_file[good.file].reject(good.row, [error], good.record.model_dump(mode="json"))
        else:
            kept.append(good)
    return kept


_TIMESTAMPS = frozenset({"created_at", "updated_at"})


def _keep_stored_fields(rows: list[_Good], stored: dict[str, Record],
                        by_file: dict[str, _Parsed]) -> list[_Good]:
    """An update keeps the stored values of the fields its file has no column (JSON: no key)
    for: re-importing id + title must not clear a need's confidential flag, contact …"""
    out: list[_Good] = []
    kept_fields: dict[str, dict[str, int]] = {}
    kept_secret: dict[str, list[int]] = {}  # rows whose empty 是否保密 kept the stored flag
    for good in rows:
        old = stored.get(good.record.id)
        missing = [name for name in type(good.record).model_fields
                   if name not in good.given and name != "id"]
        if old is None or old.kind != good.record.kind or not missing:
            out.append(good)
            continue
        data = good.record.model_dump()
        changed = {name: getattr(old, name) for name in missing
                   if getattr(old, name) != data[name]}
        if changed:
            data.update(changed)
            good = _Good(type(good.record).model_validate(data), good.file, good.row, good.given,
                         good.blank_secret)
            counts = kept_fields.setdefault(good.file, {})
            for name in changed.keys() - _TIMESTAMPS:  # the store keeps these anyway
                if name == CONFIDENTIAL and good.blank_secret:
                    kept_secret.setdefault(good.file, []).append(good.row)
                else:
                    counts[name] = counts.get(name, 0) + 1
        out.append(good)
    for file, rows_kept in kept_secret.items():
        by_file[file].report.warnings.append(clip(
            f"是否保密为空的 {len(rows_kept)} 条记录保留了原有的保密标记（第 "
            f"{'、'.join(map(str, rows_kept[:10]))}{'…' if len(rows_kept) > 10 else ''} 行）；"
            "要公开请填“否”"))
    for file, counts in kept_fields.items():
        if not counts:
            continue
        by_file[file].report.warnings.append(clip(
            "更新的记录保留了文件中没有的列的原值："
            + "、".join(f"{RECORD_FIELD_LABELS.get(name, name)}（{n} 条）"
                       for name, n in sorted(counts.items()))))
    return out


def _write_rejects(item: _Parsed, reject_dir: Path, used: set[str]) -> Path | None:
    """Write `<file name>.rejects.jsonl` (atomically); remove a stale one when nothing was
    rejected. The whole name, extension included: `needs.csv` and `needs.jsonl` keep their
    own rejects, and a clean load of one never removes the other's."""
    stem, n = Path(item.report.file).name, 1
    while f"{stem}{'' if n == 1 else f'-{n}'}" in used:
        n += 1
    stem = f"{stem}{'' if n == 1 else f'-{n}'}"
    used.add(stem)
    target = reject_dir / f"{stem}.rejects.jsonl"
    if not item.bad:
        target.unlink(missing_ok=True)
        return None
    reject_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for row in sorted(item.bad):
            errors, raw = item.bad[row]
            line = {**errors[0].as_dict(), "errors": [e.as_dict() for e in errors],
                    "raw": clip_raw(raw)}
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, target)
    return target
